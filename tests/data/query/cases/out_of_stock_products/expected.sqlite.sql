WITH last AS (SELECT max(snapshot_date) AS day FROM products),
demand AS (
  SELECT product_id, sum(quantity) AS units_30d, count(DISTINCT order_id) AS orders_30d
  FROM sales, last
  WHERE order_date >= date(last.day, '-30 days') AND order_date < last.day
  GROUP BY product_id
)
SELECT p.product_id, p.product_name, p.category, p.snapshot_date, p.stock_on_hand,
       coalesce(d.units_30d, 0) AS units_30d, coalesce(d.orders_30d, 0) AS orders_30d
FROM products p JOIN last ON p.snapshot_date = last.day
LEFT JOIN demand d ON d.product_id = p.product_id
WHERE p.stock_on_hand <= 0
ORDER BY units_30d DESC, p.product_id;
