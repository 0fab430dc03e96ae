#!/usr/bin/env python3
"""A plain-Python (row-loop, slow) reading of the ten online-retail sales reports, for small inputs.

    reference_sales.py --input DIR --out DIR [--top 10]

Not a competitor in the benchmark: it is a third, independent opinion for check.py
(`--format online-retail`) when cartflow and DuckDB disagree, written straight from SPEC
§4.2 and §9 "Order lines" with no engine in between. Same limits as duckdb_sales.py (no
rejects: a row cartflow would reject stops the run; no file de-duplication); unlike it,
text fields are trimmed of spaces as SPEC §9 says, and every SPEC time form without an
offset that the Online Retail exports use (`YYYY-MM-DD HH:MM[:SS]`, `M/D/YYYY H:MM`) is
read. customers and rfm are written as single files sorted by customer_id.
"""
import csv
import datetime as dt
import gzip
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SALES_REPORTS, die, input_files, parse_args  # noqa: E402

PRICE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
QUANTITY = re.compile(r"[+-]?[0-9]+")


def cents(text: str) -> int:
    """price × 100 rounded half away from zero, exactly (from the text's digits)."""
    if not PRICE.fullmatch(text):
        die(f"unparsable price {text!r}")
    neg = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    frac = frac + "000"
    c = int(whole) * 100 + int(frac[:2]) + (1 if frac[2] >= "5" else 0)
    if neg and any(ch in "123456789" for ch in text):
        die(f"negative price {text!r}")
    return c


def when(text: str) -> dt.datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    die(f"unparsable time {text!r}")


def rdiv(a: int, b: int, scale: int) -> int:
    """a / b rounded half away from zero to 1/scale, as an integer (b != 0)."""
    q = (2 * abs(a) * scale + abs(b)) // (2 * abs(b))
    return -q if (a < 0) != (b < 0) else q


def fixed(v: int, places: int) -> str:
    p = 10 ** places
    return f"{'-' if v < 0 else ''}{abs(v) // p}.{abs(v) % p:0{places}d}"


def money(c: int) -> str:
    return fixed(c, 2)


def dec(a: int, b: int, places: int) -> str:
    return "" if b == 0 else fixed(rdiv(a, b, 10 ** places), places)


