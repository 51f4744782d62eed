-- The ten customers who spent the most (revenue of their sales, {{db}}.sales, cancellations
-- left out), with their orders and units. Lines with no customer are not a customer. Ties
-- go to the lower customer_id.
{{#cancellation}}
-- net_spend: the customer's spend net of their cancellations.
{{/cancellation}}
CREATE OR REPLACE VIEW {{db}}.top10_customers AS
SELECT
  row_number() OVER (ORDER BY sum(revenue) FILTER (WHERE NOT is_cancellation) DESC,
                     customer_id) AS rank,
  customer_id,
  max_by(customer_name, order_ts) FILTER (WHERE NOT is_cancellation) AS customer_name,
  count(DISTINCT order_id) FILTER (WHERE NOT is_cancellation) AS orders,
  sum(quantity) FILTER (WHERE NOT is_cancellation) AS units,
  sum(revenue) FILTER (WHERE NOT is_cancellation) AS spend{{#cancellation}},
  sum(revenue) AS net_spend{{/cancellation}}
FROM {{db}}.sales
WHERE customer_id IS NOT NULL
GROUP BY customer_id
HAVING count(*) FILTER (WHERE NOT is_cancellation) > 0
ORDER BY rank
LIMIT 10
