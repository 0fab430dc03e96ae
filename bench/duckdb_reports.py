#!/usr/bin/env python3
"""The ten SPEC §4.1 interaction reports in DuckDB SQL, as the comparison competitor.

    duckdb_reports.py --input DIR --out DIR [--threads N] [--top 10] [--per-group 3]

The input is read once into a temporary table (typed, empty text fields as ''), then each
report is one SQL statement written with COPY ... TO 'OUT/<report>.csv'. All the work is
done inside DuckDB; Python only lists the files and sends the statements.

How this follows SPEC, and where it does not:
- Money is integer cents: the CSV reader parses `price` as DECIMAL(18,2) (exact), and every
  sum is an integer. Averages, rates and shares are computed from integers and rounded half
  away from zero with integer arithmetic ((2a + b) // 2b), then printed with printf, so the
  figures should match cartflow's digit for digit.
- Text ordering: DuckDB's default collation is binary, i.e. UTF-8 byte order, as SPEC §9
  asks. Ids are read as VARCHAR, never as numbers.
- Empty fields: DuckDB reads an empty field as NULL; the table coalesces text to '' so that
  an empty session is one session (count(DISTINCT) would skip NULLs) and '' sorts first.
  On output '' is turned back into NULL so it is written as an empty field rather than "".
- NOT done (differs from SPEC): rows that cartflow would reject (bad price or time, wrong
  field count, negative price, missing required field) make DuckDB fail the whole run
  instead of going to _rejects/; there is no _quality.csv, no file de-duplication by content,
  and no trimming of spaces around fields (generated files have none). Columns are read by
  position after checking the header names (common.input_files), not matched by name.
- user_preferences is written as one file, OUT/user_preferences.csv, not one part per worker.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BANDS, die, input_files, parse_args  # noqa: E402

import duckdb  # noqa: E402

# Formatting macros over non-negative integers (cents, counts). printf keeps them exact.
MACROS = """
CREATE MACRO money(c) AS printf('%d.%02d', c // 100, c % 100);
-- a / b rounded half away from zero to `scale` decimals (a >= 0, b > 0), as an integer
CREATE MACRO rdiv(a, b, scale) AS (2 * a::HUGEINT * scale + b) // (2 * b);
CREATE MACRO dec6(a, b) AS CASE WHEN b = 0 THEN NULL ELSE
    printf('%d.%06d', rdiv(a, b, 1000000) // 1000000, rdiv(a, b, 1000000) % 1000000) END;
CREATE MACRO dec2(a, b) AS CASE WHEN b = 0 THEN NULL ELSE
    printf('%d.%02d', rdiv(a, b, 100) // 100, rdiv(a, b, 100) % 100) END;
CREATE MACRO txt(s) AS nullif(s, '');
"""

BAND_CASE = "CASE " + " ".join(
    f"WHEN cents < {BANDS[i + 1][1]} THEN {i}" for i in range(len(BANDS) - 1)
) + f" ELSE {len(BANDS) - 1} END"
BAND_LABELS = "[" + ", ".join(f"'{label}'" for label, _ in BANDS) + "]"


def reports(top: int, per_group: int) -> dict[str, str]:
    return {
        "event_counts": """
            SELECT coalesce(event_type, 'all') AS event_type, count(*) AS events,
                   count(DISTINCT user_id) AS users, count(DISTINCT user_session) AS sessions
            FROM ev GROUP BY GROUPING SETS ((event_type), ())
            ORDER BY event_type""",
        "top_categories": f"""
            SELECT txt(category_id) AS category_id, txt(category_code) AS category_code,
                   count(*) AS interactions
            FROM ev GROUP BY category_id, category_code
            ORDER BY count(*) DESC, ev.category_id, ev.category_code LIMIT {top}""",
        # Sorted by the average as printed (cents), SPEC §9.
        "category_prices": """
            SELECT txt(category_code) AS category_code, events, money(avg_c) AS avg_price,
                   money(min_c) AS min_price, money(max_c) AS max_price
            FROM (SELECT category_code, count(*) AS events,
                         rdiv(sum(cents), count(*), 1) AS avg_c,
                         min(cents) AS min_c, max(cents) AS max_c
                  FROM ev GROUP BY category_code) AS c
            ORDER BY c.avg_c DESC, c.category_code""",
        "price_bands": f"""
            SELECT txt(category_code) AS category_code, {BAND_LABELS}[band + 1] AS band,
                   views, carts, purchases, money(revenue) AS revenue,
                   dec6(purchases, views) AS purchase_rate
            FROM (SELECT category_code, {BAND_CASE} AS band,
                         count(*) FILTER (WHERE event_type = 'view') AS views,
                         count(*) FILTER (WHERE event_type = 'cart') AS carts,
                         count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
                         coalesce(sum(cents) FILTER (WHERE event_type = 'purchase'), 0) AS revenue
                  FROM ev GROUP BY ALL) AS p
            ORDER BY p.category_code, p.band""",
        "user_preferences": """
            WITH pairs AS (
                SELECT user_id, category_code, brand, count(*) AS interactions
                FROM ev WHERE category_code <> '' OR brand <> ''
                GROUP BY user_id, category_code, brand),
            ranked AS (
                SELECT *, sum(interactions) OVER (PARTITION BY user_id) AS total
                FROM pairs
                QUALIFY row_number() OVER (PARTITION BY user_id
                        ORDER BY interactions DESC, category_code, brand) = 1)
            SELECT txt(user_id) AS user_id, txt(category_code) AS category_code,
                   txt(brand) AS brand, interactions, dec6(interactions, total) AS share
            FROM ranked ORDER BY ranked.user_id""",
        "top_user_categories": f"""
            SELECT txt(user_id) AS user_id, txt(category_code) AS category_code,
                   count(*) AS interactions
            FROM ev GROUP BY user_id, category_code
            ORDER BY count(*) DESC, ev.user_id, ev.category_code LIMIT {top}""",
        "engaged_users": f"""
            SELECT txt(category_code) AS category_code, brand, rank, txt(user_id) AS user_id,
                   interactions
            FROM (SELECT category_code, brand, user_id, count(*) AS interactions,
                         row_number() OVER (PARTITION BY category_code, brand
                                            ORDER BY count(*) DESC, user_id) AS rank
                  FROM ev WHERE brand <> '' GROUP BY category_code, brand, user_id
                  QUALIFY rank <= {per_group}) AS g
            ORDER BY g.category_code, g.brand, g.rank""",
        "brand_funnel": """
            SELECT brand, views, carts, purchases, money(revenue) AS revenue,
                   dec6(carts, views) AS cart_rate, dec6(purchases, views) AS purchase_rate,
                   buyers
            FROM (SELECT brand,
                         count(*) FILTER (WHERE event_type = 'view') AS views,
                         count(*) FILTER (WHERE event_type = 'cart') AS carts,
                         count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
                         coalesce(sum(cents) FILTER (WHERE event_type = 'purchase'), 0) AS revenue,
                         count(DISTINCT user_id) FILTER (WHERE event_type = 'purchase') AS buyers
                  FROM ev WHERE brand <> '' GROUP BY brand) AS b
            ORDER BY b.revenue DESC, brand""",
        "hourly_activity": """
            SELECT hour,
                   count(*) FILTER (WHERE event_type = 'view') AS views,
                   count(*) FILTER (WHERE event_type = 'cart') AS carts,
                   count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
                   money(coalesce(sum(cents) FILTER (WHERE event_type = 'purchase'), 0)) AS revenue
            FROM ev GROUP BY hour ORDER BY hour""",
        "session_summary": """
            WITH s AS (
                SELECT user_session, count(*) AS events,
                       bool_or(event_type = 'cart') AS carted,
                       bool_or(event_type = 'purchase') AS bought
                FROM ev GROUP BY user_session)
            SELECT count(*) AS sessions, dec2(coalesce(sum(events), 0), count(*)) AS avg_events,
                   count(*) FILTER (WHERE carted) AS cart_sessions,
                   count(*) FILTER (WHERE bought) AS purchase_sessions,
                   dec6(count(*) FILTER (WHERE bought), count(*)) AS purchase_session_rate
            FROM s""",
    }


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def main() -> None:
    a = parse_args("DuckDB")
    files = input_files(a.input)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect()  # in memory
    con.execute(f"SET threads = {a.threads}")
    con.execute("SET preserve_insertion_order = false")  # every report has an ORDER BY
    # Output turns '' into NULL (see txt); were an ORDER BY to bind to such an output
    # column, NULL must still sort where '' does: first.
    con.execute("SET default_null_order = 'nulls_first'")
    con.execute(MACROS)
    file_list = "[" + ", ".join(sql_str(f) for f in files) + "]"
    # Read once: hour of the UTC clock, cents, and text with empty fields as ''.
    try:
        con.execute(f"""
            CREATE TEMP TABLE ev AS
            SELECT hour(event_time)::TINYINT AS hour, event_type,
                   coalesce(category_id, '') AS category_id,
                   coalesce(category_code, '') AS category_code,
                   coalesce(brand, '') AS brand,
                   (price * 100)::BIGINT AS cents,
                   user_id,
                   coalesce(user_session, '') AS user_session
            FROM read_csv({file_list}, header = true, auto_detect = false, delim = ',',
                          quote = '"', escape = '"', all_varchar = false,
                          timestampformat = '%Y-%m-%d %H:%M:%S UTC',
                          columns = {{'event_time': 'TIMESTAMP', 'event_type': 'VARCHAR',
                                      'product_id': 'VARCHAR', 'category_id': 'VARCHAR',
                                      'category_code': 'VARCHAR', 'brand': 'VARCHAR',
                                      'price': 'DECIMAL(18,2)', 'user_id': 'VARCHAR',
                                      'user_session': 'VARCHAR'}})""")
        bad = con.execute("""SELECT count(*) FROM ev WHERE event_type IS NULL OR user_id IS NULL
                             OR cents IS NULL OR cents < 0 OR hour IS NULL""").fetchone()[0]
    except duckdb.Error as e:
        die(f"cannot read the input: {e}")
    if bad:
        die(f"{bad} rows miss a required field or have a negative price "
            "(cartflow would reject them; this script does not)")
    t_load = time.perf_counter()
    for name, query in reports(a.top, a.per_group).items():
        path = os.path.join(a.out, f"{name}.csv")
        con.execute(f"COPY ({query}) TO {sql_str(path)} (FORMAT csv, HEADER true)")
    t_end = time.perf_counter()
    print(f"duckdb {duckdb.__version__}: {len(files)} files, threads={a.threads}: "
          f"load {t_load - t0:.2f}s, reports {t_end - t_load:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
