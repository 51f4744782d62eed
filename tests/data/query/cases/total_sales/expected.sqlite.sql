WITH per_grain AS (
  SELECT 1 AS o, 'day' AS grain, order_date AS period, order_id, quantity, revenue_c FROM sales
  UNION ALL
  SELECT 2, 'month', strftime('%Y-%m-01', order_date), order_id, quantity, revenue_c FROM sales
  UNION ALL
  SELECT 3, 'all', NULL, order_id, quantity, revenue_c FROM sales
)
SELECT grain, period, printf('%.2f', sum(revenue_c) / 100.0) AS revenue,
       count(DISTINCT order_id) AS orders, sum(quantity) AS units,
       printf('%.2f', (sum(revenue_c) / 100.0) / count(DISTINCT order_id)) AS avg_order_value
FROM per_grain
GROUP BY o, grain, period
ORDER BY o, period;
