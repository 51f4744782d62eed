SELECT * FROM shop.sales_by_branch
