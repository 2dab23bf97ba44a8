-- The catalog every EXPLAIN golden runs against.
CREATE STREAM orders (id INT KEY, customer STRING, item STRING, qty INT, price DOUBLE, tags ARRAY<STRING>)
  WITH (kafka_topic='orders', partitions=2, value_format='JSON');
CREATE STREAM shipments (id INT KEY, carrier STRING)
  WITH (kafka_topic='shipments', partitions=2, value_format='JSON');
CREATE TABLE items (item STRING PRIMARY KEY, descr STRING, category STRING)
  WITH (kafka_topic='items', partitions=2, value_format='JSON');
CREATE TABLE categories (category STRING PRIMARY KEY, manager STRING)
  WITH (kafka_topic='categories', partitions=2, value_format='JSON');
CREATE TABLE stock (item STRING PRIMARY KEY, on_hand INT)
  WITH (kafka_topic='stock', partitions=2, value_format='JSON');
