#!/usr/bin/env python3
"""Runs the engines, measures them, prints the table, cross-checks the outputs.

Called by compare.sh once the venv, the binary and the data exist; it can be run by hand:

    harness.py --cartflow BIN --data DIR --work DIR --events N [--format rees46|online-retail]
               [--runs 3] [--threads 1,2] [--engines cartflow,duckdb,polars] [--warmup]
               [--no-check]

--format picks the suite: rees46 (default) runs the ten interaction reports
(cartflow --format rees46, duckdb_reports.py, polars_reports.py); online-retail the ten
sales reports (cartflow --format online-retail, duckdb_sales.py, polars_sales.py).

Each (engine, threads) is run --runs times, round-robin (one run of each, then the next
round), so drifts in machine load spread over all engines. A run's wall time is measured
around the whole process (start-up, reading, computing, writing every report); its peak RSS
is the process's ru_maxrss from wait4 (the largest resident set of the process, or of any
child it waited for). Outputs go to WORK/out/<engine>-<threads>/, emptied before each run;
logs to WORK/logs/; the table to WORK/results.md and WORK/results.json. For online-retail
these are WORK/out-online-retail/, WORK/logs-online-retail/ and
WORK/results-online-retail.{md,json}, so the two suites' results sit side by side.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import input_files  # noqa: E402

# Per suite: the competitor scripts ({engine}), what a row is, the suffix of WORK's dirs.
SUITES = {
    "rees46": {"script": "{engine}_reports.py", "rows": "events", "suffix": ""},
    "online-retail": {"script": "{engine}_sales.py", "rows": "lines", "suffix": "-online-retail"},
}


def measure(cmd: list[str], log: str, env: dict | None = None) -> tuple[float, int, int]:
    """(wall seconds, peak RSS bytes, exit status) of one run of cmd, output to log."""
    with open(log, "w") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss * 1024, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cartflow", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--events", type=int, required=True, help="rows in the data (events or lines)")
    ap.add_argument("--format", choices=sorted(SUITES), default="rees46")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--engines", default="cartflow,duckdb,polars")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--per-group", type=int, default=3)
    ap.add_argument("--warmup", action="store_true", help="one untimed run of each first")
    ap.add_argument("--no-check", action="store_true", help="skip the output cross-checks")
    a = ap.parse_args()

    suite = SUITES[a.format]
    files = input_files([a.data], a.format)
    in_bytes = sum(os.path.getsize(f) for f in files)
    threads = [int(t) for t in a.threads.split(",")]
    engines = a.engines.split(",")
    for e in engines:
        if e not in ("cartflow", "duckdb", "polars"):
            print(f"harness.py: unknown engine {e!r}", file=sys.stderr)
            return 2
        script = os.path.join(HERE, suite["script"].format(engine=e))
        if e != "cartflow" and not os.path.isfile(script):
            print(f"harness.py: no {os.path.basename(script)} for engine {e!r} "
                  f"with --format {a.format}", file=sys.stderr)
            return 2
    py = sys.executable
    # The sales reports have no per-group ranking: only --top is passed for them.
    common = ["--top", str(a.top)]
    if a.format == "rees46":
        common += ["--per-group", str(a.per_group)]

    def command(engine: str, n: int, out: str) -> list[str]:
        if engine == "cartflow":
            return [a.cartflow, "run", "--input", a.data, "--format", a.format, "--out", out,
                    "-w", str(n), "--quiet", *common]
        script = os.path.join(HERE, suite["script"].format(engine=engine))
        return [py, script, "--input", a.data, "--out", out, "--threads", str(n), *common]

    configs = [(e, n) for e in engines for n in threads]
    outdir = os.path.join(a.work, "out" + suite["suffix"])
    logdir = os.path.join(a.work, "logs" + suite["suffix"])
    os.makedirs(outdir, exist_ok=True)
    os.makedirs(logdir, exist_ok=True)
    results: dict[tuple[str, int], list[tuple[float, int]]] = {c: [] for c in configs}

    rounds = [("warmup", 0)] if a.warmup else []
    rounds += [("run", r) for r in range(1, a.runs + 1)]
    for kind, r in rounds:
        for engine, n in configs:
            out = os.path.join(outdir, f"{engine}-{n}")
            shutil.rmtree(out, ignore_errors=True)
            log = os.path.join(logdir, f"{engine}-{n}-{kind}{r or ''}.log")
            cmd = command(engine, n, out)
            wall, rss, rc = measure(cmd, log)
            if rc != 0:
                print(f"\n{engine} (threads {n}) failed with exit status {rc}; {log}:", file=sys.stderr)
                with open(log) as fh:
                    sys.stderr.write("".join(fh.readlines()[-20:]))
                return 1
            label = "warmup" if kind == "warmup" else f"run {r}/{a.runs}"
            print(f"  {label}: {engine:<8} threads={n}  {wall:7.2f} s  {rss / 1e6:8.1f} MB",
                  file=sys.stderr, flush=True)
            if kind == "run":
                results[(engine, n)].append((wall, rss))

    ver = {"cartflow": subprocess.run([a.cartflow, "--version"], capture_output=True, text=True).stdout.strip()}
    for mod in ("duckdb", "polars"):
        if mod in engines:
            ver[mod] = mod + " " + subprocess.run(
                [py, "-c", f"import {mod}; print({mod}.__version__)"],
                capture_output=True, text=True).stdout.strip()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass

    unit = suite["rows"]
    lines = [
        f"{a.format}: {a.events:,} {unit} in {len(files)} files, {in_bytes / 1e6:.1f} MB of CSV; "
        f"{a.runs} runs each, median wall; {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}; {', '.join(ver[e] for e in engines if e in ver)}",
        "",
        f"| engine | threads | median wall s | {unit}/s | MB/s | peak RSS MB | runs (s) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    table = []
    for (engine, n), runs in results.items():
        walls = [w for w, _ in runs]
        med = statistics.median(walls)
        peak = max(r for _, r in runs)
        table.append({"engine": engine, "threads": n, "median_wall_s": med,
                      f"{unit}_per_s": a.events / med, "mb_per_s": in_bytes / 1e6 / med,
                      "peak_rss_mb": peak / 1e6, "walls": walls})
        lines.append(f"| {engine} | {n} | {med:.2f} | {a.events / med:,.0f} | "
                     f"{in_bytes / 1e6 / med:.1f} | {peak / 1e6:.0f} | "
                     f"{' '.join(f'{w:.2f}' for w in walls)} |")
    report = "\n".join(lines)
    print()
    print(report)
    results_name = "results" + suite["suffix"]
    with open(os.path.join(a.work, results_name + ".md"), "w") as fh:
        fh.write(report + "\n")
    with open(os.path.join(a.work, results_name + ".json"), "w") as fh:
        json.dump({"format": a.format, unit: a.events, "files": len(files), "input_bytes": in_bytes,
                   "runs": a.runs, "versions": ver, "cpu": cpu, "results": table}, fh, indent=1)

    if a.no_check:
        return 0
    # Cross-checks of the last run's outputs: cartflow against itself across thread counts,
    # against DuckDB, and DuckDB against Polars.
    pairs = []
    t0 = threads[0]
    if "cartflow" in engines:
        pairs += [(("cartflow", t0), ("cartflow", n)) for n in threads[1:]]
        pairs += [(("cartflow", t0), (e, t0)) for e in ("duckdb", "polars") if e in engines][:1]
    if "duckdb" in engines and "polars" in engines:
        pairs.append((("duckdb", t0), ("polars", t0)))
    ok = True
    for (e1, n1), (e2, n2) in pairs:
        print(f"\ncheck: {e1} (threads {n1}) vs {e2} (threads {n2})")
        rc = subprocess.run([py, os.path.join(HERE, "check.py"),
                             os.path.join(outdir, f"{e1}-{n1}"), os.path.join(outdir, f"{e2}-{n2}"),
                             "--format", a.format, "--label-left", f"{e1}-{n1}", "--label-right", f"{e2}-{n2}"]).returncode
        ok &= rc == 0
    if not ok:
        print("\nSome outputs disagree (see above); the timings stand, the results need a look.",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
