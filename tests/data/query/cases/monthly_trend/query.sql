SELECT * FROM shop.monthly_trend
