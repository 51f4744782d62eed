-- Products out of stock (stock on hand <= 0) in the latest stock snapshot (the sales model's
-- sales.stock), with their demand in the 30 days before that snapshot (the snapshot is the
-- stock of that morning): units and orders of sales ({{db}}.sales, cancellations left out)
-- dated from snapshot_date - 30 to snapshot_date - 1. Most demanded first: those are the
-- restocks that matter.
CREATE OR REPLACE VIEW {{db}}.out_of_stock_products AS
WITH snapshots AS (
  SELECT
    {{{stock.product}}} AS product_id,
    {{{stock.product_name}}} AS product_name,
    {{{stock.category}}} AS category,
    CAST({{{stock.time}}} AS DATE) AS snapshot_date,
    {{{stock.on_hand}}} AS stock_on_hand
  FROM {{{stock.table}}}
),
latest AS (
  SELECT * FROM snapshots WHERE snapshot_date = (SELECT max(snapshot_date) FROM snapshots)
),
demand AS (
  SELECT s.product_id, sum(s.quantity) AS units_30d, count(DISTINCT s.order_id) AS orders_30d
  FROM {{db}}.sales s, (SELECT max(snapshot_date) AS day FROM snapshots) d
  WHERE s.order_date >= CAST(d.day - INTERVAL '30' DAY AS DATE) AND s.order_date < d.day
    AND NOT s.is_cancellation
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
