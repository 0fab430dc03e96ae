#!/usr/bin/env bash
# cartflow vs DuckDB vs Polars on the ten interaction reports (SPEC §4.1), or with
# --format online-retail on the ten online-retail sales reports (SPEC §4.2).
#
#   bench/compare.sh [--format rees46|online-retail] [--events N] [--files K] [--runs R]
#                    [--dir WORK] [--threads 1,2] [--engines cartflow,duckdb,polars]
#                    [--warmup] [--no-build] [--no-check] [--bin PATH]
#
# Sets up WORK/venv (duckdb, polars from PyPI), builds cartflow in release, generates
# N rows in K files (seed 42; WORK/data for rees46, WORK/data-online-retail), runs every
# engine R times with 1 and 2 threads, prints a markdown table (also in WORK/results.md,
# or WORK/results-online-retail.md, and .json) and cross-checks the reports.
# See bench/README.md.
set -euo pipefail

FORMAT=rees46
EVENTS=5000000
FILES=8
RUNS=3
WORK="${TMPDIR:-/tmp}/cartflow-bench"
THREADS=1,2
ENGINES=cartflow,duckdb,polars
BUILD=1
BIN=
EXTRA=()

# Pinned versions; both install as manylinux wheels on CPython 3.11 / x86_64.
DUCKDB_VERSION=2.0.0
POLARS_VERSION=2.1.0

die() { echo "compare.sh: error: $*" >&2; exit 1; }
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || { echo "compare.sh: $1 needs a value" >&2; usage >&2; exit 2; }; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: $1 must be a positive integer, not '$2'" >&2; exit 2; }; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --format) need_value "$@"; FORMAT=$2; shift 2 ;;
        --events) need_value "$@"; positive "$1" "$2"; EVENTS=$2; shift 2 ;;
        --files) need_value "$@"; positive "$1" "$2"; FILES=$2; shift 2 ;;
        --runs) need_value "$@"; positive "$1" "$2"; RUNS=$2; shift 2 ;;
        --dir) need_value "$@"; WORK=$2; shift 2 ;;
        --threads) need_value "$@"; THREADS=$2; shift 2 ;;
        --engines) need_value "$@"; ENGINES=$2; shift 2 ;;
        --warmup) EXTRA+=(--warmup); shift ;;
        --no-check) EXTRA+=(--no-check); shift ;;
        --no-build) BUILD=0; shift ;;
        --bin) need_value "$@"; BIN=$2; BUILD=0; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$FORMAT" in
    rees46) DATA_NAME=data ;;
    online-retail) DATA_NAME=data-online-retail ;;
    *) echo "compare.sh: --format must be rees46 or online-retail, not '$FORMAT'" >&2; exit 2 ;;
esac
[[ "$THREADS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "compare.sh: --threads wants a list like 1,2" >&2; exit 2; }

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
if [[ -z "$BIN" ]]; then BIN="$ROOT/target/release/cartflow"; fi

# --- Python environment -----------------------------------------------------------------
command -v python3 >/dev/null || die "python3 is not installed"
VENV="$WORK/venv"
PY="$VENV/bin/python"
STAMP="$VENV/.bench-packages"
WANT="duckdb==$DUCKDB_VERSION polars==$POLARS_VERSION"
if [[ ! -x "$PY" || "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]]; then
    echo "== setting up $VENV ($WANT)" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" ||
        die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    # shellcheck disable=SC2086
    "$PY" -m pip install --quiet --disable-pip-version-check --only-binary=:all: $WANT ||
        die "pip could not install $WANT"
    echo "$WANT" >"$STAMP"
fi

# --- cartflow ---------------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
    command -v cargo >/dev/null || die "cargo is not installed (or pass --no-build with a built binary)"
    echo "== cargo build --release" >&2
    (cd "$ROOT" && cargo build --release) || die "cargo build --release failed"
fi
[[ -x "$BIN" ]] || die "$BIN does not exist (build it with cargo build --release)"

# --- data -------------------------------------------------------------------------------
DATA="$WORK/$DATA_NAME"
echo "== generating $EVENTS $FORMAT rows in $FILES files into $DATA" >&2
rm -rf "$DATA"
"$BIN" gen --format "$FORMAT" --events "$EVENTS" --seed 42 --files "$FILES" --out "$DATA" ||
    die "cartflow gen --format $FORMAT failed"

# --- runs -------------------------------------------------------------------------------
LOGS="$WORK/logs"; [[ $FORMAT == rees46 ]] || LOGS="$WORK/logs-$FORMAT"
echo "== $RUNS runs of each engine (threads $THREADS); logs in $LOGS" >&2
exec "$PY" "$BENCH/harness.py" --cartflow "$BIN" --data "$DATA" --work "$WORK" \
    --format "$FORMAT" --events "$EVENTS" --runs "$RUNS" --threads "$THREADS" --engines "$ENGINES" \
    ${EXTRA[@]+"${EXTRA[@]}"}
