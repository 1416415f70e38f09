#!/usr/bin/env python3
"""Runtime API protocol tests of templates/bootstrap + runtime.l against fake_runtime_api.py.

Usage: protocol_tests.py LAYER_DIR
Prints one line per test ("ok NAME" / "FAIL NAME: why") and finally "N passed, M failed".
"""
import json
import os
import re
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_runtime_api import MAX_PAYLOAD, Event, run_runtime  # noqa: E402

HANDLERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "handlers")
TYPE_RE = re.compile(r"^(Runtime|Function)\.[A-Z][a-zA-Z]+$")
LAYER = None
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def run(handler, events, **kw):
    return run_runtime(LAYER, HANDLERS, handler, events, **kw)


def posts(result, kind=None):
    out = [r for r in result["records"] if r["method"] == "POST"]
    if kind:
        out = [r for r in out if r["path"].endswith("/" + kind)]
    return out


def by_id(result, rid, kind):
    for r in posts(result, kind):
        if "/invocation/%s/" % rid in r["path"]:
            return r
    raise AssertionError("no %s posted for %s; stderr: %s" % (kind, rid, result["stderr"][-800:]))


def check_error_post(rec):
    body = json.loads(rec["body"])
    etype = rec["headers"].get("Lambda-Runtime-Function-Error-Type")
    check(etype is not None, "no Lambda-Runtime-Function-Error-Type header")
    check(rec["headers"].get("Content-Type") == "application/vnd.aws.lambda.error+json",
          "error Content-Type %r" % rec["headers"].get("Content-Type"))
    check(TYPE_RE.match(etype), "error type %r does not match (Runtime|Function).Reason" % etype)
    check(body.get("errorType") == etype, "errorType %r differs from header %r" % (body.get("errorType"), etype))
    check(isinstance(body.get("errorMessage"), str) and body["errorMessage"], "no errorMessage")
    check(isinstance(body.get("stackTrace"), list), "stackTrace is not an array")
    return body


@test
def echo_returns_the_event_as_json():
    docs = [b'{"a":1,"b":[1,2,{}],"c":null,"d":true,"e":false,"f":-12,"g":"x"}', b'[1,[2,[3,[]]],{"k":{}}]',
            b'  {"spaced" : [ 1 , 2 ] }\n', b"42", b"true", b'{"big":123456789012345678901234567890}']
    r = run("main.echoEvent", [Event(d, "r%d" % i) for i, d in enumerate(docs)])
    for i, d in enumerate(docs):
        got = by_id(r, "r%d" % i, "response")["body"]
        check(json.loads(got) == json.loads(d), "echo of %r gave %r" % (d, got))
    check(r["connections"] == 1, "expected one kept-alive connection, saw %d" % r["connections"])


@test
def state_survives_between_invocations():
    r = run("main.counter", [Event(b"{}", "c%d" % i) for i in range(5)])
    check([by_id(r, "c%d" % i, "response")["body"] for i in range(5)] == [b"1", b"2", b"3", b"4", b"5"],
          "counter answers: %r" % [p["body"] for p in posts(r)])


@test
def handler_errors_then_successes_in_the_same_process():
    evs = [Event(b'{"fail":5}', "e0"), Event(b'{"ok":1}', "e1"), Event(b'{"fail":"x"}', "e2"), Event(b"{}", "e3")]
    # 5 divides by zero, "x" is not a number: two different PicoLisp errors
    r = run("main.flaky", evs)
    body = check_error_post(by_id(r, "e0", "error"))
    check("Div/0" in body["errorMessage"] and "(/ 100 (- F F))" in body["errorMessage"],
          "message does not name the error and the expression: %r" % body["errorMessage"])
    check_error_post(by_id(r, "e2", "error"))
    pids = {json.loads(by_id(r, rid, "response")["body"])["pid"] for rid in ("e1", "e3")}
    check(pids == {r["pid"]}, "successes came from pids %r, runtime pid %r" % (pids, r["pid"]))
    check(r["exit_code"] is None, "runtime exited (%r) after a handler error" % r["exit_code"])


