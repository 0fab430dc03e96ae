#!/usr/bin/env bash
# Starts one cartflow process per hostfile line over ssh, and waits for all.
#
#   cluster/ssh.sh HOSTFILE WORKERS SUBCOMMAND [OPTIONS...]
#   cluster/ssh.sh cluster/hosts 8 watch --input /shared/landing --format rees46 \
#       --out /shared/reports --state /shared/state
#
# Line I of HOSTFILE (host:port) runs process I on that host, in the same
# working directory as here, with the same arguments plus
# `--processes P --process I --hostfile HOSTFILE -w WORKERS`. Paths must mean the
# same on every host (a shared file system), HOSTFILE included. The remote
# binary is $CARTFLOW if set, else `cartflow` on the remote PATH. Exits non-zero
# if any process fails.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: cluster/ssh.sh HOSTFILE WORKERS SUBCOMMAND [OPTIONS...]" >&2
  exit 2
fi
hostfile=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
workers=$2
shift 2
bin=${CARTFLOW:-cartflow}

mapfile -t hosts < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$hostfile" | grep -v '^$')
processes=${#hosts[@]}
args=$(printf '%q ' "$@")

pids=()
for ((i = 0; i < processes; i++)); do
  host=${hosts[$i]%:*}
  ssh -o BatchMode=yes "$host" \
    "cd $(printf '%q' "$PWD") && exec $(printf '%q' "$bin") $args --processes $processes --process $i --hostfile $(printf '%q' "$hostfile") --workers $workers" \
    > >(sed "s/^/[process $i] /") 2>&1 &
  pids+=($!)
done

failed=0
for ((i = 0; i < processes; i++)); do
  wait "${pids[$i]}" || { failed=1; echo "cluster/ssh.sh: process $i on ${hosts[$i]} failed" >&2; }
done
exit "$failed"
