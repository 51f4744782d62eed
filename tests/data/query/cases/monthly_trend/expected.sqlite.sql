-- Rounding as docs/query.md states it: integer cents (or hundredths of a percent), integer
-- division, half away from zero, once: q = sign(n/d) * ((2|n| + |d|) / (2|d|)); empty when
-- d is 0.
WITH months AS (
  SELECT strftime('%Y-%m-01', order_date) AS month, sum(revenue_c) AS revenue_c,
         count(DISTINCT order_id) AS orders, sum(quantity) AS units
  FROM sales GROUP BY 1
),
with_previous AS (
  SELECT *, (SELECT revenue_c FROM months m2 WHERE m2.month < m.month
             ORDER BY m2.month DESC LIMIT 1) AS previous_c
  FROM months m
)
SELECT month, printf('%.2f', revenue_c / 100.0) AS revenue, orders, units,
       CASE WHEN orders <> 0 THEN printf('%.2f',
         (CASE WHEN (revenue_c) < 0 AND orders > 0 OR (revenue_c) > 0 AND orders < 0 THEN -1 ELSE 1 END)
         * ((2 * abs(revenue_c) + abs(orders)) / (2 * abs(orders))) / 100.0) END AS avg_order_value,
       CASE WHEN previous_c IS NULL THEN NULL
            ELSE CASE WHEN previous_c <> 0 THEN printf('%.2f',
         (CASE WHEN (10000 * (revenue_c - previous_c)) < 0 AND previous_c > 0 OR (10000 * (revenue_c - previous_c)) > 0 AND previous_c < 0 THEN -1 ELSE 1 END)
         * ((2 * abs(10000 * (revenue_c - previous_c)) + abs(previous_c)) / (2 * abs(previous_c))) / 100.0) END
       END AS revenue_growth_pct
FROM with_previous
ORDER BY month;