@test
def uncaught_throw_and_quit_are_reported():
    r = run("main.thrower", [Event(b"{}", "t0")])
    body = check_error_post(by_id(r, "t0", "error"))
    check("Tag not found" in body["errorMessage"] and "throw" in body["errorMessage"],
          "throw message: %r" % body["errorMessage"])
    r = run("main.quitter", [Event(b"{}", "q0"), Event(b"{}", "q1")])
    body = check_error_post(by_id(r, "q0", "error"))
    check(body["errorType"] == "Function.OrderRejected", "quit type: %r" % body["errorType"])
    check("Order rejected" in body["errorMessage"], "quit message: %r" % body["errorMessage"])
    check_error_post(by_id(r, "q1", "error"))


def init_error(handler, expected_type, fragment):
    r = run(handler, [], timeout=20)
    inits = [p for p in posts(r) if p["path"].endswith("/runtime/init/error")]
    check(len(inits) == 1, "expected one /init/error, got %d; stderr %r" % (len(inits), r["stderr"][-500:]))
    body = check_error_post(inits[0])
    check(body["errorType"] == expected_type, "type %r, expected %r" % (body["errorType"], expected_type))
    check(fragment in body["errorMessage"], "message %r lacks %r" % (body["errorMessage"], fragment))
    check(r["exit_code"] not in (None, 0), "exit code %r, expected non-zero" % r["exit_code"])
    check(not any(p["method"] == "GET" for p in r["records"]), "asked for an event after an init error")
    check(expected_type.encode() in r["stderr"], "stderr does not name the error: %r" % r["stderr"])


@test
def init_error_bad_handler_string():
    init_error("nodot", "Runtime.InvalidHandler", "nodot")
    init_error("main.", "Runtime.InvalidHandler", "main.")


@test
def init_error_missing_file():
    init_error("missing.handler", "Runtime.HandlerFileNotFound", "missing.l")


@test
def init_error_load_error():
    init_error("loaderr.handler", "Runtime.HandlerLoadError", "(+ 1 'two)")


@test
def init_error_undefined_function():
    init_error("nofun.handler", "Runtime.NoSuchHandler", "handler")


@test
def six_megabyte_event_and_response():
    items = ",".join('"%s"' % ("\u00e9\u20ac" * 40 + "%06d" % i) for i in range(29000))
    doc = ('{"items":[%s],"n":1}' % items).encode("utf-8")
    check(5_500_000 < len(doc) < MAX_PAYLOAD, "test event has %d bytes" % len(doc))
    size = MAX_PAYLOAD - 100
    r = run("main.echoEvent", [Event(doc, "big0"), Event(b'{"after":1}', "big1")], timeout=120)
    got = by_id(r, "big0", "response")["body"]
    check(json.loads(got) == json.loads(doc), "6 MB echo differs (%d bytes back)" % len(got))
    check(json.loads(by_id(r, "big1", "response")["body"]) == {"after": 1}, "event after the big one")
    r = run("main.big", [Event(b'{"size":%d}' % size, "b0")], timeout=120)
    got = by_id(r, "b0", "response")["body"]
    check(got == b"x" * size, "big response has %d bytes" % len(got))


@test
def oversized_response_becomes_an_invocation_error():
    r = run("main.big", [Event(b'{"size":%d}' % (MAX_PAYLOAD + 1), "o0"), Event(b'{"size":3}', "o1")], timeout=120)
    body = check_error_post(by_id(r, "o0", "error"))
    check(body["errorType"] == "Function.ResponseSizeTooLarge", "type %r" % body["errorType"])
    check(by_id(r, "o1", "response")["body"] == b"xxx", "next invocation after the 413")
    check(r["exit_code"] is None, "runtime exited after a 413")


@test
def unicode_round_trip():
    doc = '{"fr":"caf\u00e9","emoji":"\U0001F600","cjk":"\u3042\u3044","esc":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/",' \
          '"ctl":"\\u0001\\u001f","k\u00e9y":"v"}'
    r = run("main.echoEvent", [Event(doc.encode("utf-8"), "u0"), Event(doc.encode("utf-8"), "u1", chunked=True)])
    for rid in ("u0", "u1"):
        got = by_id(r, rid, "response")["body"]
        check(json.loads(got.decode("utf-8")) == json.loads(doc), "%s: unicode echo gave %r" % (rid, got))


