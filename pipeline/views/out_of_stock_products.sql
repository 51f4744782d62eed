-- Products out of stock (stock on hand <= 0) in the latest product snapshot, with their
-- demand in the 30 days before that snapshot (the snapshot is the stock of that morning):
-- units and orders of sales (shop.sales) dated from snapshot_date - 30 to snapshot_date - 1.
-- Most demanded first: those are the restocks that matter.
CREATE OR REPLACE VIEW shop.out_of_stock_products AS
WITH latest AS (
  SELECT * FROM shop.products
  WHERE snapshot_date = (SELECT max(snapshot_date) FROM shop.products)
),
demand AS (
  SELECT s.product_id, sum(s.quantity) AS units_30d, count(DISTINCT s.order_id) AS orders_30d
  FROM shop.sales s, (SELECT max(snapshot_date) AS day FROM shop.products) d
  WHERE s.order_date >= CAST(d.day - INTERVAL '30' DAY AS DATE) AND s.order_date < d.day
  GROUP BY s.product_id
)
SELECT
  p.product_id,
  p.product_name,
  p.category,
  p.snapshot_date,
  p.stock_on_hand,
  coalesce(d.units_30d, 0) AS units_30d,
  coalesce(d.orders_30d, 0) AS orders_30d
FROM latest p
LEFT JOIN demand d USING (product_id)
WHERE p.stock_on_hand <= 0
ORDER BY units_30d DESC, p.product_id
