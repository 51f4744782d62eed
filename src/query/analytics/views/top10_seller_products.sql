-- The ten best-selling products twice over: by units sold and by revenue ({{db}}.sales says
-- what a sale is). Products are ranked by their sales: lines that are cancellations, and
-- lines that are not products (postage, fees), are left out. Ties go to the lower
-- product_id, so the list is the same on every run.
{{#cancellation}}
-- net_units and net_revenue: the product's figures net of its cancellations.
{{/cancellation}}
CREATE OR REPLACE VIEW {{db}}.top10_seller_products AS
WITH per_product AS (
  SELECT
    product_id,
    -- A product's name and category as of its latest sale.
    max_by(product_name, order_ts) FILTER (WHERE NOT is_cancellation) AS product_name,
    max_by(category, order_ts) FILTER (WHERE NOT is_cancellation) AS category,
    sum(quantity) FILTER (WHERE NOT is_cancellation) AS units,
    sum(revenue) FILTER (WHERE NOT is_cancellation) AS revenue,
    sum(quantity) AS net_units,
    sum(revenue) AS net_revenue
  FROM {{db}}.sales
  WHERE is_product AND product_id IS NOT NULL
  GROUP BY product_id
  HAVING count(*) FILTER (WHERE NOT is_cancellation) > 0
),
ranked AS (
  SELECT 'units' AS ranking, row_number() OVER (ORDER BY units DESC, product_id) AS rank, *
  FROM per_product
  UNION ALL
  SELECT 'revenue' AS ranking, row_number() OVER (ORDER BY revenue DESC, product_id) AS rank, *
  FROM per_product
)
SELECT ranking, rank, product_id, product_name, category, units, revenue{{#cancellation}},
       net_units, net_revenue{{/cancellation}}
FROM ranked
WHERE rank <= 10
ORDER BY ranking DESC, rank
