-- The sales rule (pipeline/views/sales.sql), in sqlite3: completed lines only; money in
-- integer cents so sums are exact. Formatting: printf('%.2f', cents / 100.0). An empty
-- field (sqlite3 imports it as '') has no value, as the mapping's null_strings say: an
-- empty discount is none, an empty unit cost is unknown.
CREATE VIEW sales AS
SELECT
  *,
  date(order_ts) AS order_date,
  quantity * CAST(round(unit_price * 100) AS INTEGER) AS gross_c,
  CAST(round(coalesce(nullif(discount, ''), 0) * 100) AS INTEGER) AS discount_c,
  quantity * CAST(round(unit_price * 100) AS INTEGER)
    - CAST(round(coalesce(nullif(discount, ''), 0) * 100) AS INTEGER) AS revenue_c,
  -- An empty unit cost is unknown (NULL): the line adds no cost.
  quantity * CAST(round(nullif(unit_cost, '') * 100) AS INTEGER) AS cost_c
FROM lines
WHERE status = 'completed';
