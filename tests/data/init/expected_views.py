#!/usr/bin/env python3
"""The shipped analytics views (docs/query.md, "The analytics views"), computed again from a
public export's published bytes with Python's csv module and Decimal: a second route to the
figures tests/e2e/init_test.sh checks, never shoplake's output or the sales model `init`
proposes. Each export's meaning (which column is the order, the revenue, a cancellation) is
written here from the dataset's SOURCE.md, not read from shoplake.yaml.

    expected_views.py superstore|retail EXPORT.csv QUERY

prints QUERY's rows as `shoplake query --format csv` prints the view: a header, then CSV,
money at the data's own scale (the most decimals its money columns have), averages and
percentages rounded once, half away from zero, from the exact quotient. QUERY is a view
name (total_sales, monthly_trend, top10_customers, top10_seller_products, sales_by_branch,
profit, repeat_customer_rate) or revenue_by_year / revenue_by_category (sums of the sales).
"""
import csv
import re
import sys
from collections import namedtuple
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal as D, getcontext

getcontext().prec = 60  # every quotient below is exact to far more digits than it is rounded to

# One sale line, in the terms of <database>.sales (docs/query.md, "The sales model").
Sale = namedtuple("Sale", "order ts customer customer_name product product_name category "
                          "branch quantity revenue cost cancelled is_product")


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def superstore(rows):
    """Tableau's Superstore: an order line per row; Sales is net of the discount (a rate);
    cost is Sales - Profit; the region is the branch; no cancellations, every line a product."""
    sales = [Sale(r["Order ID"], datetime.strptime(r["Order Date"], "%m/%d/%Y"),
                  r["Customer ID"], r["Customer Name"], r["Product ID"], r["Product Name"],
                  r["Category"], r["Region"], int(r["Quantity"]), D(r["Sales"]),
                  D(r["Sales"]) - D(r["Profit"]), False, True) for r in rows]
    scale = max(decimals(r[c]) for r in rows for c in ("Sales", "Profit"))
    return sales, scale


def retail(rows):
    """UCI Online Retail: an invoice line per row worth Quantity x UnitPrice; invoices starting
    with C cancel earlier sales; stock codes not starting with a digit (POST, D) are not
    products; a blank CustomerID is no customer (the id as its name); the country is the
    branch; no cost, no category."""
    def customer(r):
        return int(r["CustomerID"]) if r["CustomerID"] else None

    sales = [Sale(r["InvoiceNo"], datetime.strptime(r["InvoiceDate"], "%m/%d/%Y %H:%M"),
                  customer(r), r["CustomerID"] or None, r["StockCode"], r["Description"] or None,
                  None, r["Country"], int(r["Quantity"]), int(r["Quantity"]) * D(r["UnitPrice"]),
                  None, r["InvoiceNo"].startswith("C"),
                  re.match("[0-9]", r["StockCode"]) is not None) for r in rows]
    return sales, max(decimals(r["UnitPrice"]) for r in rows)


def rounded(numerator, denominator):
    """numerator / denominator to 0.01, half away from zero, once, as printed; None when
    dividing by 0."""
    if denominator == 0:
        return None
    quotient = D(numerator) / D(denominator)
    return str(quotient.quantize(D("0.01"), rounding=ROUND_HALF_UP))  # HALF_UP: away from 0


def latest(lines, field):
    """The field on the latest of the lines (largest ts); a tie between different values
    would leave the view's choice to the engine, so it stops the test instead."""
    last = max(s.ts for s in lines)
    values = {getattr(s, field) for s in lines if s.ts == last}
    if len(values) != 1:
        sys.exit(f"ambiguous {field} at {last}: {sorted(map(str, values))}")
    return values.pop()


def group(lines, key):
    groups = {}
    for s in lines:
        groups.setdefault(key(s), []).append(s)
    return groups


def orders_of(lines):
    return len({s.order for s in lines if not s.cancelled})


def month(day):
    return day.replace(day=1)


def total_sales(sales, has_cancellation):
    # An order belongs to the day of its earliest line; an order is cancelled when every
    # line is a cancellation.
    orders = []
    for lines in group(sales, lambda s: s.order).values():
        orders.append({"day": min(s.ts for s in lines).date(),
                       "revenue": sum(s.revenue for s in lines),
                       "units": sum(s.quantity for s in lines),
                       "cancelled": all(s.cancelled for s in lines),
                       "cancelled_revenue": sum(s.revenue for s in lines if s.cancelled)})
    out = []
    for grain, key in (("day", lambda o: o["day"]), ("month", lambda o: month(o["day"])),
                       ("all", lambda o: None)):
        for period, members in sorted(group(orders, key).items(), key=lambda kv: kv[0] or 0):
            revenue = sum(o["revenue"] for o in members)
            count = sum(1 for o in members if not o["cancelled"])
            row = [grain, period, revenue, count, sum(o["units"] for o in members),
                   rounded(revenue, count)]
            if has_cancellation:
                row += [sum(1 for o in members if o["cancelled"]),
                        sum(o["cancelled_revenue"] for o in members)]
            out.append(row)
    return out


