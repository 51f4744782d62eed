-- The sales rule (pipeline/views/sales.sql), in sqlite3: completed lines only; money in
-- integer cents so sums are exact. Formatting: printf('%.2f', cents / 100.0).
CREATE VIEW sales AS
SELECT
  *,
  date(order_ts) AS order_date,
  quantity * CAST(round(unit_price * 100) AS INTEGER) AS gross_c,
  CAST(round(coalesce(discount, 0) * 100) AS INTEGER) AS discount_c,
  quantity * CAST(round(unit_price * 100) AS INTEGER)
    - CAST(round(coalesce(discount, 0) * 100) AS INTEGER) AS revenue_c,
  quantity * CAST(round(unit_cost * 100) AS INTEGER) AS cost_c
FROM lines
WHERE status = 'completed';
