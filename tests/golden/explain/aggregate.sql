EXPLAIN CREATE TABLE per_customer AS SELECT customer, COUNT(*) AS orders, SUM(qty) AS qty FROM orders GROUP BY customer HAVING SUM(qty) > 5 EMIT CHANGES;
