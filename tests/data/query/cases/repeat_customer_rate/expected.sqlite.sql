-- Rounding as docs/query.md states it: integer cents (or hundredths of a percent), integer
-- division, half away from zero, once: q = sign(n/d) * ((2|n| + |d|) / (2|d|)); empty when
-- d is 0.
WITH per_customer AS (
  SELECT customer_id, count(DISTINCT order_id) AS orders FROM sales GROUP BY customer_id
)
SELECT count(*) AS customers,
       sum(orders >= 2) AS repeat_customers,
       CASE WHEN count(*) <> 0 THEN printf('%.2f',
         (CASE WHEN (10000 * sum(orders >= 2)) < 0 AND count(*) > 0 OR (10000 * sum(orders >= 2)) > 0 AND count(*) < 0 THEN -1 ELSE 1 END)
         * ((2 * abs(10000 * sum(orders >= 2)) + abs(count(*))) / (2 * abs(count(*)))) / 100.0) END AS repeat_rate_pct
FROM per_customer;
