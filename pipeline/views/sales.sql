-- What counts as a sale: THE rule every other view builds on (docs/query.md says it too).
--
-- A sale is an order line whose status is 'completed'. A 'cancelled' line was never
-- fulfilled and a 'returned' line was refunded: neither counts toward revenue, units,
-- orders, cost or customers, in any view.
--
-- Money, per line: gross = quantity * unit_price; discount is the line's discount, already
-- for all its units; revenue = gross - discount; cost = quantity * unit_cost (NULL when
-- the export has no unit cost: such a line adds no cost).
CREATE OR REPLACE VIEW shop.sales AS
SELECT
  order_id,
  line_no,
  order_ts,
  CAST(order_ts AS DATE) AS order_date,
  customer_id,
  customer_name,
  branch_id,
  branch_name,
  branch_type,
  product_id,
  product_name,
  category,
  quantity,
  unit_price,
  quantity * unit_price AS gross,
  coalesce(discount, 0) AS discount,
  quantity * unit_price - coalesce(discount, 0) AS revenue,
  quantity * unit_cost AS cost
FROM shop.order_lines
WHERE status = 'completed'
