-- Profit per month and over everything (grain 'month' or 'all'): gross sales, minus
-- discounts (= revenue), minus the cost of the units sold (= profit); margin is profit as
-- a percentage of revenue. Sales as shop.sales defines them.
CREATE OR REPLACE VIEW shop.profit AS
SELECT
  CASE WHEN grouping(month) = 0 THEN 'month' ELSE 'all' END AS grain,
  month AS period,
  sum(gross) AS gross_sales,
  sum(discount) AS discounts,
  sum(revenue) AS revenue,
  coalesce(sum(cost), 0) AS cost,
  sum(revenue) - coalesce(sum(cost), 0) AS profit,
  CAST(round(CAST(100 * (sum(revenue) - coalesce(sum(cost), 0)) AS DOUBLE)
             / nullif(sum(revenue), 0), 2) AS DECIMAL(9, 2)) AS margin_pct
FROM (SELECT *, CAST(date_trunc('month', order_date) AS DATE) AS month FROM shop.sales)
GROUP BY GROUPING SETS ((month), ())
ORDER BY grouping(month), period
