#!/usr/bin/env python3
"""A TLS-terminating, authenticating reverse proxy for the integration tests (stdlib only).

It stands where a secured Elasticsearch/OpenSearch would: HTTPS on 127.0.0.1 with the given
certificate, every request needing `Authorization: Basic <user:pass>` or `Authorization: ApiKey
<key>` (the values given here), else 401 with the security layer's JSON error and a
`WWW-Authenticate` header, as Elasticsearch answers. Authenticated requests are forwarded
(method, path, query, body, content type) to the plain-HTTP upstream (osmem-server) and its
answer is relayed.

When listening it prints one JSON line, `{"url": "https://127.0.0.1:PORT", "port": PORT}`, on
stdout. With `--log FILE` it appends one line per event: `tls-fail <reason>`, `401 METHOD PATH`,
`STATUS METHOD PATH` (never a header value), so a test can count what reached it.
"""

import argparse
import base64
import hmac
import http.client
import json
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class Log:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "a", buffering=1, encoding="utf-8") if path else None

    def write(self, line):
        if self.file:
            with self.lock:
                self.file.write(line + "\n")


class Proxy(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx, upstream, basic, api_key, log):
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.upstream = upstream
        self.basic = basic
        self.api_key = api_key
        self.log = log

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread, so a client that stalls or
        # refuses the certificate never holds up the accept loop.
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log.write(f"tls-fail {getattr(e, 'reason', None) or e}")
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tls-proxy"

    def log_message(self, fmt, *args):  # quiet: the --log file says what the tests need
        pass

    def authenticated(self):
        given = self.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        value = value.strip()
        if scheme.lower() == "basic" and self.server.basic:
            try:
                decoded = base64.b64decode(value, validate=True)
            except ValueError:
                return False
            return hmac.compare_digest(decoded, self.server.basic)
        if scheme.lower() == "apikey" and self.server.api_key:
            return hmac.compare_digest(value.encode(), self.server.api_key)
        return False

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path
        if not self.authenticated():
            self.server.log.write(f"401 {self.command} {path}")
            who = "unable to authenticate user [logsift] for REST request [" + path + "]"
            err = {
                "error": {
                    "root_cause": [{"type": "security_exception", "reason": who}],
                    "type": "security_exception",
                    "reason": who,
                    "header": {"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"', "ApiKey"]},
                },
                "status": 401,
            }
            self.reply(
                401,
                [
                    ("Content-Type", "application/json; charset=UTF-8"),
                    ("WWW-Authenticate", 'Basic realm="security" charset="UTF-8"'),
                    ("WWW-Authenticate", "ApiKey"),
                ],
                json.dumps(err).encode(),
            )
            return
        headers = {}
        for k in ("Content-Type", "Accept"):
            if self.headers.get(k):
                headers[k] = self.headers[k]
        host, port = self.server.upstream
        conn = http.client.HTTPConnection(host, port, timeout=120)
        try:
            conn.request(self.command, self.path, body=body if body or self.command in ("POST", "PUT") else None,
                         headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            relayed = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        except OSError as e:
            self.server.log.write(f"502 {self.command} {path}")
            self.reply(502, [("Content-Type", "application/json")], json.dumps({"error": str(e)}).encode())
            return
        finally:
            conn.close()
        self.server.log.write(f"{resp.status} {self.command} {path}")
        self.reply(resp.status, relayed, data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True, help="plain-HTTP base URL, e.g. http://127.0.0.1:9200")
    p.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    p.add_argument("--key", required=True, help="server private key (PEM)")
    p.add_argument("--user", help="Basic user name")
    p.add_argument("--password-file", help="file holding the Basic password")
    p.add_argument("--api-key-file", help="file holding the accepted ApiKey value (the encoded form)")
    p.add_argument("--addr", default="127.0.0.1:0")
    p.add_argument("--log", help="append one line per event to this file")
    a = p.parse_args()

    def secret(path):
        if not path:
            return None
        with open(path, encoding="utf-8") as f:
            return f.read().strip()

    password = secret(a.password_file)
    basic = f"{a.user}:{password}".encode() if a.user and password is not None else None
    api_key = secret(a.api_key_file)
    api_key = api_key.encode() if api_key else None
    up = urllib.parse.urlsplit(a.upstream)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    host, _, port = a.addr.rpartition(":")
    server = Proxy((host, int(port)), ctx, (up.hostname, up.port or 80), basic, api_key, Log(a.log))
    port = server.server_address[1]
    print(json.dumps({"url": f"https://127.0.0.1:{port}", "port": port}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
