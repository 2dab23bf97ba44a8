-- What the warehouse should hold, computed directly in the source database (PostgreSQL).
-- revenue_by_region:
SELECT c.region,
       (EXTRACT(EPOCH FROM date_trunc('hour', o.created_at)) * 1000)::BIGINT AS window_start,
       COUNT(*) AS orders,
       SUM(o.amount) AS revenue
FROM orders o JOIN customers c ON o.customer_id = c.id
GROUP BY 1, 2
ORDER BY 1, 2;
-- customer_directory:
SELECT id, name, upper(region) AS region FROM customers ORDER BY id;
