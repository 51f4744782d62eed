SELECT * FROM shop.out_of_stock_products
