#!/usr/bin/env bash
# Runs every benchmark of the project: Benchmarks/bench-*.sh, each given the release picolayer binary.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/picolayer}
[[ -x $binary ]] || { echo "bench: $binary is not built; run 'make' first" >&2; exit 1; }
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
status=0
for bench in Benchmarks/bench-*.sh; do
    echo "=== ${bench#Benchmarks/}"
    "$bench" "$binary" || { echo "bench: ${bench} failed" >&2; status=1; }
    echo
done
exit $status
