-- Every order line, whatever its status: the base the sales rule filters.
SELECT status, count(*) AS lines, sum(quantity) AS units,
       sum(quantity * unit_price - coalesce(discount, 0)) AS amount
FROM shop.order_lines
GROUP BY status
ORDER BY status