def top10_customers(sales, has_cancellation):
    ranked = []
    for customer, lines in group([s for s in sales if s.customer is not None],
                                 lambda s: s.customer).items():
        sold = [s for s in lines if not s.cancelled]
        if sold:
            ranked.append((customer, sold, lines))
    ranked.sort(key=lambda c: (-sum(s.revenue for s in c[1]), c[0]))
    out = []
    for rank, (customer, sold, lines) in enumerate(ranked[:10], 1):
        row = [rank, customer, latest(sold, "customer_name"), orders_of(sold),
               sum(s.quantity for s in sold), sum(s.revenue for s in sold)]
        out.append(row + ([sum(s.revenue for s in lines)] if has_cancellation else []))
    return out


def top10_seller_products(sales, has_cancellation):
    products = []
    for product, lines in group([s for s in sales if s.is_product],
                                lambda s: s.product).items():
        sold = [s for s in lines if not s.cancelled]
        if sold:
            products.append({"id": product, "sold": sold,
                             "units": sum(s.quantity for s in sold),
                             "revenue": sum(s.revenue for s in sold),
                             "net_units": sum(s.quantity for s in lines),
                             "net_revenue": sum(s.revenue for s in lines)})
    out = []
    for ranking in ("units", "revenue"):
        top = sorted(products, key=lambda p: (-p[ranking], p["id"]))[:10]
        for rank, p in enumerate(top, 1):
            row = [ranking, rank, p["id"], latest(p["sold"], "product_name"),
                   latest(p["sold"], "category"), p["units"], p["revenue"]]
            out.append(row + ([p["net_units"], p["net_revenue"]] if has_cancellation else []))
    return out


def sales_by_branch(sales, has_cancellation):
    everything = sum(s.revenue for s in sales)
    out = []
    for branch, lines in group(sales, lambda s: s.branch).items():
        revenue = sum(s.revenue for s in lines)
        out.append([branch, branch, None, orders_of(lines), sum(s.quantity for s in lines),
                    revenue, rounded(100 * revenue, everything)])
    return sorted(out, key=lambda row: (-row[5], row[0]))


def profit(sales, has_cancellation):
    out = []
    for grain, key in (("month", lambda s: month(s.ts.date())), ("all", lambda s: None)):
        for period, lines in sorted(group(sales, key).items(), key=lambda kv: kv[0] or 0):
            revenue = sum(s.revenue for s in lines)
            cost = sum(s.cost for s in lines)
            # No gross or discount in these exports: gross is the revenue, discounts 0.
            out.append([grain, period, revenue, 0, revenue, cost, revenue - cost,
                        rounded(100 * (revenue - cost), revenue)])
    return out


def monthly_trend(sales, has_cancellation):
    out, before = [], None
    for row in total_sales(sales, False):
        if row[0] == "month":
            growth = None if before is None else rounded(100 * (row[2] - before), before)
            out.append(row[1:] + [growth])
            before = row[2]
    return out


def repeat_customer_rate(sales, has_cancellation):
    orders = group([s for s in sales if s.customer is not None and not s.cancelled],
                   lambda s: s.customer)
    repeat = sum(1 for lines in orders.values() if orders_of(lines) >= 2)
    return [[len(orders), repeat, rounded(100 * repeat, len(orders))]]


def revenue_by(key):
    return lambda sales, has_cancellation: [
        [k, sum(s.revenue for s in lines)] for k, lines in sorted(group(sales, key).items())]


QUERIES = {
    "total_sales": (total_sales, "grain,period,revenue,orders,units,avg_order_value",
                    ",cancelled_orders,cancelled_revenue"),
    "monthly_trend": (monthly_trend, "month,revenue,orders,units,avg_order_value,"
                                     "revenue_growth_pct", ""),
    "top10_customers": (top10_customers, "rank,customer_id,customer_name,orders,units,spend",
                        ",net_spend"),
    "top10_seller_products": (top10_seller_products,
                              "ranking,rank,product_id,product_name,category,units,revenue",
                              ",net_units,net_revenue"),
    "sales_by_branch": (sales_by_branch,
                        "branch_id,branch_name,branch_type,orders,units,revenue,share_pct", ""),
    "profit": (profit, "grain,period,gross_sales,discounts,revenue,cost,profit,margin_pct", ""),
    "repeat_customer_rate": (repeat_customer_rate,
                             "customers,repeat_customers,repeat_rate_pct", ""),
    "revenue_by_year": (revenue_by(lambda s: s.ts.year), "year,revenue", ""),
    "revenue_by_category": (revenue_by(lambda s: s.category), "category,revenue", ""),
}


def main():
    dataset, path, query = sys.argv[1:]
    encoding, read = {"superstore": ("cp1252", superstore), "retail": ("utf-8", retail)}[dataset]
    with open(path, newline="", encoding=encoding) as f:
        sales, scale = read(list(csv.DictReader(f)))
    has_cancellation = any(s.cancelled for s in sales)
    compute, header, cancellation_columns = QUERIES[query]
    money = D(1).scaleb(-scale)
    # Sums print at the data's scale (DuckDB's DECIMAL sum keeps it); rounded figures are
    # already text.
    def cell(value):
        if isinstance(value, D):
            return value.quantize(money)
        return "" if value is None else value

    out = csv.writer(sys.stdout, lineterminator="\n")
    print(header + (cancellation_columns if has_cancellation else ""))
    for row in compute(sales, has_cancellation):
        out.writerow([cell(v) for v in row])


if __name__ == "__main__":
    main()
