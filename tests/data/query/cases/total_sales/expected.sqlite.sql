-- Rounding as docs/query.md states it: integer cents (or hundredths of a percent), integer
-- division, half away from zero, once: q = sign(n/d) * ((2|n| + |d|) / (2|d|)); empty when
-- d is 0.
WITH per_grain AS (
  SELECT 1 AS o, 'day' AS grain, order_date AS period, order_id, quantity, revenue_c FROM sales
  UNION ALL
  SELECT 2, 'month', strftime('%Y-%m-01', order_date), order_id, quantity, revenue_c FROM sales
  UNION ALL
  SELECT 3, 'all', NULL, order_id, quantity, revenue_c FROM sales
)
SELECT grain, period, printf('%.2f', sum(revenue_c) / 100.0) AS revenue,
       count(DISTINCT order_id) AS orders, sum(quantity) AS units,
       CASE WHEN count(DISTINCT order_id) <> 0 THEN printf('%.2f',
         (CASE WHEN (sum(revenue_c)) < 0 AND count(DISTINCT order_id) > 0 OR (sum(revenue_c)) > 0 AND count(DISTINCT order_id) < 0 THEN -1 ELSE 1 END)
         * ((2 * abs(sum(revenue_c)) + abs(count(DISTINCT order_id))) / (2 * abs(count(DISTINCT order_id)))) / 100.0) END AS avg_order_value
FROM per_grain
GROUP BY o, grain, period
ORDER BY o, period;
