-- Sales per branch (or region, as the sales model says): orders (cancellations left out),
-- units and revenue (net of cancellations) and the branch's share of all revenue (%, to
-- 0.01%, NULL when all revenue is 0). Sales as {{db}}.sales defines them. A branch's name and
-- type are those of its latest sale (the largest order_ts). Largest revenue first; ties go
-- to the lower branch_id.
--
-- Money is exact (docs/query.md, "Rounding"): the share is computed in integer hundredths
-- of a percent from money in integer ten-thousandths (_e4: exact for money with up to 4
-- decimals, as Superstore's; cents would round twice) and rounded once, half away from zero,
-- with BIGINT division (`//`; the Athena named query spells it `/`, which divides BIGINTs the
-- same way): never a DOUBLE.
CREATE OR REPLACE VIEW {{db}}.sales_by_branch AS
WITH per_branch AS (
  SELECT
    branch_id,
    max_by(branch_name, order_ts) AS branch_name,
    max_by(branch_type, order_ts) AS branch_type,
    count(DISTINCT order_id) FILTER (WHERE NOT is_cancellation) AS orders,
    sum(quantity) AS units,
    sum(revenue) AS revenue,
    CAST(sum(revenue) * 10000 AS BIGINT) AS revenue_e4,
    CAST(sum(sum(revenue)) OVER () * 10000 AS BIGINT) AS all_e4
  FROM {{db}}.sales
  GROUP BY branch_id
)
SELECT
  branch_id,
  branch_name,
  branch_type,
  orders,
  units,
  revenue,
  CAST(CAST(sign(revenue_e4) * sign(all_e4)
            * ((2 * abs(10000 * revenue_e4) + abs(all_e4))
               // (2 * abs(nullif(all_e4, 0)))) AS DECIMAL(18, 0))
       * 0.01 AS DECIMAL(9, 2)) AS share_pct
FROM per_branch
ORDER BY revenue DESC, branch_id
