EXPLAIN CREATE STREAM big_orders AS SELECT id, item, qty * price AS total FROM orders WHERE qty > 10 EMIT CHANGES;
