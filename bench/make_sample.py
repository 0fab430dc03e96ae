#!/usr/bin/env python3
"""A small rees46-shaped clickstream, for testing the bench scripts without cartflow.

Usage: make_sample.py --out DIR [--events N] [--files K] [--seed S]

Not a model of the real export: it only exercises the awkward cases the reports must
handle: empty category codes, brands and sessions, a brand that needs CSV quoting,
non-ASCII brands, verbatim duplicate rows, prices on band edges, ties in counts.
"""
import argparse
import csv
import os
import random
import uuid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)

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
