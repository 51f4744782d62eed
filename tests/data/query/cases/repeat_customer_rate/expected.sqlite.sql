WITH per_customer AS (
  SELECT customer_id, count(DISTINCT order_id) AS orders FROM sales GROUP BY customer_id
)
SELECT count(*) AS customers,
       sum(orders >= 2) AS repeat_customers,
       printf('%.2f', 100.0 * sum(orders >= 2) / count(*)) AS repeat_rate_pct
FROM per_customer;
