-- The ten best-selling products twice over: by units sold and by revenue (shop.sales says
-- what a sale is). Ties go to the lower product_id, so the list is the same on every run.
CREATE OR REPLACE VIEW shop.top10_seller_products AS
WITH per_product AS (
  SELECT
    product_id,
    -- A product's name and category as of its latest sale.
    max_by(product_name, order_ts) AS product_name,
    max_by(category, order_ts) AS category,
    sum(quantity) AS units,
    sum(revenue) AS revenue
  FROM shop.sales
  GROUP BY product_id
),
ranked AS (
  SELECT 'units' AS ranking, row_number() OVER (ORDER BY units DESC, product_id) AS rank, *
  FROM per_product
  UNION ALL
  SELECT 'revenue' AS ranking, row_number() OVER (ORDER BY revenue DESC, product_id) AS rank, *
  FROM per_product
)
SELECT ranking, rank, product_id, product_name, category, units, revenue
FROM ranked
WHERE rank <= 10
ORDER BY ranking DESC, rank
