#!/usr/bin/env python3
"""A tiny HTTP receiver for secretgate's notification tests.

Listens on 127.0.0.1, appends every request (method, path, headers, body in base64) as one JSON
line to --log before answering, and answers as the control file (JSON, re-read per request) says:
  {"mode": "ok"}                      200
  {"mode": "fail", "status": 500}     that status
  {"mode": "hang"}                    never answers (the connection stays open)
  {"mode": "ok_then_hang", "count": K} 200 to the first K requests of this process, then hangs
  {"mode": "auth", "active": ["Bearer x"]}  200 if the Authorization header is listed, else 401
Writes the port it bound to --port-file once it listens. Stops when killed.
"""
import argparse
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SERVED = [0]


def control(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"mode": "ok"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body_b64": base64.b64encode(body).decode(),
        }
        with LOCK:
            SERVED[0] += 1
            n = SERVED[0]
            with open(ARGS.log, "a") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
        c = control(ARGS.control)
        mode = c.get("mode", "ok")
        if mode == "ok_then_hang":
            mode = "ok" if n <= int(c.get("count", 0)) else "hang"
        if mode == "hang":
            while True:
                time.sleep(3600)
        status = 200
        if mode == "fail":
            status = int(c.get("status", 500))
        elif mode == "auth":
            status = 200 if self.headers.get("Authorization") in c.get("active", []) else 401
        payload = b'{"ok":true}' if status < 300 else b'{"ok":false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--control", required=True)
    ARGS = p.parse_args()
    server = Server(("127.0.0.1", ARGS.port), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