@test
def headers_and_context():
    cc = json.dumps({"client": {"app_title": "t"}, "custom": {"k": "v"}})
    ev = Event(b"{}", "ctx-1", arn="arn:aws:lambda:eu-west-1:123456789012:function:f:alias",
               client_context=cc, cognito='{"cognitoIdentityId":"id1","cognitoIdentityPoolId":"pool"}',
               deadline_ms=int(time.time() * 1000) + 5000)
    r = run("main.context", [ev])
    got = json.loads(by_id(r, "ctx-1", "response")["body"])
    check(got["requestId"] == "ctx-1", "request id %r" % got["requestId"])
    check(got["arn"] == ev.arn and got["arnHeader"] == ev.arn, "ARN not kept whole: %r / %r" %
          (got["arn"], got["arnHeader"]))
    check(got["traceId"] == ev.trace and got["traceEnv"] == ev.trace, "trace id %r env %r" %
          (got["traceId"], got["traceEnv"]))
    check(got["deadlineMs"] == ev.deadline_ms, "deadline %r" % got["deadlineMs"])
    check(0 < got["remainingMs"] <= 5000, "remainingMs %r not in (0, 5000]" % got["remainingMs"])
    check(got["clientContext"] == json.loads(cc), "client context %r" % got["clientContext"])
    check(got["cognito"]["cognitoIdentityId"] == "id1", "cognito %r" % got["cognito"])
    check("HTTP/1.1" not in json.dumps(got["headers"]), "status line kept as a header")
    check(got["headers"].get("Lambda-Runtime-Aws-Request-Id") == "ctx-1", "headers alist: %r" % got["headers"])


@test
def result_rules_string_raw_other_json():
    evs = [Event(b'{"value":"plain <text>"}', "s0"), Event(b'{"value":[1,"a"]}', "s1"),
           Event(b'{"value":7}', "s2"), Event(b'{"value":1.5e-3}', "s3"), Event(b"{}", "s4")]
    r = run("main.rawValue", evs)
    got = [by_id(r, "s%d" % i, "response")["body"] for i in range(5)]
    check(got == [b"plain <text>", b'[1,"a"]', b"7", b"1.5e-3", b"{}"], "results: %r" % got)
    check(by_id(r, "s0", "response")["headers"].get("Content-Length") == "12", "content length in bytes")


@test
def unencodable_result_is_an_error():
    r = run("main.unencodable", [Event(b"{}", "n0")])
    body = check_error_post(by_id(r, "n0", "error"))
    check(body["errorType"] == "Function.ResultNotEncodable", "type %r" % body["errorType"])


@test
def non_json_event_is_passed_as_a_string():
    r = run("main.echoEvent", [Event(b"hello, not json", "j0"), Event(b'{"a":[1,', "j1"), Event(b"{}", "j2")])
    check(by_id(r, "j0", "response")["body"] == b"hello, not json", "raw event")
    check(by_id(r, "j1", "response")["body"] == b'{"a":[1,', "truncated JSON passed as text")
    check(by_id(r, "j2", "response")["body"] == b"{}", "next event")


@test
def large_invalid_event_is_an_invocation_error():
    doc = b'{"a":"' + b"y" * 100000 + b'", bad}'
    truncated = b'{"a":[' + b'"' + b"z" * 100000 + b'",'  # ends where more JSON must follow
    r = run("main.echoEvent", [Event(doc, "l0"), Event(b'{"ok":true}', "l1"), Event(truncated, "l2"),
                               Event(b'{"ok":2}', "l3")])
    for rid in ("l0", "l2"):
        body = check_error_post(by_id(r, rid, "error"))
        check(body["errorType"] == "Runtime.InvalidEvent", "%s: type %r" % (rid, body["errorType"]))
    check(by_id(r, "l1", "response")["body"] == b'{"ok":true}', "event after the invalid one")
    check(by_id(r, "l3", "response")["body"] == b'{"ok":2}', "event after the truncated one")


