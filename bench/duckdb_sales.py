#!/usr/bin/env python3
"""The ten online-retail sales reports (SPEC §4.2, §9 "Order lines") in DuckDB SQL.

    duckdb_sales.py --input DIR --out DIR [--threads N] [--top 10]

The comparison competitor of `bench/compare.sh --format online-retail`. The invoice lines
are read once into a temporary table, the per-customer figures (read by five reports) into
a second one; then each report is one SQL statement written with COPY ... TO
'OUT/<report>.csv'. All the work is done inside DuckDB; Python only lists the files and
sends the statements.

How this follows SPEC, and where it does not:
- Money is integer cents. The price text is cut after its third decimal and cast to
  DECIMAL(18,3), then ROUND(price * 100) (DECIMAL rounding is half away from zero): exactly
  "price × 100 rounded half away from zero" whatever the number of decimals, with no
  floating point. Line amount = quantity × unit cents; every sum is an integer (HUGEINT).
  Averages, the median, rates and percentages are computed from integers and rounded half
  away from zero with integer arithmetic, signs handled apart, and printed with printf:
  money with 2 decimals (`-1.50`), rates 6, percentages 2.
- A line is cancelled when its invoice starts with `C` (case-sensitive). Only `monthly`
  reads cancelled lines; the other reports read the view `ok` (the other lines). Guests
  (empty Customer ID) are in `ok` but not in the per-customer table `cu`, so they are left
  out of customers, top_customers, repeat_customers, customer_product_repeats, rfm and
  monthly's customer counts, and kept everywhere else. `orders` is always
  count(DISTINCT invoice) over the lines counted.
- Times: `YYYY-MM-DD HH:MM:SS` or `M/D/YYYY H:MM` (the two forms of the Online Retail
  exports), read as a wall clock; dates, months and dayparts come from that clock.
- Text ordering: DuckDB's default collation is binary, i.e. UTF-8 byte order, as SPEC §9
  asks; ids (invoice, stock code, customer) are text, never numbers.
- Empty fields: read as NULL and coalesced to '' (an empty country is one location, ''
  sorts first); written back as empty fields (txt()).
- customers and rfm are written as single files OUT/customers.csv and OUT/rfm.csv sorted
  by customer_id, not one part per worker; check.py unions cartflow's parts to compare.
- NOT done (differs from SPEC): rows cartflow would reject (a missing invoice, stock code,
  quantity, date or price, a non-integer quantity, an unparsable date or price, a negative
  price, a wrong field count) make DuckDB fail the whole run instead of going to _rejects/;
  there is no _quality.csv, no _epoch.json, no change log, no file de-duplication by
  content, no trimming of spaces around fields, and only the two time forms above.
  Columns are read by position after checking the header names (common.input_files).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import die, input_files, parse_args  # noqa: E402

import duckdb  # noqa: E402

# Exact formatting of signed integers (cents, counts) and of rounded integer quotients.
MACROS = """
CREATE MACRO sgn(v) AS CASE WHEN v < 0 THEN '-' ELSE '' END;
-- a / b rounded half away from zero to 1/scale, as an integer; b <> 0, any signs.
CREATE MACRO rdiv(a, b, scale) AS
    CASE WHEN (a < 0) <> (b < 0) THEN -1 ELSE 1 END
    * ((2 * abs(a::HUGEINT) * scale + abs(b::HUGEINT)) // (2 * abs(b::HUGEINT)));
-- v: an integer count of cents (or of 10^-6 or 10^-2 units); printed with its decimals.
CREATE MACRO money(v) AS sgn(v) || printf('%d.%02d', abs(v) // 100, abs(v) % 100);
CREATE MACRO fix6(v) AS sgn(v) || printf('%d.%06d', abs(v) // 1000000, abs(v) % 1000000);
-- a / b with 6 or 2 decimals; NULL (an empty field) when b = 0.
CREATE MACRO dec6(a, b) AS CASE WHEN b = 0 THEN NULL ELSE fix6(rdiv(a, b, 1000000)) END;
CREATE MACRO dec2(a, b) AS CASE WHEN b = 0 THEN NULL ELSE money(rdiv(a, b, 100)) END;
CREATE MACRO txt(s) AS nullif(s, '');
"""

SEGMENT = """CASE WHEN r >= 4 AND f >= 4 THEN 'Champions'
                 WHEN r >= 2 AND f >= 4 THEN 'Loyal'
                 WHEN r <= 2 AND f >= 3 THEN 'At risk'
                 WHEN r >= 4 THEN 'Promising'
                 WHEN r = 3 THEN 'Needs attention'
                 ELSE 'Hibernating' END"""


def reports(top: int) -> dict[str, str]:
    # Sort keys are always qualified (t.col) or raw expressions: an output column of the
    # same name holds the printed text and must not be what ORDER BY binds to.
    return {
        # Name: the most frequent non-empty description on the product's lines, ties the
        # smallest by bytes; computed for the leaderboard's products only.
        "top_products": f"""
            WITH p AS (
                SELECT product, sum(qty) AS units, count(DISTINCT inv) AS orders,
                       sum(amount) AS revenue
                FROM ok GROUP BY product
                ORDER BY units DESC, product LIMIT {top}),
            names AS (
                SELECT product, descr FROM ok
                WHERE descr <> '' AND product IN (SELECT product FROM p)
                GROUP BY product, descr
                QUALIFY row_number() OVER (PARTITION BY product ORDER BY count(*) DESC, descr) = 1)
            SELECT txt(p.product) AS product_id, txt(names.descr) AS product_name, p.units,
                   p.orders, money(p.revenue) AS revenue
            FROM p LEFT JOIN names USING (product)
            ORDER BY p.units DESC, p.product""",
        "customers": """
            SELECT cu.cust AS customer_id, cu.orders, cu.units, money(cu.revenue) AS revenue,
                   strftime(cu.first_ts, '%Y-%m-%d') AS first_order,
                   strftime(cu.last_ts, '%Y-%m-%d') AS last_order
            FROM cu ORDER BY cu.cust""",
        "repeat_customers": """
            SELECT customers, repeat_customers, dec6(repeat_customers, customers) AS repeat_rate,
                   orders, repeat_orders
            FROM (SELECT (SELECT count(*) FROM cu) AS customers,
                         (SELECT count(*) FROM cu WHERE orders >= 2) AS repeat_customers,
                         (SELECT count(DISTINCT inv) FROM ok WHERE cust <> '') AS orders,
                         (SELECT count(DISTINCT inv) FROM ok
                          WHERE cust IN (SELECT cust FROM cu WHERE orders >= 2)) AS repeat_orders)""",
        "top_customers": f"""
            SELECT cu.cust AS customer_id, cu.orders, cu.units, money(cu.revenue) AS revenue
            FROM cu ORDER BY cu.orders DESC, cu.cust LIMIT {top}""",
        "customer_product_repeats": f"""
            SELECT cust AS customer_id, product AS product_id, count(*) AS purchases
            FROM ok WHERE cust <> '' GROUP BY cust, product
            ORDER BY count(*) DESC, ok.cust, ok.product LIMIT {top}""",
        "time_of_day": """
            SELECT ['Morning', 'Afternoon', 'Evening'][d.part + 1] AS daypart, d.lines, d.units,
                   money(d.revenue) AS revenue
            FROM (SELECT CASE WHEN hour(ts) < 12 THEN 0 WHEN hour(ts) < 17 THEN 1 ELSE 2 END AS part,
                         count(*) AS lines, sum(qty) AS units, sum(amount) AS revenue
                  FROM ok GROUP BY part) AS d
            ORDER BY d.part""",
        # Every month with a line of any kind; growth over the previous calendar month's
        # revenue, empty when that month has no row or a revenue of 0. New customers: those
        # whose first non-cancelled line (cu.first_ts) is in the month.
        "monthly": """
            WITH m AS (
                SELECT date_trunc('month', ts) AS month,
                       count(DISTINCT inv) FILTER (WHERE NOT cancelled) AS orders,
                       count(DISTINCT inv) FILTER (WHERE cancelled) AS cancelled_orders,
                       coalesce(sum(amount) FILTER (WHERE NOT cancelled), 0) AS revenue,
                       coalesce(sum(abs(amount)) FILTER (WHERE cancelled), 0) AS cancelled_revenue,
                       count(DISTINCT cust) FILTER (WHERE NOT cancelled AND cust <> '') AS active
                FROM ln GROUP BY month),
            fresh AS (
                SELECT date_trunc('month', first_ts) AS month, count(*) AS new
                FROM cu GROUP BY month)
            SELECT strftime(m.month, '%Y-%m') AS month, m.orders, m.cancelled_orders,
                   money(m.revenue) AS revenue, money(m.cancelled_revenue) AS cancelled_revenue,
                   CASE WHEN prev.revenue IS NULL OR prev.revenue = 0 THEN NULL
                        ELSE dec2((m.revenue - prev.revenue) * 100, prev.revenue) END AS growth_pct,
                   m.active AS active_customers, coalesce(fresh.new, 0) AS new_customers,
                   m.active - coalesce(fresh.new, 0) AS returning_customers
            FROM m LEFT JOIN m AS prev ON prev.month = m.month - INTERVAL 1 MONTH
                   LEFT JOIN fresh ON fresh.month = m.month
            ORDER BY m.month""",
        # Order totals of non-cancelled invoices, guests included. Median: the totals at
        # ranks (n+1)//2 and n//2+1 (the same one when n is odd), averaged and rounded
        # half away from zero; mode: the most frequent total, ties the smallest.
        "order_values": """
            WITH t AS (SELECT sum(amount) AS total FROM ok GROUP BY inv),
            s AS (SELECT count(*) AS n, sum(total) AS sum, min(total) AS lo, max(total) AS hi FROM t),
            mid AS (SELECT min(total) AS a, max(total) AS b
                    FROM (SELECT total, row_number() OVER (ORDER BY total) AS rank FROM t) AS r, s
                    WHERE r.rank IN ((s.n + 1) // 2, s.n // 2 + 1)),
            mode AS (SELECT total FROM t GROUP BY total ORDER BY count(*) DESC, total LIMIT 1)
            SELECT s.n AS orders,
                   CASE WHEN s.n = 0 THEN NULL ELSE money(rdiv(s.sum, s.n, 1)) END AS mean,
                   CASE WHEN s.n = 0 THEN NULL ELSE money(rdiv(mid.a + mid.b, 2, 1)) END AS median,
                   money((SELECT total FROM mode)) AS mode,
                   money(s.lo) AS min, money(s.hi) AS max
            FROM s, mid""",
        # Reference: the day after the latest day of any non-cancelled line (guests too).
        # Scores 1 + floor(5 (rank - 1) / n); ranks by recency desc, frequency asc,
        # monetary asc, each tie by customer_id.
        "rfm": f"""
            WITH ref AS (SELECT max(ts)::DATE + 1 AS day FROM ok),
            n AS (SELECT count(*) AS n FROM cu),
            c AS (SELECT cu.cust, date_diff('day', cu.last_ts::DATE, ref.day) AS recency,
                         cu.orders AS frequency, cu.revenue AS monetary FROM cu, ref),
            s AS (SELECT c.*,
                         1 + 5 * (row_number() OVER (ORDER BY recency DESC, cust) - 1) // n.n AS r,
                         1 + 5 * (row_number() OVER (ORDER BY frequency, cust) - 1) // n.n AS f,
                         1 + 5 * (row_number() OVER (ORDER BY monetary, cust) - 1) // n.n AS m
                  FROM c, n)
            SELECT s.cust AS customer_id, s.recency AS recency_days, s.frequency,
                   money(s.monetary) AS monetary, s.r, s.f, s.m, {SEGMENT} AS segment
            FROM s ORDER BY s.cust""",
        # All online-retail lines are online, so online_revenue = revenue.
        "revenue_by_location": """
            SELECT txt(g.country) AS location, g.orders, money(g.revenue) AS revenue,
                   money(g.revenue) AS online_revenue
            FROM (SELECT country, count(DISTINCT inv) AS orders, sum(amount) AS revenue
                  FROM ok GROUP BY country) AS g
            ORDER BY g.revenue DESC, g.country""",
    }


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def main() -> None:
    a = parse_args("DuckDB", "SPEC §4.2 online-retail sales reports", "online-retail")
    files = input_files(a.input, "online-retail")
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect()  # in memory
    con.execute(f"SET threads = {a.threads}")
    con.execute("SET preserve_insertion_order = false")  # every report has an ORDER BY
    con.execute("SET default_null_order = 'nulls_first'")  # NULL sorts where '' would
    con.execute(MACROS)
    file_list = "[" + ", ".join(sql_str(f) for f in files) + "]"
    try:
        # Read once, every column as text but Quantity; cents from the price text cut after
        # its third decimal (exact rounding, see the top of the file).
        con.execute(f"""
            CREATE TEMP TABLE ln AS
            SELECT Invoice AS inv, starts_with(Invoice, 'C') AS cancelled, StockCode AS product,
                   coalesce(Description, '') AS descr, Quantity AS qty,
                   strptime(InvoiceDate, ['%Y-%m-%d %H:%M:%S', '%m/%d/%Y %H:%M']) AS ts,
                   starts_with(Price, '-') AND regexp_matches(Price, '[1-9]') AS negative,
                   round(CAST(CASE WHEN instr(Price, '.') > 0 THEN left(Price, instr(Price, '.') + 3)
                                   ELSE Price END AS DECIMAL(18, 3)) * 100)::BIGINT AS cents,
                   Quantity * cents AS amount,
                   coalesce("Customer ID", '') AS cust, coalesce(Country, '') AS country
            FROM read_csv({file_list}, header = true, auto_detect = false, delim = ',',
                          quote = '"', escape = '"',
                          columns = {{'Invoice': 'VARCHAR', 'StockCode': 'VARCHAR',
                                      'Description': 'VARCHAR', 'Quantity': 'BIGINT',
                                      'InvoiceDate': 'VARCHAR', 'Price': 'VARCHAR',
                                      'Customer ID': 'VARCHAR', 'Country': 'VARCHAR'}})""")
        bad = con.execute("""
            SELECT count(*) FROM ln
            WHERE inv IS NULL OR product IS NULL OR qty IS NULL OR ts IS NULL OR cents IS NULL
               OR negative""").fetchone()[0]
    except duckdb.Error as e:
        die(f"cannot read the input: {e}")
    if bad:
        die(f"{bad} rows miss a required field or have a negative price "
            "(cartflow would reject them; this script does not)")
    con.execute("CREATE TEMP VIEW ok AS SELECT * FROM ln WHERE NOT cancelled")
    # Per customer (non-guest, non-cancelled lines): customers, repeat_customers,
    # top_customers, monthly's new customers and rfm read it.
    con.execute("""
        CREATE TEMP TABLE cu AS
        SELECT cust, count(DISTINCT inv) AS orders, sum(qty) AS units, sum(amount) AS revenue,
               min(ts) AS first_ts, max(ts) AS last_ts
        FROM ok WHERE cust <> '' GROUP BY cust""")
    t_load = time.perf_counter()
    for name, query in reports(a.top).items():
        path = os.path.join(a.out, f"{name}.csv")
        con.execute(f"COPY ({query}) TO {sql_str(path)} (FORMAT csv, HEADER true)")
    t_end = time.perf_counter()
    print(f"duckdb {duckdb.__version__}: {len(files)} files, threads={a.threads}: "
          f"load {t_load - t0:.2f}s, reports {t_end - t_load:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
