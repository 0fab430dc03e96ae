#!/usr/bin/env python3
"""The ten SPEC §4.1 interaction reports with the Polars lazy API, as the comparison competitor.

    polars_reports.py --input DIR --out DIR [--threads N] [--top 10] [--per-group 3]

One lazy scan of the CSV files feeds ten lazy queries, collected together with
pl.collect_all (common-subplan elimination reads and parses the files once), then each
result is written to OUT/<report>.csv. --threads sets POLARS_MAX_THREADS before Polars is
imported (the only way to bound its thread pool).

How this follows SPEC, and where it does not:
- Money is integer cents. The price column is parsed as Float64 and turned into cents with
  round(): exact for prices with at most two decimals, as in rees46 files (a third decimal
  would round half to even where SPEC rounds half away from zero). Sums are Int64. Averages,
  rates and shares are computed from integers and rounded half away from zero with integer
  arithmetic ((2a + b) // 2b), so the figures match cartflow's digits.
- Text ordering: Polars compares strings by their UTF-8 bytes, as SPEC §9 asks. Ids are
  read as strings. Empty fields are read as '' (empty_string_is_null=False), so an empty
  session is one session and '' sorts first.
- Time: event_time is parsed with the format '%Y-%m-%d %H:%M:%S UTC'; the hour is that
  clock's hour.
- NOT done (differs from SPEC): rows cartflow would reject make Polars fail the whole run
  (a bad time or price, or a row with a missing required field other than product_id, which
  is not checked); there is no _rejects/ or
  _quality.csv, no file de-duplication by content, no trimming of spaces; columns are read by
  position after checking the header names (common.input_files). .csv.gz inputs are not
  supported by Polars' lazy CSV scan here.
- user_preferences is written as one file, OUT/user_preferences.csv, not one part per worker.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BANDS, REES46_COLUMNS, die, input_files, parse_args  # noqa: E402

ARGS = parse_args("Polars")
os.environ["POLARS_MAX_THREADS"] = str(ARGS.threads)  # must precede the import
import polars as pl  # noqa: E402

col = pl.col
VIEW, CART, PURCHASE = (col("event_type") == t for t in ("view", "cart", "purchase"))


def rdiv(a: pl.Expr, b: pl.Expr, scale: int) -> pl.Expr:
    """a / b rounded half away from zero to 1/scale, as an integer (a >= 0, b > 0)."""
    return (2 * a.cast(pl.Int64) * scale + b) // (2 * b)


def fixed(v: pl.Expr, places: int) -> pl.Expr:
    """A non-negative integer count of 10^-places units, printed with `places` decimals."""
    p = 10 ** places
    return pl.format("{}.{}", v // p, (v % p).cast(pl.String).str.zfill(places))


def money(c: pl.Expr) -> pl.Expr:
    return fixed(c, 2)


def dec(a: pl.Expr, b: pl.Expr, places: int) -> pl.Expr:
    """a / b with `places` decimals; empty (null) when b = 0."""
    return pl.when(b > 0).then(fixed(rdiv(a, b, 10 ** places), places)).otherwise(None)


def counts() -> list[pl.Expr]:
    return [
        VIEW.sum().alias("views"),
        CART.sum().alias("carts"),
        PURCHASE.sum().alias("purchases"),
        col("cents").filter(PURCHASE).sum().alias("revenue"),
    ]


def build(ev: pl.LazyFrame, top: int, per_group: int) -> dict[str, pl.LazyFrame]:
    r: dict[str, pl.LazyFrame] = {}

    dist = [pl.len().alias("events"), col("user_id").n_unique().alias("users"),
            col("user_session").n_unique().alias("sessions")]
    r["event_counts"] = pl.concat([
        ev.group_by("event_type").agg(dist),
        ev.select(pl.lit("all").alias("event_type"), *dist),
    ], how="vertical_relaxed").sort("event_type")

    r["top_categories"] = (
        ev.group_by("category_id", "category_code").agg(pl.len().alias("interactions"))
        .sort(["interactions", "category_id", "category_code"], descending=[True, False, False])
        .head(top))

    # Sorted by the average as printed (cents), SPEC §9.
    r["category_prices"] = (
        ev.group_by("category_code")
        .agg(pl.len().alias("events"), col("cents").sum().alias("sum"),
             col("cents").min().alias("min"), col("cents").max().alias("max"))
        .with_columns(rdiv(col("sum"), col("events"), 1).alias("avg"))
        .sort(["avg", "category_code"], descending=[True, False])
        .select("category_code", "events", money(col("avg")).alias("avg_price"),
                money(col("min")).alias("min_price"), money(col("max")).alias("max_price")))

    band = pl.lit(0)
    for i, (_, lo) in enumerate(BANDS[1:], start=1):
        band = pl.when(col("cents") >= lo).then(pl.lit(i)).otherwise(band)
    labels = pl.Series([label for label, _ in BANDS])
    r["price_bands"] = (
        ev.with_columns(band.alias("band_ix"))
        .group_by("category_code", "band_ix").agg(counts())
        .sort("category_code", "band_ix")
        .select("category_code",
                pl.lit(labels).gather(col("band_ix")).alias("band"),
                "views", "carts", "purchases", money(col("revenue")).alias("revenue"),
                dec(col("purchases"), col("views"), 6).alias("purchase_rate")))

    r["user_preferences"] = (
        ev.filter((col("category_code") != "") | (col("brand") != ""))
        .group_by("user_id", "category_code", "brand").agg(pl.len().alias("interactions"))
        .with_columns(col("interactions").sum().over("user_id").alias("total"))
        .sort(["user_id", "interactions", "category_code", "brand"],
              descending=[False, True, False, False])
        .unique(subset="user_id", keep="first", maintain_order=True)
        .select("user_id", "category_code", "brand", "interactions",
                dec(col("interactions"), col("total"), 6).alias("share")))

    r["top_user_categories"] = (
        ev.group_by("user_id", "category_code").agg(pl.len().alias("interactions"))
        .sort(["interactions", "user_id", "category_code"], descending=[True, False, False])
        .head(top))

    r["engaged_users"] = (
        ev.filter(col("brand") != "")
        .group_by("category_code", "brand", "user_id").agg(pl.len().alias("interactions"))
        .sort(["category_code", "brand", "interactions", "user_id"],
              descending=[False, False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
                      .over("category_code", "brand").alias("rank"))
        .filter(col("rank") <= per_group)
        .select("category_code", "brand", "rank", "user_id", "interactions"))

    r["brand_funnel"] = (
        ev.filter(col("brand") != "")
        .group_by("brand")
        .agg(*counts(), col("user_id").filter(PURCHASE).n_unique().alias("buyers"))
        .sort(["revenue", "brand"], descending=[True, False])
        .select("brand", "views", "carts", "purchases", money(col("revenue")).alias("revenue"),
                dec(col("carts"), col("views"), 6).alias("cart_rate"),
                dec(col("purchases"), col("views"), 6).alias("purchase_rate"), "buyers"))

    r["hourly_activity"] = (
        ev.group_by("hour").agg(counts()).sort("hour")
        .with_columns(money(col("revenue")).alias("revenue")))

    s = ev.group_by("user_session").agg(pl.len().alias("events"),
                                        CART.any().alias("carted"), PURCHASE.any().alias("bought"))
    r["session_summary"] = s.select(
        pl.len().alias("sessions"),
        dec(col("events").sum(), pl.len(), 2).alias("avg_events"),
        col("carted").sum().alias("cart_sessions"),
        col("bought").sum().alias("purchase_sessions"),
        dec(col("bought").sum(), pl.len(), 6).alias("purchase_session_rate"))
    return r


def main() -> None:
    a = ARGS
    files = input_files(a.input)
    if any(f.endswith(".gz") for f in files):
        die("this script reads plain .csv only (Polars' lazy scan does not decompress)")
    os.makedirs(a.out, exist_ok=True)
    t0 = time.perf_counter()
    schema = {c: pl.String for c in REES46_COLUMNS} | {"price": pl.Float64}
    ev = (
        pl.scan_csv(files, has_header=True, schema=schema, quote_char='"',
                    empty_string_is_null=False)
        .select(
            col("event_time").str.to_datetime("%Y-%m-%d %H:%M:%S UTC", strict=True)
            .dt.hour().alias("hour"),
            "event_type", "category_id", "category_code", "brand",
            (col("price") * 100).round().cast(pl.Int64).alias("cents"),
            "user_id", "user_session"))
    queries = build(ev, a.top, a.per_group)
    # Rows cartflow would reject for a missing required field or a negative price.
    check = ev.select(((col("event_type") == "") | (col("user_id") == "") | (col("cents") < 0)
                       | col("cents").is_null()).sum())
    try:
        frames = pl.collect_all([*queries.values(), check])
    except pl.exceptions.PolarsError as e:
        die(f"cannot compute the reports: {e}")
    t_q = time.perf_counter()
    bad = frames.pop().item()
    if bad:
        die(f"{bad} rows miss a required field or have a negative price "
            "(cartflow would reject them; this script does not)")
    for name, df in zip(queries, frames):
        # Polars writes '' as "" (to tell it from null); write it as an empty field instead.
        df = df.with_columns(pl.col(pl.String).replace("", None))
        df.write_csv(os.path.join(a.out, f"{name}.csv"))
    t_end = time.perf_counter()
    print(f"polars {pl.__version__}: {len(files)} files, threads={pl.thread_pool_size()}: "
          f"reports {t_q - t0:.2f}s, write {t_end - t_q:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
