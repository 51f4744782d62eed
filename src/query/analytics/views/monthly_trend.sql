-- Month by month: revenue, orders, units and average order value (from {{db}}.total_sales),
-- with revenue's growth over the month before, in % to 0.01%. "The month before" is the
-- previous row: the latest earlier month that has sales (a month without sales has no row).
-- Growth is NULL for the first month and when the month before had a revenue of 0.
--
-- Money is exact (docs/query.md, "Rounding"): the growth is computed in integer hundredths
-- of a percent from money in integer ten-thousandths (_e4: exact for money with up to 4
-- decimals, as Superstore's; cents would round twice) and rounded once, half away from zero,
-- with BIGINT division (`//`; the Athena named query spells it `/`, which divides BIGINTs the
-- same way): never a DOUBLE.
CREATE OR REPLACE VIEW {{db}}.monthly_trend AS
WITH months AS (
  SELECT
    period AS month,
    revenue,
    orders,
    units,
    avg_order_value,
    CAST(revenue * 10000 AS BIGINT) AS revenue_e4,
    CAST(lag(revenue) OVER (ORDER BY period) * 10000 AS BIGINT) AS before_e4
  FROM {{db}}.total_sales
  WHERE grain = 'month'
)
SELECT
  month,
  revenue,
  orders,
  units,
  avg_order_value,
  CAST(CAST(sign(revenue_e4 - before_e4) * sign(before_e4)
            * ((2 * abs(10000 * (revenue_e4 - before_e4)) + abs(before_e4))
               // (2 * abs(nullif(before_e4, 0)))) AS DECIMAL(18, 0))
       * 0.01 AS DECIMAL(9, 2)) AS revenue_growth_pct
FROM months
ORDER BY month
