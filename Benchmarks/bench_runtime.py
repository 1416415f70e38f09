#!/usr/bin/env python3
"""Measures picolayer's PicoLisp runtime against AWS's awslambdaric and an original-style curl loop.

Usage: bench_runtime.py LAYER_DIR WORK_DIR [LAYER_WITH_LIBRARIES_DIR]
All three runtimes are driven by the same Runtime API server (Tests/runtime/fake_runtime_api.py) with the
same events. Figures:
  overhead  server-side time from starting to write an event to reading the request line of its /response
            (the runtime's whole turn: read, decode, echo handler, encode, post), 1 KB SQS-like event
  cycle     wall time per invocation over the run, server included (same server for all)
  cold      time from spawning the process to the request line of its first GET /next
  RSS       resident set size of the runtime after 1,000 and after 10,000 invocations
With BENCH_C_LOOP naming a build of Benchmarks/emulator/noop-runtime.c, that loop runs beside them as the floor.
With a layer that also holds picolisp-json and picolisp-awscurl, the cold start is measured once per library the
runtime preloads (each row adds one), beside awslambdaric's cold start in the same run, as a ratio.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "runtime"))
from fake_runtime_api import Event, run_runtime  # noqa: E402
from gen_sqs import record  # noqa: E402

CURL_LOOP = r'''#!/bin/bash
# The original's style: fork curl (and mktemp, rm) for every request.
while true; do
    HEADERS="$(mktemp)"
    EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
    REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
    curl -sS -X POST "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" \
        -d "$EVENT_DATA" >/dev/null
    rm -f "$HEADERS"
done
'''

PY_HANDLER = "def handler(event, context):\n    return event\n"
PL_HANDLER = "(de handler (Event Headers)\n   Event )\n"


def one_kb_event():
    doc = {"Records": [record(1)]}
    raw = json.dumps(doc, separators=(",", ":"))
    doc["Records"][0]["attributes"]["Padding"] = "p" * max(0, 1024 - len(raw) - 14)
    return json.dumps(doc, separators=(",", ":")).encode()


def events(n, body):
    return [Event(body, "bench-%06d" % i) for i in range(n)]


def cpu_seconds(pid):
    """User plus system CPU time of a process so far, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_watch(warm):
    """watch/before_stop callbacks for run_runtime: the runtime's CPU time once `warm` events are answered and at
    the end, so the figure leaves out start-up and warm-up."""
    mark = {}

    def watch(proc, state):
        def poll():
            while proc.poll() is None and "start" not in mark:
                with state.lock:
                    done = len(state.answered)
                if done >= warm:
                    mark["start"] = (cpu_seconds(proc.pid), done)
                time.sleep(0.001)
        threading.Thread(target=poll, daemon=True).start()

    def final(proc):
        mark["end"] = cpu_seconds(proc.pid)

    return mark, watch, final


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def overhead(result):
    ms = [(result["answer"][rid] - t) * 1000 for rid, t in result["sent"].items() if rid in result["answer"]]
    return ms


def cold_p50(layer, root, handler, body, argv=None, runs=9):
    colds = []
    for _ in range(runs):
        r = run_runtime(layer, root, handler, events(1, body), timeout=30, argv=argv)
        if r["first_next"] is not None:
            colds.append((r["first_next"] - r["spawned"]) * 1000)
    return statistics.median(colds) if colds else float("nan")


# Each row adds one file or folder to the layer: what the runtime preloads, as the original's bootstrap did.
LIBRARY_STEPS = [
    ("runtime.l alone", None),
    ("+ @lib/misc.l", "picoLisp/lib/misc.l"),
    ("+ @lib/http.l", "picoLisp/lib/http.l"),
    ("+ picolisp-json json.l", "picoLisp/json"),
    ("+ picolisp-awscurl", "picoLisp/awscurl"),
]


