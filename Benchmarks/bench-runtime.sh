#!/usr/bin/env bash
# Benchmark of the PicoLisp runtime (templates/bootstrap + runtime.l + json.l), side by side with AWS's
# awslambdaric (Python echo handler) and an original-style shell loop forking curl per request, all against
# the same Runtime API server and events; then the JSON codec against PicoLisp's own @lib/json.l.
# Usage: Benchmarks/bench-runtime.sh [PICOLAYER_BINARY]   (the binary is not needed yet: see below)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
home=/usr/lib/picolisp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/Tests/runtime/stage-layer.sh" "$work/layer" "$home"
python3 "$root/Tests/runtime/gen_sqs.py" "$work/sqs.json" 1800

echo "== bench-runtime: per-invocation overhead, cold start, RSS"
python3 "$here/bench_runtime.py" "$work/layer" "$work"
echo
echo "== bench-runtime: JSON codec on a 1,800-record SQS-like batch"
picolisp "$home/lib.l" "$here/bench-codec.l" "$root/templates" "$work/sqs.json"
