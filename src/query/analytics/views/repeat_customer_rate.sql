-- How many customers come back: of the customers with at least one sale ({{db}}.sales;
-- cancellations and lines with no customer left out), those with sales in two or more
-- distinct orders, and their share in % (to 0.01%, NULL when no
-- customer has a sale).
--
-- Exact (docs/query.md, "Rounding"): the share is computed in integer hundredths of a
-- percent and rounded once, half away from zero, with BIGINT division (`//`; the Athena
-- named query spells it `/`, which divides BIGINTs the same way): never a DOUBLE.
CREATE OR REPLACE VIEW {{db}}.repeat_customer_rate AS
WITH per_customer AS (
  SELECT customer_id, count(DISTINCT order_id) AS orders
  FROM {{db}}.sales
  WHERE customer_id IS NOT NULL AND NOT is_cancellation
  GROUP BY customer_id
),
counts AS (
  SELECT count(*) AS customers, count(*) FILTER (WHERE orders >= 2) AS repeat_customers
  FROM per_customer
)
SELECT
  customers,
  repeat_customers,
  CAST(CAST(sign(repeat_customers) * sign(customers)
            * ((2 * abs(10000 * repeat_customers) + abs(customers))
               // (2 * abs(nullif(customers, 0)))) AS DECIMAL(18, 0))
       * 0.01 AS DECIMAL(9, 2)) AS repeat_rate_pct
FROM counts