def invalid_events(r, ids):
    """The /error of each id: Runtime.InvalidEvent naming UTF-8; returns their messages."""
    out = []
    for rid in ids:
        body = check_error_post(by_id(r, rid, "error"))
        check(body["errorType"] == "Runtime.InvalidEvent", "%s: type %r" % (rid, body["errorType"]))
        out.append(body["errorMessage"])
    return out


BROKEN_UTF8 = [b'"\xc3', b'"ab\xe2\x82"', b'{"s":"\xff abc"}', b"a\x00b", b'"\xc0\xaf"', b'"\xed\xa0\x80"',
               b'"\xf4\x90\x80\x80"', b"\x80", b'"\xf0\x9f\x98"', b'{"text":"abcdefghijk\x00lmnopqrstuvw"}',
               b'{"text":"abcdefghijklmnopqrs\xc3"}']


@test
def broken_utf8_in_a_small_event_is_an_invalid_event_at_once():
    # cut-off, bad continuation, 0xFF, NUL, overlong, surrogate, above U+10FFFF, stray continuation, cut off, NUL
    # and cut-off after plain text
    evs = [Event(b, "u%d" % i) for i, b in enumerate(BROKEN_UTF8)]
    evs += [Event('"caf\u00e9 \U0001F600"'.encode(), "ok0"), Event("caf\u00e9 \u20ac".encode(), "ok1")]
    start = time.monotonic()
    r = run("main.echoEvent", evs, timeout=20)
    took = time.monotonic() - start
    msgs = invalid_events(r, ["u%d" % i for i in range(len(BROKEN_UTF8))])
    check(all("not valid UTF-8" in m for m in msgs), "messages: %r" % msgs)
    check("byte 0xC3 at offset 1" in msgs[0], "offset of the cut-off character: %r" % msgs[0])
    check("byte 0xE2 at offset 3" in msgs[1], "offset of the broken sequence: %r" % msgs[1])
    check("NUL" in msgs[3], "NUL: %r" % msgs[3])
    # the same within runs of eight plain bytes (the helper checks those eight at a time)
    check("byte 0x00 at offset 20 is NUL" in msgs[9], "NUL within a run: %r" % msgs[9])
    check("byte 0xC3 at offset 28" in msgs[10], "a cut-off character after a run: %r" % msgs[10])
    check(by_id(r, "ok0", "response")["body"] == "caf\u00e9 \U0001F600".encode(), "valid JSON string")
    check(by_id(r, "ok1", "response")["body"] == "caf\u00e9 \u20ac".encode(), "valid text passed unchanged")
    check(r["connections"] == 1, "a broken event must not cost the connection: %d" % r["connections"])
    check(took < 10, "took %.1f s: a broken event must not stall" % took)


@test
def broken_utf8_in_a_large_event_is_an_invalid_event_at_once():
    pad = b"a" * 70000
    evs = [Event(b'"' + pad + b"\xc3", "w0"), Event(b'{"s":"' + pad + b'\xe2\x82"}', "w1"),
           Event(b'["' + pad + b'\xff"]', "w2"), Event(b'{"ok":1}', "w3"),
           Event(b'"' + pad + b'\xe2\x82', "w4", chunked=True), Event(b'{"ok":2}', "w5")]
    start = time.monotonic()
    r = run("main.echoEvent", evs, timeout=20)
    took = time.monotonic() - start
    msgs = invalid_events(r, ["w0", "w1", "w2", "w4"])
    check(all("not valid UTF-8" in m for m in msgs), "messages: %r" % msgs)
    check("offset 70001" in msgs[0], "offset: %r" % msgs[0])
    check(by_id(r, "w3", "response")["body"] == b'{"ok":1}', "event after the broken ones")
    check(by_id(r, "w5", "response")["body"] == b'{"ok":2}', "event after the chunked one")
    check(took < 1.5, "took %.1f s: broken UTF-8 must be reported at once, not after a stall" % took)


