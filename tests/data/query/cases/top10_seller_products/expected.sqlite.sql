WITH per_product AS (
  SELECT product_id,
         (SELECT product_name FROM sales s2 WHERE s2.product_id = s.product_id
          ORDER BY order_ts DESC LIMIT 1) AS product_name,
         (SELECT category FROM sales s2 WHERE s2.product_id = s.product_id
          ORDER BY order_ts DESC LIMIT 1) AS category,
         sum(quantity) AS units, sum(revenue_c) AS revenue_c
  FROM sales s GROUP BY product_id
),
by_units AS (
  SELECT 'units' AS ranking, (SELECT count(*) FROM per_product q
     WHERE q.units > p.units OR (q.units = p.units AND q.product_id < p.product_id)) + 1 AS rank, *
  FROM per_product p
),
by_revenue AS (
  SELECT 'revenue' AS ranking, (SELECT count(*) FROM per_product q
     WHERE q.revenue_c > p.revenue_c
        OR (q.revenue_c = p.revenue_c AND q.product_id < p.product_id)) + 1 AS rank, *
  FROM per_product p
)
SELECT ranking, rank, product_id, product_name, category, units,
       printf('%.2f', revenue_c / 100.0) AS revenue
FROM (SELECT * FROM by_units UNION ALL SELECT * FROM by_revenue)
WHERE rank <= 10
ORDER BY ranking DESC, rank;