def main() -> None:
    a = parse_args("plain Python", "SPEC §4.2 online-retail sales reports", "online-retail")
    files = input_files(a.input, "online-retail")
    # (invoice, cancelled, product, description, quantity, time, cents, customer, country)
    lines = []
    for f in files:
        opener = gzip.open if f.endswith(".gz") else open
        with opener(f, "rt", encoding="utf-8", newline="") as fh:
            r = csv.reader(fh)
            next(r)
            for rec in r:
                if not rec:
                    continue
                if len(rec) != 8:
                    die(f"{f}: row with {len(rec)} fields: {rec}")
                inv, code, desc, qty, date, price, cust, country = (x.strip() for x in rec)
                if not (inv and code and qty and date and price):
                    die(f"{f}: row with a missing required field: {rec}")
                if not QUANTITY.fullmatch(qty):
                    die(f"{f}: unparsable quantity {qty!r}")
                lines.append((inv, inv.startswith("C"), code, desc, int(qty), when(date),
                              cents(price), cust, country))
    ok = [ln for ln in lines if not ln[1]]
    out: dict[str, tuple[list[str], list[list]]] = {}

    # top_products
    units, orders, revenue, names = Counter(), defaultdict(set), Counter(), defaultdict(Counter)
    for inv, _, code, desc, q, _, c, _, _ in ok:
        units[code] += q
        orders[code].add(inv)
        revenue[code] += q * c
        if desc:
            names[code][desc] += 1
    best = sorted(units, key=lambda p: (-units[p], p.encode()))[:a.top]
    rows = []
    for p in best:
        name = min(names[p].items(), key=lambda kv: (-kv[1], kv[0].encode()))[0] if names[p] else ""
        rows.append([p, name, units[p], len(orders[p]), money(revenue[p])])
    out["top_products"] = (["product_id", "product_name", "units", "orders", "revenue"], rows)

    # per customer
    cu = defaultdict(lambda: {"orders": set(), "units": 0, "revenue": 0, "first": None, "last": None})
    for inv, _, code, _, q, t, c, cust, _ in ok:
        if not cust:
            continue
        e = cu[cust]
        e["orders"].add(inv)
        e["units"] += q
        e["revenue"] += q * c
        e["first"] = t if e["first"] is None or t < e["first"] else e["first"]
        e["last"] = t if e["last"] is None or t > e["last"] else e["last"]
    ids = sorted(cu, key=str.encode)
    out["customers"] = (["customer_id", "orders", "units", "revenue", "first_order", "last_order"],
                        [[k, len(cu[k]["orders"]), cu[k]["units"], money(cu[k]["revenue"]),
                          cu[k]["first"].strftime("%Y-%m-%d"), cu[k]["last"].strftime("%Y-%m-%d")]
                         for k in ids])

    repeat = {k for k in cu if len(cu[k]["orders"]) >= 2}
    all_orders = {ln[0] for ln in ok if ln[7]}
    repeat_orders = {ln[0] for ln in ok if ln[7] in repeat}
    out["repeat_customers"] = (["customers", "repeat_customers", "repeat_rate", "orders", "repeat_orders"],
                               [[len(cu), len(repeat), dec(len(repeat), len(cu), 6), len(all_orders),
                                 len(repeat_orders)]])

    top = sorted(ids, key=lambda k: (-len(cu[k]["orders"]), k.encode()))[:a.top]
    out["top_customers"] = (["customer_id", "orders", "units", "revenue"],
                            [[k, len(cu[k]["orders"]), cu[k]["units"], money(cu[k]["revenue"])] for k in top])

    pairs = Counter((ln[7], ln[2]) for ln in ok if ln[7])
    rows = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0][0].encode(), kv[0][1].encode()))[:a.top]
    out["customer_product_repeats"] = (["customer_id", "product_id", "purchases"],
                                       [[c, p, n] for (c, p), n in rows])

    # time_of_day
    parts = {}
    for _, _, _, _, q, t, c, _, _ in ok:
        d = 0 if t.hour < 12 else 1 if t.hour < 17 else 2
        e = parts.setdefault(d, [0, 0, 0])
        e[0] += 1
        e[1] += q
        e[2] += q * c
    out["time_of_day"] = (["daypart", "lines", "units", "revenue"],
                          [[["Morning", "Afternoon", "Evening"][d], n, u, money(r)]
                           for d, (n, u, r) in sorted(parts.items())])

    # monthly
    first_month = {k: (v["first"].year, v["first"].month) for k, v in cu.items()}
    months = defaultdict(lambda: {"orders": set(), "cancelled": set(), "revenue": 0, "crev": 0, "active": set()})
    for inv, cancelled, _, _, q, t, c, cust, _ in lines:
        e = months[(t.year, t.month)]
        if cancelled:
            e["cancelled"].add(inv)
            e["crev"] += abs(q * c)
        else:
            e["orders"].add(inv)
            e["revenue"] += q * c
            if cust:
                e["active"].add(cust)
    rows = []
    for (y, m) in sorted(months):
        e = months[(y, m)]
        prev = months.get((y, m - 1) if m > 1 else (y - 1, 12))
        growth = "" if prev is None or prev["revenue"] == 0 else \
            dec((e["revenue"] - prev["revenue"]) * 100, prev["revenue"], 2)
        new = sum(1 for k in e["active"] if first_month[k] == (y, m))
        rows.append([f"{y:04d}-{m:02d}", len(e["orders"]), len(e["cancelled"]), money(e["revenue"]),
                     money(e["crev"]), growth, len(e["active"]), new, len(e["active"]) - new])
    out["monthly"] = (["month", "orders", "cancelled_orders", "revenue", "cancelled_revenue", "growth_pct",
                       "active_customers", "new_customers", "returning_customers"], rows)

    # order_values
    totals = Counter()
    for inv, _, _, _, q, _, c, _, _ in ok:
        totals[inv] += q * c
    v = sorted(totals.values())
    n = len(v)
    if n == 0:
        row = [0, "", "", "", "", ""]
    else:
        median = v[n // 2] if n % 2 else rdiv(v[n // 2 - 1] + v[n // 2], 2, 1)
        mode = min(Counter(v).items(), key=lambda kv: (-kv[1], kv[0]))[0]
        row = [n, money(rdiv(sum(v), n, 1)), money(median), money(mode), money(v[0]), money(v[-1])]
    out["order_values"] = (["orders", "mean", "median", "mode", "min", "max"], [row])

    # rfm
    rows = []
    if ok:
        ref = max(ln[5] for ln in ok).date() + dt.timedelta(days=1)
        n = len(ids)
        rec = {k: (ref - cu[k]["last"].date()).days for k in ids}
        freq = {k: len(cu[k]["orders"]) for k in ids}
        mon = {k: cu[k]["revenue"] for k in ids}

        def scores(key) -> dict[str, int]:
            return {k: 1 + 5 * i // n for i, k in enumerate(sorted(ids, key=key))}

        r = scores(lambda k: (-rec[k], k.encode()))
        f = scores(lambda k: (freq[k], k.encode()))
        m = scores(lambda k: (mon[k], k.encode()))
        for k in ids:
            if r[k] >= 4 and f[k] >= 4:
                seg = "Champions"
            elif r[k] >= 2 and f[k] >= 4:
                seg = "Loyal"
            elif r[k] <= 2 and f[k] >= 3:
                seg = "At risk"
            elif r[k] >= 4:
                seg = "Promising"
            elif r[k] == 3:
                seg = "Needs attention"
            else:
                seg = "Hibernating"
            rows.append([k, rec[k], freq[k], money(mon[k]), r[k], f[k], m[k], seg])
    out["rfm"] = (["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"], rows)

    # revenue_by_location
    loc = defaultdict(lambda: [set(), 0])
    for inv, _, _, _, q, _, c, _, country in ok:
        loc[country][0].add(inv)
        loc[country][1] += q * c
    rows = sorted(loc.items(), key=lambda kv: (-kv[1][1], kv[0].encode()))
    out["revenue_by_location"] = (["location", "orders", "revenue", "online_revenue"],
                                  [[k, len(o), money(r), money(r)] for k, (o, r) in rows])

    os.makedirs(a.out, exist_ok=True)
    for name in SALES_REPORTS:
        header, body = out[name]
        with open(os.path.join(a.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)


if __name__ == "__main__":
    main()
