-- Revenue, orders, units and average order value (revenue / orders, to the cent) per day,
-- per month and over everything (grain 'day', 'month', 'all'; period is the day, the
-- month's first day, or NULL for 'all'). Sales as shop.sales defines them.
CREATE OR REPLACE VIEW shop.total_sales AS
-- One row per order first: every grain then counts rows instead of distinct ids.
WITH orders AS (
  SELECT order_id, min(order_date) AS order_date, sum(revenue) AS revenue, sum(quantity) AS units
  FROM shop.sales
  GROUP BY order_id
)
SELECT
  CASE WHEN grouping(order_date) = 0 THEN 'day'
       WHEN grouping(month) = 0 THEN 'month'
       ELSE 'all' END AS grain,
  coalesce(order_date, month) AS period,
  sum(revenue) AS revenue,
  count(*) AS orders,
  sum(units) AS units,
  CAST(round(CAST(sum(revenue) AS DOUBLE) / count(*), 2) AS DECIMAL(18, 2)) AS avg_order_value
FROM (SELECT *, CAST(date_trunc('month', order_date) AS DATE) AS month FROM orders)
GROUP BY GROUPING SETS ((order_date), (month), ())
ORDER BY grouping(order_date), grouping(month), period
