-- Month by month: revenue, orders, units and average order value (from shop.total_sales),
-- with revenue's growth over the month before, in % (NULL for the first month).
CREATE OR REPLACE VIEW shop.monthly_trend AS
SELECT
  period AS month,
  revenue,
  orders,
  units,
  avg_order_value,
  CAST(round(CAST(100 * (revenue - lag(revenue) OVER (ORDER BY period)) AS DOUBLE)
             / lag(revenue) OVER (ORDER BY period), 2) AS DECIMAL(9, 2)) AS revenue_growth_pct
FROM shop.total_sales
WHERE grain = 'month'
ORDER BY month
