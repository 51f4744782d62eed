-- Revenue, orders, units and average order value (revenue / orders, to the cent) per day,
-- per month and over everything (grain 'day', 'month', 'all'; period is the day, the
-- month's first day, or NULL for 'all'). Sales as {{db}}.sales defines them. Revenue and
-- units are net of cancellations; orders counts the orders that are not cancellations.
{{#cancellation}}
-- cancelled_orders and cancelled_revenue: the orders whose every line is a cancellation,
-- and the (negative) revenue of all cancellation lines.
{{/cancellation}}
--
-- Money is exact (docs/query.md, "Rounding"): the average is computed from revenue in integer
-- ten-thousandths (_e4: exact for money with up to 4 decimals, as Superstore's; rounding the
-- sum to cents first would round twice) and rounded once to the cent, half away from zero,
-- with BIGINT division (`//`; the Athena named query spells it `/`, which divides BIGINTs the
-- same way): never a DOUBLE.
CREATE OR REPLACE VIEW {{db}}.total_sales AS
-- One row per order first: every grain then counts rows instead of distinct ids.
WITH orders AS (
  SELECT order_id, min(order_date) AS order_date, sum(revenue) AS revenue, sum(quantity) AS units,
         bool_and(is_cancellation) AS cancelled,
         sum(revenue) FILTER (WHERE is_cancellation) AS cancelled_revenue
  FROM {{db}}.sales
  GROUP BY order_id
),
per_grain AS (
  SELECT
    grouping(order_date) AS by_day,
    grouping(month) AS by_month,
    CASE WHEN grouping(order_date) = 0 THEN 'day'
         WHEN grouping(month) = 0 THEN 'month'
         ELSE 'all' END AS grain,
    coalesce(order_date, month) AS period,
    sum(revenue) AS revenue,
    CAST(sum(revenue) * 10000 AS BIGINT) AS revenue_e4,
    count(*) FILTER (WHERE NOT cancelled) AS orders,
    sum(units) AS units,
    count(*) FILTER (WHERE cancelled) AS cancelled_orders,
    coalesce(sum(cancelled_revenue), 0) AS cancelled_revenue
  FROM (SELECT *, CAST(date_trunc('month', order_date) AS DATE) AS month FROM orders)
  GROUP BY GROUPING SETS ((order_date), (month), ())
)
SELECT
  grain,
  period,
  revenue,
  orders,
  units,
  CAST(CAST(sign(revenue_e4) * sign(100 * orders)
            * ((2 * abs(revenue_e4) + abs(100 * orders))
               // (2 * abs(nullif(100 * orders, 0)))) AS DECIMAL(18, 0))
       * 0.01 AS DECIMAL(18, 2)) AS avg_order_value{{#cancellation}},
  cancelled_orders,
  cancelled_revenue{{/cancellation}}
FROM per_grain
ORDER BY by_day, by_month, period
