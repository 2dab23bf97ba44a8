EXPLAIN CREATE TABLE sold_per_category AS SELECT i.category, SUM(o.qty) AS sold FROM orders o JOIN items i ON o.item = i.item GROUP BY i.category EMIT CHANGES;
