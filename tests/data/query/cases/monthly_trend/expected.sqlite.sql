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
       printf('%.2f', (revenue_c / 100.0) / orders) AS avg_order_value,
       CASE WHEN previous_c IS NULL THEN NULL
            ELSE printf('%.2f', ((revenue_c - previous_c) * 100 / 100.0) / (previous_c / 100.0))
       END AS revenue_growth_pct
FROM with_previous
ORDER BY month;