def library_costs(full_layer, pl_root, body, peer_cold, work):
    print()
    print("cold start by preloaded library (p50 of 15 spawns), beside awslambdaric's %.1f ms" % (peer_cold or 0))
    print("%-28s %12s %10s" % ("layer", "cold p50 ms", "x awslambdaric"))
    later = [path for _, path in LIBRARY_STEPS if path]
    for name, path in LIBRARY_STEPS:
        if path:
            later.remove(path)
        variant = os.path.join(work, "variant")
        shutil.rmtree(variant, ignore_errors=True)
        shutil.copytree(full_layer, variant, symlinks=True)
        for absent in later:
            target = os.path.join(variant, absent)
            shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
        cold = cold_p50(variant, pl_root, "bench.handler", body, runs=15)
        ratio = cold / peer_cold if peer_cold else float("nan")
        print("%-28s %12.1f %10.3f" % (name, cold, ratio))


def one_run(layer, root, handler, argv, body, n):
    """(turn ms after the warm-up tenth, cycle ms, CPU ms per event) of one run of n events; None if it failed."""
    mark, watch, final = cpu_watch(n // 10)
    r = run_runtime(layer, root, handler, events(n, body), timeout=120, argv=argv, watch=watch, before_stop=final)
    ms = overhead(r)
    if len(ms) < n:
        print("%s: only %d of %d invocations answered; stderr: %r" % (argv or handler, len(ms), n, r["stderr"][-300:]))
        return None
    order = sorted(r["sent"].values())
    cycle = (max(r["answer"].values()) - order[n // 10]) * 1000 / (n - n // 10)
    cpu = float("nan")
    if "start" in mark and mark.get("end") is not None and mark["start"][0] is not None:
        cpu = (mark["end"] - mark["start"][0]) * 1000 / max(1, n - mark["start"][1])
    return ms[n // 10:], cycle, cpu


# The machine's speed drifts between runs (a virtual machine's neighbours): the ratios are taken round by round,
# ours and the peer back to back, and the median of the rounds is the figure.
ROUNDS = 5


def interleaved(layer, body, ours, peer):
    cpu_ratios, p50_ratios = [], []
    for _ in range(ROUNDS):
        a = one_run(layer, ours[1], ours[2], ours[3], body, 3000)
        b = one_run(layer, peer[1], peer[2], peer[3], body, 3000)
        if a and b:
            cpu_ratios.append(a[2] / b[2])
            p50_ratios.append(statistics.median(a[0]) / statistics.median(b[0]))
    return cpu_ratios or [float("nan")], p50_ratios or [float("nan")]


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    layer, work = sys.argv[1], sys.argv[2]
    body = one_kb_event()
    pl_root = os.path.join(work, "pl")
    py_root = os.path.join(work, "py")
    sh_root = os.path.join(work, "sh")
    for d in (pl_root, py_root, sh_root):
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(pl_root, "bench.l"), "w") as f:
        f.write(PL_HANDLER)
    with open(os.path.join(py_root, "echo_handler.py"), "w") as f:
        f.write(PY_HANDLER)
    curl_loop = os.path.join(sh_root, "bootstrap")
    with open(curl_loop, "w") as f:
        f.write(CURL_LOOP)
    os.chmod(curl_loop, 0o755)

    runtimes = [
        ("picolayer runtime.l", pl_root, "bench.handler", None, 3000),
        ("awslambdaric (Python)", py_root, "echo_handler.handler",
         [sys.executable, "-m", "awslambdaric", "echo_handler.handler"], 3000),
        ("original style (curl loop)", sh_root, "x.y", [curl_loop], 200),
    ]
    c_loop = os.environ.get("BENCH_C_LOOP")
    if c_loop:  # the floor: a minimal C loop that only speaks the protocol, against the same server
        runtimes.append(("minimal C loop (floor)", sh_root, "x.y", [c_loop], 3000))
    try:
        import awslambdaric  # noqa: F401
    except ImportError:
        runtimes[1] = None
        print("awslambdaric is not installed (scripts/install-test-deps.sh installs it); its row is skipped")

    print("Runtime API: Tests/runtime/fake_runtime_api.py on 127.0.0.1 (the invoke emulator is not used here)")
    print("event: SQS-like record, %d bytes; handler: echo" % len(body))
    print()
    colds_by_name = {}
    print("%-28s %9s %9s %9s %10s %12s %9s %7s" % ("runtime", "p50 ms", "p90 ms", "p99 ms", "cycle ms", "cold p50 ms",
                                                  "CPU ms/ev", "n"))
    cpu_by_name = {}
    p50_by_name = {}
    for entry in runtimes:
        if entry is None:
            continue
        name, root, handler, argv, n = entry
        cold = cold_p50(layer, root, handler, body, argv)
        colds_by_name[name] = cold
        run = one_run(layer, root, handler, argv, body, n)
        if run is None:
            continue
        ms, cycle, cpu = run
        cpu_by_name[name] = cpu
        p50_by_name[name] = statistics.median(ms)
        print("%-28s %9.3f %9.3f %9.3f %10.3f %12.1f %9.4f %7d" % (
            name, statistics.median(ms), percentile(ms, 90), percentile(ms, 99), cycle,
            cold, cpu, len(ms)))
    ours, peer = "picolayer runtime.l", "awslambdaric (Python)"
    if ours in cpu_by_name and peer in cpu_by_name:
        by_name = {entry[0]: entry for entry in runtimes if entry}
        cpu_ratios, p50_ratios = interleaved(layer, body, by_name[ours], by_name[peer])
        print()
        print("runtime CPU per event (user+sys from /proc), %d interleaved rounds, ratio per round: %s; "
              "median %.2fx (goal <= 0.25)" % (ROUNDS, " ".join("%.2f" % r for r in cpu_ratios),
                                               statistics.median(cpu_ratios)))
        print("turn p50 at the Runtime API, the same rounds: %s; median %.2fx (goal <= 0.70)" % (
            " ".join("%.2f" % r for r in p50_ratios), statistics.median(p50_ratios)))
        print("cold start p50: %.1f ms vs awslambdaric %.1f ms = %.3fx (goal <= 0.20)" % (
            colds_by_name[ours], colds_by_name[peer], colds_by_name[ours] / colds_by_name[peer]))
        floor = cpu_by_name.get("minimal C loop (floor)")
        if floor:
            print("CPU per event above the minimal C loop's %.4f ms (the kernel's share of two HTTP exchanges): "
                  "runtime.l %.4f ms, awslambdaric %.4f ms; the floor alone is %.2fx awslambdaric" % (
                      floor, cpu_by_name[ours] - floor, cpu_by_name[peer] - floor, floor / cpu_by_name[peer]))
    if len(sys.argv) > 3:
        library_costs(sys.argv[3], pl_root, body, colds_by_name.get("awslambdaric (Python)"), work)

    # RSS over 10,000 invocations of our runtime
    samples = {}

    def watch(proc, state):
        def poll():
            marks = [1000, 5000]
            while proc.poll() is None and marks:
                with state.lock:
                    done = len(state.answered)
                if done >= marks[0]:
                    samples[marks.pop(0)] = rss_kb(proc.pid)
                time.sleep(0.02)
        threading.Thread(target=poll, daemon=True).start()

    def final(proc):
        samples[10000] = rss_kb(proc.pid)

    r = run_runtime(layer, pl_root, "bench.handler", events(10000, body), timeout=150, watch=watch,
                    before_stop=final)
    answered = sum(1 for v in r["answered"].values() if v == "response")
    print()
    print("RSS of runtime.l: %s (answered %d of 10000)" % (
        ", ".join("%d KiB after %d" % (v or 0, k) for k, v in sorted(samples.items())), answered))
    return 0


if __name__ == "__main__":
    sys.exit(main())