@test
def a_body_that_stops_short_is_reported_after_one_stall():
    evs = [Event(b'{"a":"xy', "s0", short_by=5), Event(b'{"ok":1}', "s1"),
           Event(b'"' + b"b" * 70000, "s2", short_by=3), Event(b'{"ok":2}', "s3")]
    start = time.monotonic()
    r = run("main.echoEvent", evs, timeout=30)
    took = time.monotonic() - start
    msgs = [check_error_post(by_id(r, rid, "error"))["errorMessage"] for rid in ("s0", "s2")]
    check(all("cut off" in m for m in msgs), "messages: %r" % msgs)
    check("after 8 of 13 bytes" in msgs[0], "count: %r" % msgs[0])
    check(by_id(r, "s1", "response")["body"] == b'{"ok":1}', "event after the short one")
    check(by_id(r, "s3", "response")["body"] == b'{"ok":2}', "event after the large short one")
    check(took < 7, "took %.1f s for two stalls of 2 s" % took)


@test
def logs_go_to_stdout_and_stderr():
    r = run("main.logger", [Event(b'{"n":1}', "g0"), Event(b'{"n":2}', "g1")])
    check(b"log to stdout 1\nlog to stdout 2\n" in r["stdout"], "stdout: %r" % r["stdout"])
    check(r["stderr"].count(b"log to stderr") == 2, "stderr: %r" % r["stderr"])


@test
def sigterm_while_waiting_for_an_event_ends_the_runtime():
    """Lambda may stop a runtime with SIGTERM while it waits on /next: PicoLisp's handler must run at once (it ends
    the process), also while the C helper is the one waiting in read()."""
    import subprocess
    seen = {}

    def stop(proc):
        start = time.monotonic()
        proc.terminate()
        try:
            proc.wait(3)
            seen["took"], seen["code"] = time.monotonic() - start, proc.returncode
        except subprocess.TimeoutExpired:
            seen["took"] = None

    r = run("main.echoEvent", [Event(b'{"n":1}', "t0")], before_stop=stop)
    check(by_id(r, "t0", "response")["body"] == b'{"n":1}', "the event before")
    check(seen.get("took") is not None, "the runtime did not end within 3 s of SIGTERM")
    check(seen["took"] < 2, "took %.1f s to end after SIGTERM" % seen["took"])
    check(seen["code"] == 0, "exit code %r after SIGTERM" % seen["code"])


@test
def a_new_trace_id_per_invocation_does_not_grow_the_process():
    """Lambda sends a new Lambda-Runtime-Trace-Id with every event; glibc's setenv keeps every value it was given
    (about 150 bytes each), so _X_AMZN_TRACE_ID must not be set with it."""
    import threading
    n, rss = 12000, {}

    def sample(pid):
        with open("/proc/%d/status" % pid) as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    def watch(proc, state):
        def poll():
            while proc.poll() is None and "early" not in rss:
                with state.lock:
                    if len(state.answered) >= 2000:
                        rss["early"] = sample(proc.pid)
                time.sleep(0.01)
        threading.Thread(target=poll, daemon=True).start()

    def stop(proc):
        rss["late"] = sample(proc.pid)

    trace = "Root=1-5759e988-bd862e3fe1be46a9942%05d;Parent=53995c3f42cd8ad8;Sampled=1"
    evs = [Event(b'{"n":1}', "x%05d" % i, trace=trace % i) for i in range(n)]
    r = run("main.context", evs[:-1] + [Event(b"{}", "xlast", trace=trace % 99999)], watch=watch, before_stop=stop,
            timeout=180)
    check(json.loads(by_id(r, "xlast", "response")["body"])["traceEnv"] == trace % 99999, "the last trace id")
    check("early" in rss and "late" in rss, "RSS not sampled: %r" % rss)
    check(rss["late"] - rss["early"] < 600, "RSS grew by %d KiB over %d invocations" % (rss["late"] - rss["early"],
                                                                                        n - 2000))


@test
def connection_drop_and_reconnect():
    evs = [Event(b'{"n":1}', "d0"), Event(b'{"n":2}', "d1", drop_next=True), Event(b'{"n":3}', "d2", drop_response=True),
           Event(b'{"n":4}', "d3")]
    r = run("main.echoEvent", evs)
    for i in range(4):
        check(json.loads(by_id(r, "d%d" % i, "response")["body"]) == {"n": i + 1}, "event d%d" % i)
    check(r["connections"] >= 3, "expected reconnects, saw %d connections" % r["connections"])
    check(r["exit_code"] is None, "runtime exited: %r" % r["stderr"])


