SELECT * FROM shop.profit
