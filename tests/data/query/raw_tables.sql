-- The raw exports as sqlite3 sees them, for the expected answers of the view cases: the
-- same stated rules as pipeline/views, computed another way (sqlite3, integer cents) over
-- the shop's CSV files rather than the lake. expected.sh imports the files into these tables.
CREATE TABLE lines (
  order_id INTEGER, line_no INTEGER, order_ts TEXT, status TEXT, payment_method TEXT,
  customer_id INTEGER, customer_name TEXT, customer_email TEXT, branch_id INTEGER,
  branch_name TEXT, branch_type TEXT, product_id INTEGER, product_name TEXT, category TEXT,
  quantity INTEGER, unit_price REAL, unit_cost REAL, discount REAL);
CREATE TABLE products (
  product_id INTEGER, product_name TEXT, category TEXT, price REAL, cost REAL,
  stock_on_hand INTEGER, snapshot_date TEXT);
