-- Profit per month and over everything (grain 'month' or 'all'): gross sales, minus
-- discounts (= revenue), minus the cost of the units sold (= profit); margin is profit as
-- a percentage of revenue, to 0.01%, NULL when revenue is 0. Sales as {{db}}.sales defines them.
--
-- Money is exact (docs/query.md, "Rounding"): the margin is computed in integer hundredths
-- of a percent from money in integer ten-thousandths (_e4: exact for money with up to 4
-- decimals, as Superstore's; cents would round twice) and rounded once, half away from zero,
-- with BIGINT division (`//`; the Athena named query spells it `/`, which divides BIGINTs the
-- same way): never a DOUBLE.
CREATE OR REPLACE VIEW {{db}}.profit AS
WITH per_grain AS (
  SELECT
    grouping(month) AS overall,
    CASE WHEN grouping(month) = 0 THEN 'month' ELSE 'all' END AS grain,
    month AS period,
    sum(gross) AS gross_sales,
    sum(discount) AS discounts,
    sum(revenue) AS revenue,
    coalesce(sum(cost), 0) AS cost,
    CAST(sum(revenue) * 10000 AS BIGINT) AS revenue_e4,
    CAST((sum(revenue) - coalesce(sum(cost), 0)) * 10000 AS BIGINT) AS profit_e4
  FROM (SELECT *, CAST(date_trunc('month', order_date) AS DATE) AS month FROM {{db}}.sales)
  GROUP BY GROUPING SETS ((month), ())
)
SELECT
  grain,
  period,
  gross_sales,
  discounts,
  revenue,
  cost,
  revenue - cost AS profit,
  CAST(CAST(sign(profit_e4) * sign(revenue_e4)
            * ((2 * abs(10000 * profit_e4) + abs(revenue_e4))
               // (2 * abs(nullif(revenue_e4, 0)))) AS DECIMAL(18, 0))
       * 0.01 AS DECIMAL(9, 2)) AS margin_pct
FROM per_grain
ORDER BY overall, period
