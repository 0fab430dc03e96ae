#!/usr/bin/env bash
# Runs a cartflow cluster of P processes with W workers each on this machine.
#
#   cluster/local.sh P W SUBCOMMAND [OPTIONS...]
#   cluster/local.sh 2 2 run --input data/ --format rees46 --out reports/
#
# Picks free loopback ports, writes a hostfile, starts every process with
# `--processes P --process I --hostfile FILE -w W` after the given arguments,
# waits for all of them and exits non-zero if any failed. Process 0's output
# comes through; the others log to files in the cluster's temporary directory.
# Ctrl-C or SIGTERM is passed to process 0, which stops the job everywhere.
# The binary is $CARTFLOW if set, else this checkout's release build.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: cluster/local.sh PROCESSES WORKERS SUBCOMMAND [OPTIONS...]" >&2
  exit 2
fi
processes=$1
workers=$2
shift 2
case "$processes$workers" in
  *[!0-9]*) echo "cluster/local.sh: PROCESSES and WORKERS must be whole numbers" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARTFLOW:-$root/target/release/cartflow}
if [ ! -x "$bin" ]; then
  echo "cluster/local.sh: no cartflow binary at $bin; run 'cargo build --release' or set CARTFLOW" >&2
  exit 2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/cartflow-cluster.XXXXXX")
hostfile=$dir/hosts
# Ask the kernel for free ports: bind port 0, note the port, let it go.
python3 - "$processes" > "$hostfile" <<'PY'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
for s in sockets:
    print("127.0.0.1:%d" % s.getsockname()[1])
PY

pids=()
for ((i = 0; i < processes; i++)); do
  if [ "$i" -eq 0 ]; then
    "$bin" "$@" --processes "$processes" --process 0 --hostfile "$hostfile" --workers "$workers" &
  else
    "$bin" "$@" --processes "$processes" --process "$i" --hostfile "$hostfile" --workers "$workers" \
      > "$dir/process-$i.log" 2>&1 &
  fi
  pids+=($!)
done
trap 'kill -TERM "${pids[0]}" 2>/dev/null || true' INT TERM

failed=0
for ((i = 0; i < processes; i++)); do
  status=0
  # `wait` returns early when a trapped signal arrives: wait again until the process is gone.
  while true; do
    wait "${pids[$i]}" && status=0 || status=$?
    kill -0 "${pids[$i]}" 2>/dev/null || break
  done
  if [ "$status" -ne 0 ]; then
    failed=1
    echo "cluster/local.sh: process $i exited with status $status" >&2
    if [ "$i" -gt 0 ]; then tail -n 5 "$dir/process-$i.log" >&2; fi
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "cluster/local.sh: logs and hostfile in $dir" >&2
  exit 1
fi
rm -rf "$dir"
