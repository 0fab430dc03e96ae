"""Shared bits of the competitor scripts: argument parsing and input discovery."""
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

# price_bands: (label, lower bound in cents), SPEC §4.1; lower bound included.
BANDS = [("0-10", 0), ("10-25", 1000), ("25-50", 2500), ("50-100", 5000), ("100-250", 10000),
         ("250-500", 25000), ("500-1000", 50000), ("1000+", 100000)]


def parse_args(engine: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=f"The ten SPEC §4.1 interaction reports with {engine}.")
    ap.add_argument("--input", required=True, nargs="+", help="rees46 CSV files or directories")
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


def input_files(paths: list[str]) -> list[str]:
    """Files to read, by cartflow's name rules (SPEC §6): a directory gives its files whose
    names do not start with '.' or '_' and do not end '.tmp'/'.part'; only .csv / .csv.gz.
    Every file's header is checked to be the rees46 one (names matched case-insensitively,
    spaces ignored). The engines then read columns by position in that canonical order;
    a file with the columns in another order is refused here rather than misread."""
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
        if cols != REES46_COLUMNS:
            die(f"{f}:1: header is not the rees46 one in canonical order "
                f"({','.join(REES46_COLUMNS)}); got {header!r}")
    return files
