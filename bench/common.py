"""Shared bits of the competitor scripts: argument parsing, input discovery, report lists."""
import argparse
import gzip
import os
import sys

REES46_COLUMNS = [
    "event_time", "event_type", "product_id", "category_id", "category_code",
    "brand", "price", "user_id", "user_session",
]

# SPEC §4.1 reports, in SPEC order; each is written to OUT/<name>.csv.
REPORTS = [
    "event_counts", "top_categories", "category_prices", "price_bands", "user_preferences",
    "top_user_categories", "engaged_users", "brand_funnel", "hourly_activity", "session_summary",
]

# online-retail (SPEC §2): the header in canonical order, each position with the spellings
# cartflow accepts (compared lower-cased, surrounding spaces ignored).
ONLINE_RETAIL_COLUMNS = [
    ("invoice", "invoiceno", "invoice_no"), ("stockcode", "stock_code"), ("description",),
    ("quantity",), ("invoicedate", "invoice_date"), ("price", "unitprice", "unit_price"),
    ("customer id", "customerid", "customer_id"), ("country",),
]

# SPEC §4.2 sales reports written for online-retail (§9 "Order lines"), in SPEC order.
# customers and rfm are per-entity reports: cartflow writes OUT/<name>/part-NNNNN.csv.
SALES_REPORTS = [
    "top_products", "customers", "repeat_customers", "top_customers", "customer_product_repeats",
    "time_of_day", "monthly", "order_values", "rfm", "revenue_by_location",
]

# --format -> the reports compared (check.py, harness.py).
FORMAT_REPORTS = {"rees46": REPORTS, "online-retail": SALES_REPORTS}

# price_bands: (label, lower bound in cents), SPEC §4.1; lower bound included.
BANDS = [("0-10", 0), ("10-25", 1000), ("25-50", 2500), ("50-100", 5000), ("100-250", 10000),
         ("250-500", 25000), ("500-1000", 50000), ("1000+", 100000)]


def parse_args(engine: str, what: str = "SPEC §4.1 interaction reports",
               fmt: str = "rees46") -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=f"The ten {what} with {engine}.")
    ap.add_argument("--input", required=True, nargs="+", help=f"{fmt} CSV files or directories")
    ap.add_argument("--out", required=True, help="directory to write the report CSVs to")
    ap.add_argument("--threads", type=int, default=1, help="engine threads (default 1)")
    ap.add_argument("--top", type=int, default=10, help="leaderboard length (default 10)")
    ap.add_argument("--per-group", type=int, default=3, help="rows per group (default 3)")
    a = ap.parse_args()
    if a.threads < 1 or a.top < 0 or a.per_group < 0:
        die("--threads must be >= 1, --top and --per-group >= 0")
    return a


def die(msg: str) -> None:
    print(f"{os.path.basename(sys.argv[0])}: error: {msg}", file=sys.stderr)
    sys.exit(1)


def input_files(paths: list[str], fmt: str = "rees46") -> list[str]:
    """Files to read, by cartflow's name rules (SPEC §6): a directory gives its files whose
    names do not start with '.' or '_' and do not end '.tmp'/'.part'; only .csv / .csv.gz.
    Every file's header is checked to be the `fmt` one (rees46 or online-retail; names
    matched case-insensitively, surrounding spaces ignored, any of cartflow's spellings of
    an online-retail column). The engines then read columns by position in that canonical
    order; a file with the columns in another order is refused here rather than misread."""
    if fmt == "rees46":
        want = [(c,) for c in REES46_COLUMNS]
    elif fmt == "online-retail":
        want = ONLINE_RETAIL_COLUMNS
    else:
        raise ValueError(fmt)
    files: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                full = os.path.join(p, name)
                if (name.startswith((".", "_")) or name.endswith((".tmp", ".part"))
                        or not os.path.isfile(full)):
                    continue
                if name.endswith((".csv", ".csv.gz")):
                    files.append(full)
        elif os.path.isfile(p):
            files.append(p)
        else:
            die(f"{p}: no such file or directory")
    if not files:
        die(f"no .csv or .csv.gz input files in {' '.join(paths)}")
    for f in files:
        opener = gzip.open if f.endswith(".gz") else open
        try:
            with opener(f, "rt", encoding="utf-8", newline="") as fh:
                header = fh.readline().lstrip("\ufeff").rstrip("\r\n")
        except OSError as e:
            die(f"{f}: cannot read: {e}")
        cols = [c.strip().lower() for c in header.split(",")]
        if len(cols) != len(want) or any(c not in w for c, w in zip(cols, want)):
            die(f"{f}:1: header is not the {fmt} one in canonical order "
                f"({','.join(w[0] for w in want)}); got {header!r}")
    return files
