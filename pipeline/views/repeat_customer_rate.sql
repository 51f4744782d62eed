-- How many customers come back: of the customers with at least one sale (shop.sales), those
-- with sales in two or more distinct orders, and their share in %.
CREATE OR REPLACE VIEW shop.repeat_customer_rate AS
WITH per_customer AS (
  SELECT customer_id, count(DISTINCT order_id) AS orders FROM shop.sales GROUP BY customer_id
)
SELECT
  count(*) AS customers,
  count(*) FILTER (WHERE orders >= 2) AS repeat_customers,
  CAST(round(CAST(100 * count(*) FILTER (WHERE orders >= 2) AS DOUBLE) / count(*), 2)
       AS DECIMAL(9, 2))
    AS repeat_rate_pct
FROM per_customer
