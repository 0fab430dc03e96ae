#!/usr/bin/env python3
"""A small rees46-shaped clickstream or online-retail file set, for testing the bench scripts.

Usage: make_sample.py --out DIR [--format rees46|online-retail] [--events N] [--files K] [--seed S]

Not a model of the real exports: it only exercises the awkward cases the reports must
handle. rees46: empty category codes, brands and sessions, a brand that needs CSV quoting,
non-ASCII brands, verbatim duplicate rows, prices on band edges, ties in counts.
online-retail: cancellations (`C`, negative quantities) and a lower-case `c` that is not
one, guests, empty countries, descriptions with commas, quotes, line breaks, non-ASCII
letters or nothing, products named differently on different lines, prices with three or
four decimals and on half-cent edges, zero prices, negative quantities on invoices that
are not cancellations, an invoice naming two customers, an invoice number seen again in
another month, months with no lines and months with only cancellations, both time forms
(`2010-12-01 08:26:00`, `12/1/2010 8:26`), times on daypart edges, ids that sort
differently as text and as numbers, many ties.
"""
import argparse
import csv
import os
import random
import uuid


def online_retail(a: argparse.Namespace, rnd: random.Random) -> None:
    products = [f"{20000 + i * 7}{rnd.choice(['', '', 'A', 'B'])}" for i in range(40)] + ["POST", "D", "ü1"]
    names = ["WHITE HEART", "WHITE HEART", "HEART, WHITE", 'MUG "BEST"', "Zèbre", "ZEBRA",
             "ÉCLAIR", "éclair", "two\nlines", "", "", "b", "B"]
    prices = ["2.55", "0.00", "0.005", "0.004", "1.995", "1.9949", "12.5", "7", "+3.10", "-0.00",
              "100.125", "0.01", "2.5549", "33.333"]
    customers = ["9", "10", "100", "12346", "12347", "12347.0", "ü7", "a b"] + [str(13000 + i) for i in range(30)]
    countries = ["United Kingdom", "United Kingdom", "France", "", "EIRE", "Zürich", "Zurich", "Ärmelkanal"]
    # Month offsets from 2010-11: no line in 2011-04 (gap), 2011-06 gets only cancellations.
    months = [(2010, 11), (2010, 12), (2011, 1), (2011, 2), (2011, 3), (2011, 5), (2011, 6), (2011, 7)]
    rows = []
    inv = 536000
    while len(rows) < a.events:
        inv += rnd.randint(1, 3)
        number = inv - 5 if rnd.random() < 0.03 else inv  # now and then an invoice again, later
        y, m = rnd.choice(months)
        cancelled = (y, m) == (2011, 6) or rnd.random() < 0.08
        prefix = "C" if cancelled else ("c" if rnd.random() < 0.02 else "")
        guest = rnd.random() < 0.2
        cust = "" if guest else rnd.choice(customers)
        country = rnd.choice(countries)
        day, hour = rnd.randint(1, 28), rnd.choice([7, 8, 11, 11, 12, 12, 16, 16, 17, 17, 20])
        minute = rnd.choice([0, 59])
        if rnd.random() < 0.3:
            when = f"{m}/{day}/{y} {hour}:{minute:02d}"
        else:
            when = f"{y:04d}-{m:02d}-{day:02d} {hour:02d}:{minute:02d}:{rnd.choice([0, 59]):02d}"
        for _ in range(rnd.choice([1, 1, 2, 3, 5])):
            q = rnd.choice([1, 1, 2, 3, 6, 12, 24])
            if cancelled or rnd.random() < 0.03:
                q = -q
            c = cust
            if not guest and rnd.random() < 0.03:
                c = rnd.choice(customers)  # an invoice naming two customers
            rows.append([f"{prefix}{number}", rnd.choice(products), rnd.choice(names), str(q), when,
                         rnd.choice(prices), c, country])
    rows = rows[:a.events]
    per = -(-len(rows) // a.files)
    for k in range(a.files):
        with open(os.path.join(a.out, f"lines-{k + 1:05d}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country".split(","))
            w.writerows(rows[k * per:(k + 1) * per])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--format", choices=["rees46", "online-retail"], default="rees46")
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    if a.format == "online-retail":
        online_retail(a, rnd)
        return

    cats = [(str(2053013555631882655 + i * 7919), code) for i, code in enumerate(
        ["electronics.smartphone", "", "appliances.kitchen.kettle", "computers.notebook",
         "apparel.shoes", "electronics.audio.headphone", "furniture.bedroom.bed", ""])]
    brands = ["samsung", "apple", "xiaomi", "", "o\"neill, inc", "löwe", "エレコム", "müller", "bosch", ""]
    band_edges = ["0.00", "9.99", "10.00", "24.99", "25.00", "50.00", "99.99", "100.00",
                  "250.00", "499.99", "500.00", "1000.00", "1234.56", "-0.00", "7", "12.5"]
    products = []
    for p in range(300):
        cid, code = rnd.choice(cats)
        brand = rnd.choice(brands)
        price = rnd.choice(band_edges) if rnd.random() < 0.3 else f"{rnd.uniform(0, 1500):.2f}"
        products.append((str(1000000 + p * 37), cid, code, brand, price))
    users = [str(500000000 + u * 13) for u in range(rnd.randint(150, 250))]
    sessions = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(600)] + [""]
    types = ["view"] * 90 + ["cart"] * 5 + ["remove_from_cart"] * 2 + ["purchase"] * 3

    rows = []
    t0 = 1569888000  # 2019-10-01 00:00:00 UTC
    for i in range(a.events):
        ts = t0 + (i * 2678400) // max(a.events, 1)
        h, rem = divmod(ts % 86400, 3600)
        day = 1 + (ts - t0) // 86400
        when = f"2019-10-{day:02d} {h:02d}:{rem // 60:02d}:{rem % 60:02d} UTC"
        pid, cid, code, brand, price = rnd.choice(products)
        if rnd.random() < 0.01:
            cid = ""
        row = [when, rnd.choice(types), pid, cid, code, brand, price, rnd.choice(users), rnd.choice(sessions)]
        rows.append(row)
        if rnd.random() < 0.002:
            rows.append(list(row))  # a true repeat, counted as it stands
    per = -(-len(rows) // a.files)
    for k in range(a.files):
        with open(os.path.join(a.out, f"events-{k + 1:05d}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow("event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session".split(","))
            w.writerows(rows[k * per:(k + 1) * per])


if __name__ == "__main__":
    main()
