SELECT * FROM shop.top10_seller_products
