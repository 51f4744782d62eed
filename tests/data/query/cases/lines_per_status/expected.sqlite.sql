SELECT status, count(*) AS lines, sum(quantity) AS units,
       printf('%.2f', sum(quantity * CAST(round(unit_price * 100) AS INTEGER)
                          - CAST(round(coalesce(nullif(discount, ''), 0) * 100) AS INTEGER)) / 100.0) AS amount
FROM lines
GROUP BY status
ORDER BY status;
