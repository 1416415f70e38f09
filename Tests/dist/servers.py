#!/usr/bin/env python3
"""Local stand-ins for the dist tests, on 127.0.0.1 and a free port (printed as "port N" on stdout):

  servers.py files DIR        a release server: GET /NAME answers DIR/NAME (404 for anything else)
  servers.py token BEARER     GitHub's OIDC token endpoint: GET with "Authorization: bearer BEARER" and an
                              audience answers {"value": "<a JWT-shaped token>"}; anything else 401
"""
import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Files(BaseHTTPRequestHandler):
    def do_GET(self):
        name = os.path.basename(urlsplit(self.path).path)
        path = os.path.join(self.server.root, name)
        if not name or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Token(BaseHTTPRequestHandler):
    def do_GET(self):
        audience = parse_qs(urlsplit(self.path).query).get("audience", [""])[0]
        if self.headers.get("Authorization") != "bearer " + self.server.bearer or not audience:
            self.send_error(401)
            return
        with open(self.server.log, "a") as f:
            f.write(self.path + "\n")
        body = json.dumps({"count": 1, "value": jwt(audience)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def jwt(audience):
    """A token shaped like GitHub's (unsigned: moto reads its claims, it does not check a signature)."""
    def part(claims):
        return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    claims = {"iss": "https://token.actions.githubusercontent.com", "aud": audience,
              "sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}
    return "%s.%s.c2lnbmF0dXJl" % (part({"alg": "RS256", "typ": "JWT"}), part(claims))


def main():
    mode, argument = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files if mode == "files" else Token)
    server.root = argument
    server.bearer = argument
    server.log = os.environ.get("TOKEN_LOG", os.devnull)
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
