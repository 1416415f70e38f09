#!/usr/bin/env python3
"""The JSON codec's table: json.l with its C helper, json.l alone, PicoLisp's own `read` and @lib/json.l, and
Python's json module, all on the same files in the same run, with the ratios #18's goals are stated in.

Usage: bench_codec.py PICOLISP_DIR FILE.json SMALL.json
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def python_us(fn, runs):
    times = []
    for _ in range(9):
        start = time.perf_counter()
        for _ in range(runs):
            fn()
        times.append((time.perf_counter() - start) * 1e6 / runs)
    return statistics.median(times)


def main():
    pico, big, small = sys.argv[1:4]
    out = subprocess.run(["picolisp", "/usr/lib/picolisp/lib.l", os.path.join(HERE, "bench-codec.l"), pico, big, small],
                         check=True, capture_output=True, text=True).stdout
    pl = {k: int(v) for k, v in (line.split() for line in out.splitlines() if line.strip())}
    text = open(big, encoding="utf-8").read()
    small_text = open(small, encoding="utf-8").read()
    doc = json.loads(text)
    loads = python_us(lambda: json.loads(text), 1)
    dumps = python_us(lambda: json.dumps(doc, separators=(",", ":"), ensure_ascii=False), 1)
    small_loads = python_us(lambda: json.loads(small_text), 2000)
    print("file: %d bytes (%s); small: %d bytes, 40 keys; medians of 9 runs" % (pl["bytes"], os.path.basename(big),
                                                                              len(small_text.encode())))
    print("%-44s %10s %-26s %8s %s" % ("figure", "ms", "peer", "ratio", "goal"))
    rows = [
        ("jsonRead, with lib/picolayer.so", pl["jsonRead"], "PicoLisp read of s-exprs", pl["read_sexp"], "<= 1.5"),
        ("jsonParse of a string, with the helper", pl["jsonParse"], "PicoLisp read of s-exprs", pl["read_sexp"],
         "<= 1.5"),
        ("jsonParse, with the helper", pl["jsonParse"], "jsonRead, with the helper", pl["jsonRead"], "<= 1.0"),
        ("jsonPack, with the helper", pl["jsonPack"], "Python json.dumps", dumps, "<= 2.0"),
        ("jsonRead, PicoLisp alone", pl["jsonRead_lisp"], "PicoLisp read of s-exprs", pl["read_sexp"], ""),
        ("jsonParse, PicoLisp alone", pl["jsonParse_lisp"], "PicoLisp read of s-exprs", pl["read_sexp"], ""),
        ("jsonPack, PicoLisp alone", pl["jsonPack_lisp"], "Python json.dumps", dumps, ""),
        ("jsonRead, with the helper", pl["jsonRead"], "Python json.loads", loads, ""),
        ("@lib/json.l readJson", pl["readJson"], "Python json.loads", loads, ""),
        ("@lib/json.l printJson", pl["printJson"], "Python json.dumps", dumps, ""),
    ]
    for name, ours, peer_name, peer, goal in rows:
        print("%-44s %10.2f %-26s %8.2f %s" % (name, ours / 1000, "%s %.2f ms" % (peer_name, peer / 1000),
                                             ours / peer, goal))
    print("%-44s %10.3f %-26s %8.2f" % ("jsonParse 1.2 KB, with the helper (ms)", pl["jsonParse_small"] / 1000,
                                        "Python %.3f ms" % (small_loads / 1000), pl["jsonParse_small"] / small_loads))
    print("%-44s %10.3f %-26s %8.2f" % ("jsonParse 1.2 KB, PicoLisp alone (ms)", pl["jsonParse_small_lisp"] / 1000,
                                        "Python %.3f ms" % (small_loads / 1000),
                                        pl["jsonParse_small_lisp"] / small_loads))


if __name__ == "__main__":
    sys.exit(main())
