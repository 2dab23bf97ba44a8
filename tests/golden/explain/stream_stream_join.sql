EXPLAIN CREATE STREAM shipped AS SELECT o.id, o.item, s.carrier FROM orders o LEFT JOIN shipments s WITHIN 1 HOUR GRACE PERIOD 5 MINUTES ON o.id = s.id EMIT CHANGES;
