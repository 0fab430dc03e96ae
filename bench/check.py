#!/usr/bin/env python3
"""Compare two report directories, report by report.

    check.py LEFT RIGHT [--format rees46|online-retail] [--reports a,b,...] [--show 5]
             [--label-left cartflow] [--label-right duckdb]

Typically LEFT is cartflow's --out and RIGHT is duckdb_reports.py's (or polars_reports.py's,
or reference.py's; for --format online-retail duckdb_sales.py's). --format picks the reports
compared: the ten SPEC §4.1 interaction reports (rees46, the default) or the ten SPEC §4.2
online-retail sales reports; --reports names them instead. Each report is read as CSV from
DIR/<report>.csv or, for per-entity reports (user_preferences, customers, rfm), from the
union of DIR/<report>/part-*.csv, sorted by its columns' UTF-8 bytes, entity id first: the
report's order, since the id is unique in such a report.
Headers must match exactly. Cells compare equal when the text is equal, or when both parse
as decimal numbers of equal value ("0.5" = "0.500000", "3" = "3.00"); an empty field equals
only an empty field ('' and "" in the file are the same). Row order is compared as well,
since SPEC §4 makes it part of the report; a report whose rows match only as a set is
flagged "same rows, different order".

Prints one line per report and exits 1 if any report is missing or differs.
"""
import argparse
import csv
import glob
import os
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import FORMAT_REPORTS  # noqa: E402


def load(d: str, name: str):
    """(header, rows, where) or None when the report is absent."""
    single = os.path.join(d, f"{name}.csv")
    parts = sorted(glob.glob(os.path.join(d, name, "part-*.csv")))
    if os.path.isfile(single):
        with open(single, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        return (rows[0] if rows else []), rows[1:], single
    if parts:
        header, body = None, []
        for p in parts:
            with open(p, newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            if not rows:
                continue
            if header is None:
                header = rows[0]
            elif rows[0] != header:
                raise SystemExit(f"check.py: {p}: header {rows[0]} differs from the other parts' {header}")
            body += rows[1:]
        # The union of the parts, in the report's order (per-entity reports sort by their key).
        body.sort(key=lambda r: [c.encode("utf-8") for c in r])
        return header or [], body, os.path.join(d, name, "part-*.csv")
    return None


def num(s: str):
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def cell_eq(a: str, b: str) -> bool:
    if a == b:
        return True
    if a == "" or b == "":
        return False
    x, y = num(a), num(b)
    return x is not None and y is not None and x == y


def row_eq(a: list[str], b: list[str]) -> bool:
    return len(a) == len(b) and all(cell_eq(x, y) for x, y in zip(a, b))


def canon(row: list[str]) -> tuple:
    out = []
    for c in row:
        n = num(c) if c else None
        out.append(("n", n.normalize()) if n is not None else ("s", c))
    return tuple(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("left")
    ap.add_argument("right")
    ap.add_argument("--format", choices=sorted(FORMAT_REPORTS), default="rees46",
                    help="which suite's reports to compare (default rees46)")
    ap.add_argument("--reports", default=None,
                    help="comma-separated report names (default: every report of --format)")
    ap.add_argument("--show", type=int, default=5, help="differing rows to print per report")
    ap.add_argument("--label-left", default=None)
    ap.add_argument("--label-right", default=None)
    a = ap.parse_args()
    if a.reports is None:
        a.reports = ",".join(FORMAT_REPORTS[a.format])
    for d in (a.left, a.right):
        if not os.path.isdir(d):
            print(f"check.py: {d}: not a directory", file=sys.stderr)
            return 2
    L = a.label_left or os.path.basename(os.path.normpath(a.left))
    R = a.label_right or os.path.basename(os.path.normpath(a.right))

    failed = 0
    width = max(len(n) for n in a.reports.split(","))
    for name in a.reports.split(","):
        left, right = load(a.left, name), load(a.right, name)
        tag = f"{name:<{width}}"
        if left is None or right is None:
            missing = " and ".join(lbl for lbl, x in ((L, left), (R, right)) if x is None)
            print(f"{tag}  MISSING in {missing}")
            failed += 1
            continue
        (lh, lrows, _), (rh, rrows, _) = left, right
        if lh != rh:
            print(f"{tag}  DIFFER: header {L}={','.join(lh)} vs {R}={','.join(rh)}")
            failed += 1
            continue
        bad = [i for i in range(max(len(lrows), len(rrows)))
               if i >= len(lrows) or i >= len(rrows) or not row_eq(lrows[i], rrows[i])]
        if not bad:
            same = ""
            if os.path.isfile(left[2]) and os.path.isfile(right[2]):
                with open(left[2], "rb") as f1, open(right[2], "rb") as f2:
                    same = ", byte-identical" if f1.read() == f2.read() else ""
            print(f"{tag}  agree ({len(lrows)} rows{same})")
            continue
        failed += 1
        if Counter(map(canon, lrows)) == Counter(map(canon, rrows)):
            what = "same rows, different order"
        else:
            what = f"{len(bad)} of {max(len(lrows), len(rrows))} rows differ"
        print(f"{tag}  DIFFER: {what} ({L} {len(lrows)} rows, {R} {len(rrows)} rows)")
        for i in bad[:a.show]:
            lr = ",".join(lrows[i]) if i < len(lrows) else "(none)"
            rr = ",".join(rrows[i]) if i < len(rrows) else "(none)"
            print(f"    row {i + 1}: {L}: {lr}")
            print(f"    {' ' * len(str(i + 1))}      {R}: {rr}")
    total = len(a.reports.split(","))
    print(f"{total - failed} of {total} reports agree ({L} vs {R})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
