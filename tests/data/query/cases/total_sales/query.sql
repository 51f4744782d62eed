SELECT * FROM shop.total_sales
