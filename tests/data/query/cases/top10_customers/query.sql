SELECT * FROM shop.top10_customers
