#!/usr/bin/env bash
# Emulator latency: 10,000 warm invocations through `picolayer invoke`'s LocalLambda, each a full Runtime API
# round trip (event queued, GET /next answered, POST /response read, result returned), measured inside
# picolayer around each invoke. Two runtimes: a minimal C loop on one keep-alive socket (so the figures are
# the emulator's own cost plus a few syscalls), and AWS's awslambdaric running a Python echo handler.
# Usage: Benchmarks/bench-emulator.sh path/to/release/picolayer [count]
set -euo pipefail

bin=${1:?usage: bench-emulator.sh PICOLAYER [COUNT]}
count=${2:-10000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/c" "$work/py"
cc -O2 -o "$work/c/bootstrap" "$here/emulator/noop-runtime.c"
python=$(python3 -c 'import sys; print(sys.executable)')
printf '#!/bin/sh\nexec %s -m awslambdaric "$_HANDLER"\n' "$python" > "$work/py/bootstrap"
chmod +x "$work/py/bootstrap"
printf 'def fn(event, context):\n    return event\n' > "$work/py/handler.py"
printf '{"hello":"world"}' > "$work/event.json"

run() {
    "$bin" invoke --handler handler.fn --task-root "$1" --layer "$work/none" --event "$work/event.json" \
        --benchmark-count "$count"
}

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

c=$(run "$work/c")
py=$(run "$work/py")
echo "emulator: $count warm invocations, one at a time (round trip per invocation, microseconds)"
printf '%-34s %10s %10s %10s %12s\n' runtime p50_us p99_us mean_us invocations/s
printf '%-34s %10s %10s %10s %12s\n' "minimal C keep-alive loop" "$(field "$c" p50_us)" "$(field "$c" p99_us)" \
    "$(field "$c" mean_us)" "$(field "$c" per_s)"
printf '%-34s %10s %10s %10s %12s\n' "awslambdaric (Python, AWS)" "$(field "$py" p50_us)" "$(field "$py" p99_us)" \
    "$(field "$py" mean_us)" "$(field "$py" per_s)"
echo "target: p50 below 100 us with the minimal loop"