@test
def chunked_event_body():
    doc = '{"k":"' + "\u00e9" * 50 + '","n":[1,2,3]}'
    r = run("main.echoEvent", [Event(doc.encode(), "k0", chunked=True), Event(b'{"x":1}', "k1")])
    check(json.loads(by_id(r, "k0", "response")["body"]) == json.loads(doc), "chunked echo")
    check(json.loads(by_id(r, "k1", "response")["body"]) == {"x": 1}, "event after chunked")


@test
def runtime_api_failure_exits_non_zero():
    r = run("main.echoEvent", [Event(b"{}", "f0"), Event(b"{}", "f1", next_status=500)], wait_exit=True, timeout=20)
    check(by_id(r, "f0", "response")["body"] == b"{}", "first event")
    check(r["exit_code"] not in (None, 0), "exit code %r after a 500 on /next" % r["exit_code"])
    check(b"500" in r["stderr"], "stderr: %r" % r["stderr"])
    r = run("main.echoEvent", [], api="127.0.0.1:1", timeout=20)
    check(r["exit_code"] not in (None, 0), "exit code %r with no Runtime API" % r["exit_code"])
    check(b"cannot connect" in r["stderr"], "stderr: %r" % r["stderr"])


@test
def works_without_ht_so():
    """Without @lib/ht.so the runtime reads bodies byte by byte (slower, same results)."""
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        layer = os.path.join(tmp, "layer")
        shutil.copytree(LAYER, layer, symlinks=True)
        os.remove(os.path.join(layer, "picoLisp", "lib", "ht.so"))
        doc = '{"k":"caf\u00e9 \U0001F600","big":"%s"}' % ("z" * 70000)
        evs = [Event(b'{"a":[1,2]}', "h0"), Event(doc.encode(), "h1"), Event(b'{"c":1}', "h2", chunked=True)]
        r = run_runtime(layer, HANDLERS, "main.echoEvent", evs)
        check(json.loads(by_id(r, "h0", "response")["body"]) == {"a": [1, 2]}, "small event")
        check(json.loads(by_id(r, "h1", "response")["body"]) == json.loads(doc), "large unicode event")
        check(json.loads(by_id(r, "h2", "response")["body"]) == {"c": 1}, "chunked event")


@test
def handlers_written_for_the_original_run_unchanged():
    r = run("main.original", [Event(b'{"x":"y"}', "o0")])
    got = json.loads(by_id(r, "o0", "response")["body"])
    check(got == {"got": "y", "list": [1, 2, 3], "decoded": {"k": [True, None]}}, "compat json-encode: %r" % got)
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        layer = os.path.join(tmp, "layer")
        shutil.copytree(LAYER, layer, symlinks=True)
        shutil.rmtree(os.path.join(layer, "picoLisp", "json"), ignore_errors=True)  # a built layer's real one
        os.makedirs(os.path.join(layer, "picoLisp", "json"))
        with open(os.path.join(layer, "picoLisp", "json", "json.l"), "w") as f:
            # a stand-in for picolisp-json: the runtime must load it before the handler and keep its definitions
            f.write('(de json-encode (Lst) "from json/json.l")\n(de json-decode (S F) NIL)\n')
        r = run_runtime(layer, HANDLERS, "main.original", [Event(b"{}", "o1")])
        check(by_id(r, "o1", "response")["body"] == b"from json/json.l", "json/json.l not used: %r" %
              by_id(r, "o1", "response")["body"])


def main():
    global LAYER
    LAYER = sys.argv[1]
    only = sys.argv[2:]
    passed = failed = 0
    for fn in TESTS:
        if only and fn.__name__ not in only:
            continue
        try:
            fn()
            passed += 1
            print("ok   %s" % fn.__name__, flush=True)
        except Exception as e:  # a failing test, reported and counted
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e), flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
