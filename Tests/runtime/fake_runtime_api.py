#!/usr/bin/env python3
"""A small Lambda Runtime API (2018-06-01) for testing picolayer's runtime.

It follows the Runtime API as AWS documents it (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): GET /runtime/invocation/next answers 200 with the event bytes and the
Lambda-Runtime-* headers; POST .../{id}/response answers 202 (413 above the payload limit, 400 for an unknown
id, 403 when the invocation is already answered); POST .../{id}/error and /runtime/init/error answer 202.
Every request is recorded with its headers and body. Faults can be injected per event: drop the connection
instead of answering /next or /response, answer /next with another status, send the event chunked.

Used as a library by protocol_tests.py and bench-runtime.sh (run_runtime starts the runtime process, waits
until every queued event is answered or the process exits, then stops it), or from the command line:
    fake_runtime_api.py serve EVENTS.jsonl   # prints the port, serves until killed
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_PAYLOAD = 6291556
BASE = "/2018-06-01"


class Event:
    """One queued invocation: body bytes plus optional faults."""

    def __init__(self, body, request_id, deadline_ms=None, arn=None, trace=None, client_context=None,
                 cognito=None, chunked=False, drop_next=False, drop_response=False, next_status=200, short_by=0):
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.request_id = request_id
        self.deadline_ms = deadline_ms if deadline_ms is not None else int(time.time() * 1000) + 300000
        self.arn = arn if arn is not None else "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime"
        self.trace = trace if trace is not None else \
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
        self.client_context = client_context
        self.cognito = cognito
        self.chunked = chunked
        self.drop_next = drop_next
        self.drop_response = drop_response
        self.next_status = next_status
        self.short_by = short_by    # Content-Length claims this many bytes more than are sent (then silence)


class State:
    def __init__(self, events, max_payload=MAX_PAYLOAD):
        self.lock = threading.Condition()
        self.queue = list(events)
        self.pending = {e.request_id: e for e in events}
        self.answered = {}          # request id -> "response" | "error"
        self.records = []           # every request: dict(method, path, headers, body)
        self.connections = 0
        self.max_payload = max_payload
        self.stopping = False
        self.next_served = 0
        self.sent = {}              # request id -> perf_counter() just before the event was written
        self.answer = {}            # request id -> perf_counter() when its /response or /error line arrived
        self.first_next = None      # perf_counter() of the first GET /next request line

    def done(self):
        return not self.queue and all(rid in self.answered for rid in self.pending)


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def parse_request(self):
            self.t_line = time.perf_counter()  # the request line has just been read
            return super().parse_request()

        def setup(self):
            super().setup()
            # headers and body go out in separate writes: without this, Nagle + delayed ACK stall each answer
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with state.lock:
                state.connections += 1

        def record(self, body):
            entry = {"method": self.command, "path": self.path,
                     "headers": {k: v for k, v in self.headers.items()}, "body": body}
            with state.lock:
                state.records.append(entry)
                state.lock.notify_all()

        def send(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def do_GET(self):
            if self.path != BASE + "/runtime/invocation/next":
                self.record(b"")
                return self.send(404, b'{"errorMessage":"not found","errorType":"NotFound"}')
            self.record(b"")
            with state.lock:
                if state.first_next is None:
                    state.first_next = self.t_line
                while not state.queue and not state.stopping:
                    state.lock.wait(0.2)
                if state.stopping:
                    return self.drop()
                event = state.queue[0]
                if event.drop_next:
                    event.drop_next = False
                    return self.drop()
                if event.next_status != 200:
                    state.queue.pop(0)
                    state.answered[event.request_id] = "next-%d" % event.next_status
                    state.lock.notify_all()
                    status = event.next_status
                else:
                    state.queue.pop(0)
                    state.next_served += 1
                    status = 200
            if status != 200:
                return self.send(status, b'{"errorMessage":"Container error. Non-recoverable state.",'
                                         b'"errorType":"Runtime.Fatal"}')
            headers = [("Lambda-Runtime-Aws-Request-Id", event.request_id),
                       ("Lambda-Runtime-Deadline-Ms", str(event.deadline_ms)),
                       ("Lambda-Runtime-Invoked-Function-Arn", event.arn),
                       ("Lambda-Runtime-Trace-Id", event.trace),
                       ("Content-Type", "application/json")]
            if event.client_context is not None:
                headers.append(("Lambda-Runtime-Client-Context", event.client_context))
            if event.cognito is not None:
                headers.append(("Lambda-Runtime-Cognito-Identity", event.cognito))
            if event.short_by:
                # a body that stops short and a connection kept open: the runtime must not wait for ever
                self.send_response(200)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(event.body) + event.short_by))
                self.end_headers()
                self.wfile.write(event.body)
                self.wfile.flush()
                with state.lock:
                    while not state.stopping and event.request_id not in state.answered:
                        state.lock.wait(0.2)
                return self.drop()
            if not event.chunked:
                state.sent[event.request_id] = time.perf_counter()  # before the first byte goes out
                return self.send(200, event.body, headers)
            self.send_response(200)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            step = 7  # small odd chunks, so that UTF-8 characters are split across chunks
            for i in range(0, len(event.body), step):
                part = event.body[i:i + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            self.record(body)
            parts = self.path[len(BASE):].split("/")
            if self.path == BASE + "/runtime/init/error":
                with state.lock:
                    state.answered["init"] = "init-error"
                    state.lock.notify_all()
                return self.send(202, b'{"status":"OK"}')
            if len(parts) != 5 or parts[1:3] != ["runtime", "invocation"] or parts[4] not in ("response", "error"):
                return self.send(404, b'{"errorMessage":"not found","errorType":"NotFound"}')
            rid, kind = parts[3], parts[4]
            state.answer.setdefault(rid, self.t_line)
            with state.lock:
                event = state.pending.get(rid)
                if event is None:
                    return self.send(400, b'{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}')
                if kind == "response" and event.drop_response:
                    event.drop_response = False
                    return self.drop()
                previous = state.answered.get(rid)
                if previous in ("response", "error"):
                    return self.send(403, b'{"errorMessage":"State transition failed","errorType":'
                                          b'"InvalidStateTransition"}')
                if kind == "response" and len(body) > state.max_payload:
                    state.answered[rid] = "too-large"
                    state.lock.notify_all()
                    return self.send(413, b'{"errorMessage":"Exceeded maximum allowed payload size (%d bytes).",'
                                          b'"errorType":"RequestEntityTooLarge"}' % state.max_payload)
                state.answered[rid] = kind
                state.lock.notify_all()
            return self.send(202, b'{"status":"OK"}')

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # connections the runtime drops on purpose end with resets; tests judge the records


class Server:
    def __init__(self, events, max_payload=MAX_PAYLOAD):
        self.state = State(events, max_payload)
        self.httpd = QuietServer(("127.0.0.1", 0), make_handler(self.state))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        with self.state.lock:
            self.state.stopping = True
            self.state.lock.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()


def run_runtime(layer, task_root, handler, events, timeout=60.0, max_payload=MAX_PAYLOAD, env_extra=None,
                api=None, wait_exit=False, argv=None, watch=None, before_stop=None):
    """Start layer/bootstrap against a fresh server, wait for all events (or the process' exit), stop it.

    Returns dict(records, answered, exit_code, stdout, stderr, connections, pid).
    """
    server = Server(events, max_payload)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "AWS_LAMBDA_RUNTIME_API": api or "127.0.0.1:%d" % server.port,
           "_HANDLER": handler, "LAMBDA_TASK_ROOT": task_root}
    env.update(env_extra or {})
    spawned = time.perf_counter()
    proc = subprocess.Popen(argv or [os.path.join(layer, "bootstrap")], cwd=task_root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if watch:
        watch(proc, server.state)
    out_chunks, err_chunks = [], []
    readers = [threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True),
               threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)]
    for r in readers:
        r.start()
    deadline = time.monotonic() + timeout
    state = server.state
    with state.lock:
        while time.monotonic() < deadline and proc.poll() is None:
            if not wait_exit and state.done() and (events or "init" in state.answered):
                # answered everything: the runtime must be back on /next (or gone)
                break
            state.lock.wait(0.05)
    exit_code = proc.poll()
    if exit_code is None:
        # let the runtime reach its next GET /next, then stop it
        end = time.monotonic() + 2.0
        while time.monotonic() < end and proc.poll() is None:
            with state.lock:
                if state.records and state.records[-1]["method"] == "GET":
                    break
            time.sleep(0.01)
        exit_code = proc.poll()
        if exit_code is None:
            if before_stop:
                before_stop(proc)
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            exit_code = None
    for r in readers:
        r.join(5)
    server.stop()
    return {"records": state.records, "answered": state.answered, "exit_code": exit_code,
            "stdout": b"".join(out_chunks), "stderr": b"".join(err_chunks),
            "connections": state.connections, "pid": proc.pid, "spawned": spawned,
            "first_next": state.first_next, "sent": state.sent, "answer": state.answer}


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        events = []
        with open(sys.argv[2], "rb") as f:
            for i, line in enumerate(f):
                line = line.strip()
                if line:
                    events.append(Event(line, "req-%06d" % i))
        server = Server(events)
        print(server.port, flush=True)
        try:
            server.thread.join()
        except KeyboardInterrupt:
            server.stop()
        return 0
    print("usage: fake_runtime_api.py serve EVENTS.jsonl", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
