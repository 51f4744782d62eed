-- Rounding as docs/query.md states it: integer cents (or hundredths of a percent), integer
-- division, half away from zero, once: q = sign(n/d) * ((2|n| + |d|) / (2|d|)); empty when
-- d is 0.
WITH per_grain AS (
  SELECT 'month' AS grain, strftime('%Y-%m-01', order_date) AS period, * FROM sales
  UNION ALL
  SELECT 'all', NULL, * FROM sales
),
sums AS (
  SELECT grain, period, sum(gross_c) AS gross_c, sum(discount_c) AS discount_c,
         sum(revenue_c) AS revenue_c, coalesce(sum(cost_c), 0) AS cost_c
  FROM per_grain GROUP BY grain, period
)
SELECT grain, period,
       printf('%.2f', gross_c / 100.0) AS gross_sales,
       printf('%.2f', discount_c / 100.0) AS discounts,
       printf('%.2f', revenue_c / 100.0) AS revenue,
       printf('%.2f', cost_c / 100.0) AS cost,
       printf('%.2f', (revenue_c - cost_c) / 100.0) AS profit,
       CASE WHEN revenue_c <> 0 THEN printf('%.2f',
         (CASE WHEN (10000 * (revenue_c - cost_c)) < 0 AND revenue_c > 0 OR (10000 * (revenue_c - cost_c)) > 0 AND revenue_c < 0 THEN -1 ELSE 1 END)
         * ((2 * abs(10000 * (revenue_c - cost_c)) + abs(revenue_c)) / (2 * abs(revenue_c))) / 100.0) END AS margin_pct
FROM sums
ORDER BY grain DESC, period;
