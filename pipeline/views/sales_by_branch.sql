-- Sales per branch: orders, units, revenue and the branch's share of all revenue (%).
-- Sales as shop.sales defines them.
CREATE OR REPLACE VIEW shop.sales_by_branch AS
SELECT
  branch_id,
  max_by(branch_name, order_ts) AS branch_name,
  max_by(branch_type, order_ts) AS branch_type,
  count(DISTINCT order_id) AS orders,
  sum(quantity) AS units,
  sum(revenue) AS revenue,
  CAST(round(CAST(100 * sum(revenue) AS DOUBLE) / sum(sum(revenue)) OVER (), 2)
       AS DECIMAL(9, 2)) AS share_pct
FROM shop.sales
GROUP BY branch_id
ORDER BY revenue DESC, branch_id
