-- A tour of the shell: variables, a table kept by a persistent aggregation, a pull query,
-- a push query with LIMIT, DESCRIBE and PRINT. Run it with:
--   ksql --data-dir /tmp/ksql-orders -f examples/orders.sql        (embedded engine)
--   ksql http://localhost:8088 -f examples/orders.sql              (a running ksql-server)
DEFINE topic = 'orders';

CREATE STREAM orders (order_id INT KEY, customer STRING, amount DOUBLE)
  WITH (kafka_topic='${topic}', partitions=1, value_format='JSON');

INSERT INTO orders (order_id, customer, amount) VALUES (1, 'alice', 12.5);
INSERT INTO orders (order_id, customer, amount) VALUES (2, 'bob', 40.0);
INSERT INTO orders (order_id, customer, amount) VALUES (3, 'alice', 7.5);
INSERT INTO orders (order_id, customer, amount) VALUES (4, 'carol', 99.9);

SET 'auto.offset.reset' = 'earliest';

-- A table that the engine keeps up to date as orders arrive.
CREATE TABLE spend AS
  SELECT customer, COUNT(*) AS orders, SUM(amount) AS total
  FROM orders
  GROUP BY customer;

DESCRIBE spend;

-- The push query waits until the four orders went through the aggregation: one row per
-- customer, as the record cache (on by default, as in ksqlDB) emits each customer's latest
-- totals once per batch. SET 'cache.max.bytes.buffering'='0'; would show every update.
SELECT customer, orders, total FROM spend EMIT CHANGES LIMIT 3;

-- A pull query: the table's current state.
SELECT * FROM spend WHERE total > 10;

-- The raw records of the input topic.
PRINT '${topic}' FROM BEGINNING LIMIT 2;
