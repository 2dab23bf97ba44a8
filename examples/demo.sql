-- A small demo on the embedded store: a stream of page views, a filtered and re-keyed copy.
CREATE STREAM pageviews (user_id STRING KEY, page STRING, duration_ms INT)
  WITH (kafka_topic='pageviews', partitions=2, value_format='JSON');

INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('alice', '/home', 1200);
INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('bob', '/pricing', 5400);
INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('alice', '/docs', 9100);
INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('carol', '/home', 300);

SET 'auto.offset.reset' = 'earliest';

CREATE STREAM long_views AS
  SELECT user_id, page, duration_ms / 1000 AS seconds
  FROM pageviews
  WHERE duration_ms > 1000;

CREATE STREAM views_by_page AS
  SELECT page, user_id, duration_ms FROM pageviews PARTITION BY page;

SHOW STREAMS;
SHOW QUERIES;
SELECT * FROM long_views EMIT CHANGES LIMIT 3;
