-- Rounding as docs/query.md states it: integer cents (or hundredths of a percent), integer
-- division, half away from zero, once: q = sign(n/d) * ((2|n| + |d|) / (2|d|)); empty when
-- d is 0.
WITH per_branch AS (
  SELECT branch_id,
         (SELECT branch_name FROM sales s2 WHERE s2.branch_id = s.branch_id
          ORDER BY order_ts DESC LIMIT 1) AS branch_name,
         (SELECT branch_type FROM sales s2 WHERE s2.branch_id = s.branch_id
          ORDER BY order_ts DESC LIMIT 1) AS branch_type,
         count(DISTINCT order_id) AS orders, sum(quantity) AS units, sum(revenue_c) AS revenue_c
  FROM sales s GROUP BY branch_id
)
SELECT branch_id, branch_name, branch_type, orders, units,
       printf('%.2f', revenue_c / 100.0) AS revenue,
       CASE WHEN (SELECT sum(revenue_c) FROM per_branch) <> 0 THEN printf('%.2f',
         (CASE WHEN (10000 * revenue_c) < 0 AND (SELECT sum(revenue_c) FROM per_branch) > 0 OR (10000 * revenue_c) > 0 AND (SELECT sum(revenue_c) FROM per_branch) < 0 THEN -1 ELSE 1 END)
         * ((2 * abs(10000 * revenue_c) + abs((SELECT sum(revenue_c) FROM per_branch))) / (2 * abs((SELECT sum(revenue_c) FROM per_branch)))) / 100.0) END AS share_pct
FROM per_branch
ORDER BY revenue_c DESC, branch_id;
