EXPLAIN CREATE TABLE per_category AS SELECT category, COUNT(*) AS items FROM items GROUP BY category EMIT CHANGES;
