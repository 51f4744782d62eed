WITH per_customer AS (
  SELECT customer_id,
         (SELECT customer_name FROM sales s2 WHERE s2.customer_id = s.customer_id
          ORDER BY order_ts DESC LIMIT 1) AS customer_name,
         count(DISTINCT order_id) AS orders, sum(quantity) AS units, sum(revenue_c) AS spend_c
  FROM sales s GROUP BY customer_id
)
SELECT (SELECT count(*) FROM per_customer q
        WHERE q.spend_c > p.spend_c OR (q.spend_c = p.spend_c AND q.customer_id < p.customer_id))
       + 1 AS rank,
       customer_id, customer_name, orders, units, printf('%.2f', spend_c / 100.0) AS spend
FROM per_customer p
ORDER BY rank
LIMIT 10;
