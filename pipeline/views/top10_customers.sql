-- The ten customers who spent the most (revenue of their sales, shop.sales), with their
-- orders and units. Ties go to the lower customer_id.
CREATE OR REPLACE VIEW shop.top10_customers AS
SELECT
  row_number() OVER (ORDER BY sum(revenue) DESC, customer_id) AS rank,
  customer_id,
  max_by(customer_name, order_ts) AS customer_name,
  count(DISTINCT order_id) AS orders,
  sum(quantity) AS units,
  sum(revenue) AS spend
FROM shop.sales
GROUP BY customer_id
ORDER BY rank
LIMIT 10
