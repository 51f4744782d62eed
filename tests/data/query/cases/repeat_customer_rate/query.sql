SELECT * FROM shop.repeat_customer_rate
