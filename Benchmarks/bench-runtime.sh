#!/usr/bin/env bash
# Benchmark of the PicoLisp runtime (templates/bootstrap + runtime.l + json.l), side by side with AWS's
# awslambdaric (Python echo handler) and an original-style shell loop forking curl per request, all against
# the same Runtime API server and events (latency, and CPU per event from /proc); then the JSON codec (json.l with
# and without its C helper) against PicoLisp's own read and @lib/json.l and Python's json module.
# Usage: Benchmarks/bench-runtime.sh [PICOLAYER_BINARY]
# With the binary, the same runtimes also run 10,000 invocations through picolayer's own emulator
# (`picolayer invoke --benchmark-count`), beside a minimal C loop that only speaks the protocol: the difference
# to that loop is what each runtime adds per invocation.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
home=/usr/lib/picolisp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/Tests/runtime/stage-layer.sh" "$work/layer" "$home"
# The real picolisp-json and picolisp-awscurl (test inputs kept outside the project) for the cold start per library.
thirdparty=$root/../shared/testdata/thirdparty
with_libraries=()
if [[ -f $thirdparty/picolisp-json-4.1.0.tar.gz && -f $thirdparty/picolisp-awscurl-1.0.0.tar.gz ]]; then
    THIRDPARTY=$thirdparty "$root/Tests/runtime/stage-layer.sh" "$work/layer-libs" "$home"
    with_libraries=("$work/layer-libs")
else
    echo "bench-runtime: $thirdparty is absent: the cold start per preloaded library is skipped"
fi
python3 "$root/Tests/runtime/gen_sqs.py" "$work/sqs.json" 1800

echo "== bench-runtime: per-invocation overhead, cold start, RSS"
mkdir -p "$work/c"
cc -O2 -o "$work/c/bootstrap" "$here/emulator/noop-runtime.c"
BENCH_C_LOOP=$work/c/bootstrap python3 "$here/bench_runtime.py" "$work/layer" "$work" "${with_libraries[@]}"

if [[ -n ${1:-} && -x $1 ]]; then
    echo
    echo "== bench-runtime: 10,000 invocations through the picolayer emulator, 1 KB SQS-like event, echo handler"
    mkdir -p "$work/fn" "$work/py"
    printf '(de echo (Event_Data Headers) Event_Data)\n' > "$work/fn/main.l"
    python3 -c 'import json; print(json.dumps({"Records": [{"messageId": "m" * 36, "body": "b" * 850}]}))' \
        > "$work/event.json"
    printf '#!/bin/sh\nexec %s -m awslambdaric "$_HANDLER"\n' "$(python3 -c 'import sys; print(sys.executable)')" \
        > "$work/py/bootstrap"
    chmod +x "$work/py/bootstrap"
    printf 'def echo(event, context):\n    return event\n' > "$work/py/main.py"
    through() { # task-root [layer]
        "$1" invoke --handler main.echo --task-root "$2" --layer "${3:-$work/none}" --event "$work/event.json" \
            --benchmark-count 10000 2>/dev/null | tail -1
    }
    field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
    base=$(through "$1" "$work/c")
    base_p50=$(field "$base" p50_us)
    printf '%-28s %10s %10s %14s %12s\n' runtime p50_us p99_us "added p50 us" invocations/s
    for row in "minimal C loop||" "picolayer runtime.l|$work/fn|$work/layer" "awslambdaric (Python)|$work/py|"; do
        IFS='|' read -r name task layer <<<"$row"
        if [[ -z $task ]]; then result=$base; else result=$(through "$1" "$task" "$layer"); fi
        printf '%-28s %10s %10s %14.1f %12s\n' "$name" "$(field "$result" p50_us)" "$(field "$result" p99_us)" \
            "$(echo "$(field "$result" p50_us) - $base_p50" | bc -l)" "$(field "$result" per_s)"
    done
fi
echo
echo "== bench-runtime: JSON codec on a 1,800-record SQS-like batch and a 40-key object"
python3 -c 'import json; print(json.dumps({"key%02d" % i: "value number %d" % i if i % 3 else i * 1000 for i in range(40)}, separators=(",", ":")))' >"$work/small.json"
python3 "$here/bench_codec.py" "$work/layer/picoLisp" "$work/sqs.json" "$work/small.json"
