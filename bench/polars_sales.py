#!/usr/bin/env python3
"""The ten online-retail sales reports (SPEC §4.2, §9 "Order lines") with the Polars lazy API.

    polars_sales.py --input DIR --out DIR [--threads N] [--top 10]

A competitor of `bench/compare.sh --format online-retail`. One lazy scan of the CSV files
is collected into an in-memory frame of parsed lines (as DuckDB's temporary table); ten
lazy queries over it are collected together with pl.collect_all, then each result is
written to OUT/<report>.csv. --threads sets POLARS_MAX_THREADS before Polars is imported.

How this follows SPEC, and where it does not:
- Money is integer cents, parsed from the price text without floating point: whole part
  × 100 + the first two decimals + 1 when the third decimal is 5 or more, i.e. price × 100
  rounded half away from zero, exactly. Line amount = quantity × unit cents; sums are Int64.
  Averages, the median, rates and percentages are computed from integers and rounded half
  away from zero with integer arithmetic, signs handled apart. The median's two middle
  totals are found with quantile(0.5, "lower"/"higher"), which return them as Float64:
  exact for totals below 2^53 cents.
- A line is cancelled when its invoice starts with `C`. Only `monthly` reads cancelled
  lines; guests (empty Customer ID) are left out of the per-customer reports and of
  monthly's customer counts, kept everywhere else. `orders` is n_unique of the invoice over
  the lines counted.
- Times: `YYYY-MM-DD HH:MM:SS` or `M/D/YYYY H:MM` (the two forms of the Online Retail
  exports), read as a wall clock.
- Text ordering: Polars compares strings by their UTF-8 bytes, as SPEC §9 asks; ids are
  strings. Empty fields are read as '' (one empty country is one location, '' sorts
  first) and written back as empty fields.
- customers and rfm are written as single files sorted by customer_id, not one part per
  worker; check.py unions cartflow's parts to compare.
- NOT done (differs from SPEC): rows cartflow would reject make Polars fail the whole run
  (a bad quantity, time or price, a negative price, a missing invoice, stock code or
  date); there is no _rejects/ or _quality.csv, no file de-duplication by content, no
  trimming of spaces; columns are read by position after checking the header names
  (common.input_files); plain .csv only (Polars' lazy scan does not decompress .gz).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import die, input_files, parse_args  # noqa: E402

ARGS = parse_args("Polars", "SPEC §4.2 online-retail sales reports", "online-retail")
os.environ["POLARS_MAX_THREADS"] = str(ARGS.threads)  # must precede the import
import polars as pl  # noqa: E402

col = pl.col
# Canonical online-retail columns, by position (the header's names are checked before).
COLUMNS = ["inv", "product", "descr", "qty", "date", "price", "cust", "country"]
DAYPARTS = ["Morning", "Afternoon", "Evening"]


def rdiv(a: pl.Expr, b: pl.Expr, scale: int) -> pl.Expr:
    """a / b rounded half away from zero to 1/scale, as an integer; any signs, b != 0."""
    a, b = a.cast(pl.Int64), b.cast(pl.Int64)
    q = (2 * a.abs() * scale + b.abs()) // (2 * b.abs())
    return pl.when((a < 0) != (b < 0)).then(-q).otherwise(q)


def fixed(v: pl.Expr, places: int) -> pl.Expr:
    """A signed integer count of 10^-places units, printed with `places` decimals."""
    p = 10 ** places
    sign = pl.when(v < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}.{}", sign, v.abs() // p, (v.abs() % p).cast(pl.String).str.zfill(places))


def money(c: pl.Expr) -> pl.Expr:
    return fixed(c, 2)


def dec(a: pl.Expr, b: pl.Expr, places: int) -> pl.Expr:
    """a / b with `places` decimals; empty (null) when b = 0 or null."""
    return pl.when(b != 0).then(fixed(rdiv(a, b, 10 ** places), places)).otherwise(None)


def build(ln: pl.LazyFrame, top: int) -> dict[str, pl.LazyFrame]:
    r: dict[str, pl.LazyFrame] = {}
    ok = ln.filter(~col("cancelled"))
    named = ok.filter(col("cust") != "")
    # Per customer: customers, repeat_customers, top_customers, monthly, rfm.
    cu = named.group_by("cust").agg(
        col("inv").n_unique().alias("orders"), col("qty").sum().alias("units"),
        col("amount").sum().alias("revenue"), col("ts").min().alias("first"),
        col("ts").max().alias("last"))

    # Orders as the number of (product, invoice) groups: much faster than n_unique per product.
    p = (ok.group_by("product", "inv").agg(col("qty").sum(), col("amount").sum())
         .group_by("product")
         .agg(col("qty").sum().alias("units"), pl.len().cast(pl.Int64).alias("orders"),
              col("amount").sum().alias("revenue"))
         .sort(["units", "product"], descending=[True, False]).head(top))
    # Name: the most frequent non-empty description, ties the smallest; leaderboard only.
    names = (ok.filter(col("descr") != "").join(p.select("product"), on="product", how="semi")
             .group_by("product", "descr").agg(pl.len().alias("n"))
             .sort(["product", "n", "descr"], descending=[False, True, False])
             .unique(subset="product", keep="first"))
    r["top_products"] = (
        p.join(names, on="product", how="left")
        .sort(["units", "product"], descending=[True, False])
        .select(col("product").alias("product_id"), col("descr").alias("product_name"),
                "units", "orders", money(col("revenue")).alias("revenue")))

    r["customers"] = cu.sort("cust").select(
        col("cust").alias("customer_id"), "orders", "units", money(col("revenue")).alias("revenue"),
        col("first").dt.strftime("%Y-%m-%d").alias("first_order"),
        col("last").dt.strftime("%Y-%m-%d").alias("last_order"))

    repeaters = cu.filter(col("orders") >= 2).select("cust")
    r["repeat_customers"] = pl.concat([
        cu.select(pl.len().cast(pl.Int64).alias("customers"),
                  (col("orders") >= 2).sum().cast(pl.Int64).alias("repeat_customers")),
        named.select(col("inv").n_unique().cast(pl.Int64).alias("orders")),
        named.join(repeaters, on="cust", how="semi")
        .select(col("inv").n_unique().cast(pl.Int64).alias("repeat_orders")),
    ], how="horizontal").select(
        "customers", "repeat_customers",
        dec(col("repeat_customers"), col("customers"), 6).alias("repeat_rate"),
        "orders", "repeat_orders")

    r["top_customers"] = (
        cu.sort(["orders", "cust"], descending=[True, False]).head(top)
        .select(col("cust").alias("customer_id"), "orders", "units",
                money(col("revenue")).alias("revenue")))

    r["customer_product_repeats"] = (
        named.group_by("cust", "product").agg(pl.len().cast(pl.Int64).alias("purchases"))
        .sort(["purchases", "cust", "product"], descending=[True, False, False]).head(top)
        .select(col("cust").alias("customer_id"), col("product").alias("product_id"), "purchases"))

    hour = col("ts").dt.hour()
    part = pl.when(hour < 12).then(0).when(hour < 17).then(1).otherwise(2)
    r["time_of_day"] = (
        ok.group_by(part.alias("part"))
        .agg(pl.len().cast(pl.Int64).alias("lines"), col("qty").sum().alias("units"),
             col("amount").sum().alias("revenue"))
        .sort("part")
        .select(pl.lit(pl.Series(DAYPARTS)).gather(col("part")).alias("daypart"),
                "lines", "units", money(col("revenue")).alias("revenue")))

    live, cancelled = ~col("cancelled"), col("cancelled")
    m = (ln.group_by(col("ts").dt.truncate("1mo").alias("month"))
         .agg(col("inv").filter(live).n_unique().alias("orders"),
              col("inv").filter(cancelled).n_unique().alias("cancelled_orders"),
              col("amount").filter(live).sum().alias("revenue"),
              col("amount").filter(cancelled).abs().sum().alias("cancelled_revenue"),
              col("cust").filter(live & (col("cust") != "")).n_unique().alias("active")))
    prev = m.select(col("month").dt.offset_by("1mo"), col("revenue").alias("prev"))
    fresh = cu.group_by(col("first").dt.truncate("1mo").alias("month")).agg(pl.len().alias("new"))
    r["monthly"] = (
        m.join(prev, on="month", how="left").join(fresh, on="month", how="left")
        .sort("month")
        .with_columns(col("new").fill_null(0).cast(pl.Int64), col("active").cast(pl.Int64))
        .select(col("month").dt.strftime("%Y-%m"), "orders", "cancelled_orders",
                money(col("revenue")).alias("revenue"),
                money(col("cancelled_revenue")).alias("cancelled_revenue"),
                dec((col("revenue") - col("prev")) * 100, col("prev"), 2).alias("growth_pct"),
                col("active").alias("active_customers"), col("new").alias("new_customers"),
                (col("active") - col("new")).alias("returning_customers")))

    t = ok.group_by("inv").agg(col("amount").sum().alias("total"))
    total = col("total")
    r["order_values"] = t.select(
        pl.len().cast(pl.Int64).alias("n"), total.sum().alias("sum"),
        total.quantile(0.5, "lower").cast(pl.Int64).alias("a"),
        total.quantile(0.5, "higher").cast(pl.Int64).alias("b"),
        total.mode().min().alias("mode"), total.min().alias("lo"), total.max().alias("hi"),
    ).select(
        col("n").alias("orders"),
        pl.when(col("n") > 0).then(money(rdiv(col("sum"), col("n"), 1))).alias("mean"),
        pl.when(col("n") > 0).then(money(rdiv(col("a") + col("b"), pl.lit(2), 1))).alias("median"),
        money(col("mode")).alias("mode"), money(col("lo")).alias("min"),
        money(col("hi")).alias("max"))

    # Reference: the day after the latest day of any non-cancelled line (guests too).
    ref = ok.select((col("ts").max().dt.date() + pl.duration(days=1)).alias("ref"))
    n = pl.len()
    score = 1 + 5 * pl.int_range(n, dtype=pl.Int64) // n
    seg = (pl.when((col("r") >= 4) & (col("f") >= 4)).then(pl.lit("Champions"))
           .when((col("r") >= 2) & (col("f") >= 4)).then(pl.lit("Loyal"))
           .when((col("r") <= 2) & (col("f") >= 3)).then(pl.lit("At risk"))
           .when(col("r") >= 4).then(pl.lit("Promising"))
           .when(col("r") == 3).then(pl.lit("Needs attention"))
           .otherwise(pl.lit("Hibernating")))
    r["rfm"] = (
        cu.join(ref, how="cross")
        .select("cust", (col("ref") - col("last").dt.date()).dt.total_days().alias("recency_days"),
                col("orders").alias("frequency"), col("revenue").alias("monetary"))
        .sort(["recency_days", "cust"], descending=[True, False]).with_columns(score.alias("r"))
        .sort(["frequency", "cust"]).with_columns(score.alias("f"))
        .sort(["monetary", "cust"]).with_columns(score.alias("m"))
        .sort("cust")
        .select(col("cust").alias("customer_id"), "recency_days", "frequency",
                money(col("monetary")).alias("monetary"), "r", "f", "m", seg.alias("segment")))

    # All online-retail lines are online, so online_revenue = revenue.
    r["revenue_by_location"] = (
        ok.group_by("country")
        .agg(col("inv").n_unique().alias("orders"), col("amount").sum().alias("revenue"))
        .sort(["revenue", "country"], descending=[True, False])
        .select(col("country").alias("location"), "orders", money(col("revenue")).alias("revenue"),
                money(col("revenue")).alias("online_revenue")))
    return r


def main() -> None:
    a = ARGS
    files = input_files(a.input, "online-retail")
    if any(f.endswith(".gz") for f in files):
        die("this script reads plain .csv only (Polars' lazy scan does not decompress)")
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter()
    schema = {c: pl.String for c in COLUMNS} | {"qty": pl.Int64}
    price = col("price").str.strip_chars_start("+")
    split = price.str.split_exact(".", 1)
    frac = pl.concat_str([split.struct.field("field_1").fill_null(""), pl.lit("000")])
    cents = (split.struct.field("field_0").cast(pl.Int64) * 100
             + frac.str.slice(0, 2).cast(pl.Int64) + (frac.str.slice(2, 1) >= "5").cast(pl.Int64))
    # The two time forms of the Online Retail exports; a line with neither stops the run.
    ts = pl.coalesce(col("date").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
                     col("date").str.to_datetime("%m/%d/%Y %H:%M", strict=False))
    ln = (
        pl.scan_csv(files, has_header=False, skip_rows=1, schema=schema, quote_char='"',
                    empty_string_is_null=False)
        .select("inv", col("inv").str.starts_with("C").alias("cancelled"), "product", "descr",
                "qty", ts.alias("ts"),
                cents.alias("cents"), "cust", "country",
                col("price").str.contains(r"^-.*[1-9]").alias("negative"))
        .with_columns((col("qty") * col("cents")).alias("amount")))
    try:
        # Parsed once into memory (a lazy plan of ten queries over the scan parses the files
        # more than once and ran about twice as long), then the reports as lazy queries.
        lines = ln.collect()
        t_load = time.perf_counter()
        # Rows cartflow would reject for a missing required field or a negative price.
        bad = lines.select(((col("inv") == "") | (col("product") == "") | col("qty").is_null()
                            | col("ts").is_null() | col("cents").is_null()
                            | col("negative")).sum()).item()
        if bad:
            die(f"{bad} rows miss a required field or have a negative price "
                "(cartflow would reject them; this script does not)")
        queries = build(lines.drop("negative").lazy(), a.top)
        frames = pl.collect_all(list(queries.values()))
    except pl.exceptions.PolarsError as e:
        die(f"cannot compute the reports: {e}")
    t_q = time.perf_counter()
    for name, df in zip(queries, frames):
        # Polars writes '' as "" (to tell it from null); write it as an empty field instead.
        df = df.with_columns(pl.col(pl.String).replace("", None))
        df.write_csv(os.path.join(a.out, f"{name}.csv"))
    t_end = time.perf_counter()
    print(f"polars {pl.__version__}: {len(files)} files, threads={pl.thread_pool_size()}: "
          f"load {t_load - t0:.2f}s, reports {t_q - t_load:.2f}s, write {t_end - t_q:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
