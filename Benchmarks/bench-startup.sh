#!/usr/bin/env bash
# Start-up of the binary that users install: `make dist`'s static, stripped picolayer (goal: at most 15 ms to
# print --version, and at most 50 MiB on disk) beside the AWS CLI (the tool it replaces for publish and deploy)
# and the binary given to the benchmark, median of RUNS runs each, measured in the same run.
set -euo pipefail
binary=$1
runs=${RUNS:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DIST_DIR=$work "$root/scripts/make-dist.sh" >"$work/dist.log" 2>&1 || { cat "$work/dist.log" >&2; exit 1; }
tar -xzf "$work"/picolayer-*.tar.gz -C "$work"
dist=$(echo "$work"/picolayer-*/bin/picolayer)
python3 - "$runs" "$dist" "$binary" <<'PY'
import os, statistics, subprocess, sys, time
runs = int(sys.argv[1])
tools = [("picolayer (make dist) --version", [sys.argv[2], "--version"]),
         ("picolayer (benchmarked build) --version", [sys.argv[3], "--version"]),
         ("aws --version (AWS CLI v1)", ["aws", "--version"])]
medians = {}
for name, argv in tools:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    medians[name] = statistics.median(times)
peer = medians["aws --version (AWS CLI v1)"]
print(f"{'start-up, median of %d' % runs:44} {'ms':>8} {'vs aws':>8}")
for name, seconds in medians.items():
    print(f"{name:44} {seconds * 1000:8.1f} {seconds / peer:7.3f}x")
ours = medians["picolayer (make dist) --version"]
size = os.path.getsize(sys.argv[2])
print(f"make dist binary: {size / 1048576:.1f} MiB (goal <= 50); start-up {ours * 1000:.1f} ms (goal <= 15):",
      "met" if size <= 50 * 1048576 and ours <= 0.015 else "NOT met")
PY
