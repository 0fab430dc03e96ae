#!/usr/bin/env python3
"""A plain-Python (row-loop, slow) reading of the ten SPEC §4.1 reports, for small inputs.

    reference.py --input DIR --out DIR [--top 10] [--per-group 3]

Not a competitor in the benchmark: it is a third, independent opinion for check.py when
cartflow and DuckDB disagree, written straight from the SPEC text with no engine in
between. Same limits as the engine scripts (no rejects, no trimming); it also refuses
rows with a missing required field or a negative price.
"""
import csv
import gzip
import os
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BANDS, REPORTS, die, input_files, parse_args  # noqa: E402


def cents(text: str) -> int:
    neg = text.startswith("-")
    t = text.lstrip("+-")
    whole, _, frac = t.partition(".")
    frac3 = (frac + "000")[:3]
    c = int(whole or "0") * 100 + int(frac3[:2])
    if int(frac3[2]) >= 5:
        c += 1  # half away from zero (on the magnitude)
    if neg and c != 0:
        die(f"negative price {text!r}")
    return c


def rdiv(a: int, b: int, scale: int) -> int:
    return (2 * a * scale + b) // (2 * b)


def dec(a: int, b: int, places: int) -> str:
    if b == 0:
        return ""
    v = rdiv(a, b, 10 ** places)
    return f"{v // 10 ** places}.{v % 10 ** places:0{places}d}"


def money(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def main() -> None:
    a = parse_args("plain Python")
    files = input_files(a.input)
    rows = []
    for f in files:
        opener = gzip.open if f.endswith(".gz") else open
        with opener(f, "rt", encoding="utf-8", newline="") as fh:
            r = csv.reader(fh)
            next(r)
            for rec in r:
                if not rec:
                    continue
                t, et, pid, cid, code, brand, price, uid, sess = (x.strip() for x in rec)
                if not (t and et and pid and price and uid):
                    die(f"{f}: row with a missing required field: {rec}")
                rows.append((int(t[11:13]), et, cid, code, brand, cents(price), uid, sess))

    out: dict[str, tuple[list[str], list[list]]] = {}

    # event_counts
    ev = defaultdict(lambda: [0, set(), set()])
    for h, et, cid, code, brand, c, uid, sess in rows:
        for key in (et, "all"):
            e = ev[key]
            e[0] += 1
            e[1].add(uid)
            e[2].add(sess)
    out["event_counts"] = (["event_type", "events", "users", "sessions"],
                           sorted([k, v[0], len(v[1]), len(v[2])] for k, v in ev.items()))

    cnt = Counter((r[2], r[3]) for r in rows)
    lst = sorted(([cid, code, n] for (cid, code), n in cnt.items()), key=lambda x: (-x[2], x[0], x[1]))
    out["top_categories"] = (["category_id", "category_code", "interactions"], lst[:a.top])

    cp = defaultdict(list)
    for r in rows:
        cp[r[3]].append(r[5])
    lst = []
    for code, ps in cp.items():
        lst.append((rdiv(sum(ps), len(ps), 1), code, len(ps), min(ps), max(ps)))
    lst.sort(key=lambda x: (-x[0], x[1], x[2], x[3], x[4]))
    out["category_prices"] = (["category_code", "events", "avg_price", "min_price", "max_price"],
                              [[code, n, money(av), money(mn), money(mx)] for av, code, n, mn, mx in lst])

    def band(c: int) -> int:
        return max(i for i, (_, lo) in enumerate(BANDS) if c >= lo)

    pb = defaultdict(lambda: [0, 0, 0, 0])
    for h, et, cid, code, brand, c, uid, sess in rows:
        e = pb[(code, band(c))]
        if et == "view":
            e[0] += 1
        elif et == "cart":
            e[1] += 1
        elif et == "purchase":
            e[2] += 1
            e[3] += c
    out["price_bands"] = (["category_code", "band", "views", "carts", "purchases", "revenue", "purchase_rate"],
                          [[code, BANDS[b][0], v, ca, p, money(rev), dec(p, v, 6)]
                           for (code, b), (v, ca, p, rev) in sorted(pb.items())])

    up = defaultdict(Counter)
    for h, et, cid, code, brand, c, uid, sess in rows:
        if code or brand:
            up[uid][(code, brand)] += 1
    lst = []
    for uid in sorted(up):
        pairs = up[uid]
        (code, brand), n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        lst.append([uid, code, brand, n, dec(n, sum(pairs.values()), 6)])
    out["user_preferences"] = (["user_id", "category_code", "brand", "interactions", "share"], lst)

    cnt = Counter((r[6], r[3]) for r in rows)
    lst = sorted(([u, code, n] for (u, code), n in cnt.items()), key=lambda x: (-x[2], x[0], x[1]))
    out["top_user_categories"] = (["user_id", "category_code", "interactions"], lst[:a.top])

    eg = defaultdict(Counter)
    for r in rows:
        if r[4]:
            eg[(r[3], r[4])][r[6]] += 1
    lst = []
    for (code, brand) in sorted(eg):
        ranked = sorted(eg[(code, brand)].items(), key=lambda kv: (-kv[1], kv[0]))[:a.per_group]
        lst += [[code, brand, i + 1, u, n] for i, (u, n) in enumerate(ranked)]
    out["engaged_users"] = (["category_code", "brand", "rank", "user_id", "interactions"], lst)

    bf = defaultdict(lambda: [0, 0, 0, 0, set()])
    for h, et, cid, code, brand, c, uid, sess in rows:
        if not brand:
            continue
        e = bf[brand]
        if et == "view":
            e[0] += 1
        elif et == "cart":
            e[1] += 1
        elif et == "purchase":
            e[2] += 1
            e[3] += c
            e[4].add(uid)
    lst = sorted(bf.items(), key=lambda kv: (-kv[1][3], kv[0]))
    out["brand_funnel"] = (["brand", "views", "carts", "purchases", "revenue", "cart_rate", "purchase_rate", "buyers"],
                           [[b, v, ca, p, money(rev), dec(ca, v, 6), dec(p, v, 6), len(buy)]
                            for b, (v, ca, p, rev, buy) in lst])

    ha = defaultdict(lambda: [0, 0, 0, 0])
    for h, et, cid, code, brand, c, uid, sess in rows:
        e = ha[h]
        if et == "view":
            e[0] += 1
        elif et == "cart":
            e[1] += 1
        elif et == "purchase":
            e[2] += 1
            e[3] += c
    out["hourly_activity"] = (["hour", "views", "carts", "purchases", "revenue"],
                              [[h, v, ca, p, money(rev)] for h, (v, ca, p, rev) in sorted(ha.items())])

    ss = defaultdict(lambda: [0, False, False])
    for h, et, cid, code, brand, c, uid, sess in rows:
        e = ss[sess]
        e[0] += 1
        e[1] |= et == "cart"
        e[2] |= et == "purchase"
    n = len(ss)
    cart_s = sum(1 for e in ss.values() if e[1])
    buy_s = sum(1 for e in ss.values() if e[2])
    out["session_summary"] = (["sessions", "avg_events", "cart_sessions", "purchase_sessions", "purchase_session_rate"],
                              [[n, dec(len(rows), n, 2), cart_s, buy_s, dec(buy_s, n, 6)]])

    os.makedirs(a.out, exist_ok=True)
    for name in REPORTS:
        header, body = out[name]
        with open(os.path.join(a.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)


if __name__ == "__main__":
    main()
