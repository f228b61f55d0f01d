#!/usr/bin/env python3
"""Fault-injection proxy for samforge's tests, in front of a real registry.

Forwards every request to --upstream, except when a fault is armed through its control
endpoints (loopback only, used by tests):
  POST /__fault/status?match=SUBSTR&count=N&code=503&retry_after=0   next N matching requests get CODE
  POST /__fault/truncate?match=SUBSTR&count=N                        next N matching GETs send half the body, then reset
  POST /__fault/redirect?match=SUBSTR&count=N                        next N matching GETs get 307 to another host name
                                                                       (localhost vs 127.0.0.1) of this proxy
  POST /__fault/corrupt?match=SUBSTR&count=N                         next N matching GETs get one byte flipped
  POST /__fault/stall?match=SUBSTR&count=N&seconds=S                 next N matching PUT/PATCH uploads: body read,
                                                                       then no answer for S s and a closed connection
  POST /__fault/length?match=SUBSTR&count=N&bytes=B                  next N matching HEADs report Content-Length B
  POST /__fault/cut?match=SUBSTR&count=N                             next N matching upload PUTs: half the body reaches
                                                                       the registry (as a PATCH), then the connection drops
  POST /__fault/endless?match=SUBSTR&count=N                         next N matching GETs: the upstream body, then endless
                                                                       bytes (no Content-Length; until the client hangs up)
  (every fault also takes also=SUBSTR2: the path must contain both, e.g. a repository and a digest)
  GET  /__stalled?match=SUBSTR        paths of the uploads stalled so far (JSON list)
  GET  .../tags/list?n=N[&last=T]     always paged here (distribution 2.8 ignores n): the upstream
                                     list, sorted, N after T, with Link: <…>; rel="next" while more remain
  GET  /__stats                                                       counters as JSON
  POST /__reset                                                       disarm faults, zero counters
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
FAULTS = []  # dicts: kind, match, count, code, retry_after
STATS = {"tag_pages": 0, "requests": 0, "faults": 0, "redirected_with_auth": 0, "redirected_without_auth": 0}
STALLED = []  # paths of stalled uploads, for tests to inspect the sessions they left
SAVED_AUTH = {}  # redirect id -> the Authorization of the request that was redirected
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"}


def applies(kind, method):
    if kind == "status":
        return True
    if kind == "stall":
        return method in ("PUT", "PATCH")
    if kind == "length":
        return method == "HEAD"
    if kind == "cut":
        return method == "PUT"
    return method == "GET"  # truncate, redirect, corrupt, endless


def take_fault(method, path):
    with LOCK:
        for fault in FAULTS:
            if fault["count"] > 0 and fault["match"] in path and fault["also"] in path and applies(fault["kind"], method):
                fault["count"] -= 1
                STATS["faults"] += 1
                return dict(fault)
    return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None
    port = None

    def log_message(self, *args):
        pass

    def reply_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def control(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/__stats":
            with LOCK:
                return self.reply_json(200, dict(STATS))
        if url.path == "/__stalled":
            with LOCK:
                return self.reply_json(200, [p for p in STALLED if query.get("match", "") in p])
        if url.path == "/__reset":
            with LOCK:
                FAULTS.clear()
                STALLED.clear()
                for key in STATS:
                    STATS[key] = 0
            return self.reply_json(200, {})
        kind = url.path.rsplit("/", 1)[-1]
        fault = {"kind": kind, "match": query.get("match", ""), "count": int(query.get("count", "1")),
                 "code": int(query.get("code", "503")), "retry_after": query.get("retry_after"),
                 "seconds": float(query.get("seconds", "30")), "bytes": query.get("bytes", "0"),
                 "also": query.get("also", "")}
        with LOCK:
            FAULTS.append(fault)
        return self.reply_json(200, fault)

    def handle_any(self):
        if self.path.startswith(("/__fault/", "/__stats", "/__stalled", "/__reset")):
            return self.control()
        with LOCK:
            STATS["requests"] += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self.read_chunked()

        path = self.path
        fault = None
        redirected = path.startswith("/__redirected")
        if redirected:
            # /__redirected/ID/v2/...: the "storage" side; ID finds the original credentials.
            _, _, ident, rest = path.split("/", 3)
            path = "/" + rest
            with LOCK:
                key = "redirected_with_auth" if self.headers.get("Authorization") else "redirected_without_auth"
                STATS[key] += 1
        else:
            fault = take_fault(self.command, path)
            if fault and fault["kind"] == "status":
                self.send_response(fault["code"])
                if fault["retry_after"] is not None:
                    self.send_header("Retry-After", fault["retry_after"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if fault and fault["kind"] == "stall":
                # The upstream never sees this request: the session stays open until the client
                # cancels it (or the registry's upload purging does).
                with LOCK:
                    STALLED.append(path)
                time.sleep(fault["seconds"])
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass  # the client gave up first
                return
            if fault and fault["kind"] == "cut":
                # A connection lost mid-upload after the registry stored part of the body: the
                # session's offset has moved past what its URL (distribution's _state) says.
                url = urllib.parse.urlsplit(path)
                kept = [(k, v) for k, v in urllib.parse.parse_qsl(url.query) if k != "digest"]
                session = urllib.parse.urlunsplit(("", "", url.path, urllib.parse.urlencode(kept), ""))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "content-length"}
                upstream = http.client.HTTPConnection(self.upstream, timeout=120)
                upstream.request("PATCH", session, body=(body or b"")[: len(body or b"") // 2], headers=headers)
                upstream.getresponse().read()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault and fault["kind"] == "redirect":
                # Another host name for the same proxy: a client must not send credentials there.
                host = "localhost" if self.headers.get("Host", "").startswith("127.") else "127.0.0.1"
                with LOCK:
                    ident = str(len(SAVED_AUTH) + 1)
                    SAVED_AUTH[ident] = self.headers.get("Authorization")
                self.send_response(307)
                self.send_header("Location", f"http://{host}:{self.port}/__redirected/{ident}{path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return

        conn = http.client.HTTPConnection(self.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if self.command == "GET" and url.path.endswith("/tags/list") and "n" in query:
            return self.page_tags(conn, url.path, query, headers)
        if redirected:
            # Storage has its own access to the bytes: use the credentials of the redirected
            # request, whatever the client (wrongly or rightly) sent here.
            headers.pop("Authorization", None)
            with LOCK:
                saved = SAVED_AUTH.get(ident)
            if saved:
                headers["Authorization"] = saved
        conn.request(self.command, path, body=body, headers=headers)
        response = conn.getresponse()
        if fault and fault["kind"] == "endless" and response.status == 200:
            return serve_endless(self, response)
        data_length = response.getheader("Content-Length")
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() == "location" and value.startswith(f"http://{self.upstream}/"):
                # Keep the client on this side (upload sessions come back as absolute URLs).
                value = f"http://{self.headers.get('Host')}/" + value[len(f"http://{self.upstream}/"):]
            if key.lower() == "content-length" and fault and fault["kind"] == "length":
                value = fault["bytes"]  # a registry (or cache) misreporting a blob's size
            if key.lower() not in HOP:
                self.send_header(key, value)
        if data_length is None and self.command != "HEAD":
            data = response.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.end_headers()
        if self.command == "HEAD":
            return
        total = int(data_length or 0)
        sent = 0
        cut = total // 2 if fault and fault["kind"] == "truncate" else None
        flip = total // 2 if fault and fault["kind"] == "corrupt" else None
        while sent < total:
            chunk = response.read(min(65536, total - sent))
            if not chunk:
                break
            if cut is not None and sent + len(chunk) > cut:
                self.wfile.write(chunk[: cut - sent])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if flip is not None and sent <= flip < sent + len(chunk):
                index = flip - sent
                chunk = chunk[:index] + bytes([chunk[index] ^ 0xFF]) + chunk[index + 1:]
            self.wfile.write(chunk)
            sent += len(chunk)

    def page_tags(self, conn, path, query, headers):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        listing = json.loads(body)
        tags = sorted(listing.get("tags") or [])
        if "last" in query:
            tags = [t for t in tags if t > query["last"]]
        size = int(query["n"])
        page, more = tags[:size], len(tags) > size
        data = json.dumps({"name": listing.get("name"), "tags": page}).encode()
        with LOCK:
            STATS["tag_pages"] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if more:
            self.send_header("Link", f'<{path}?n={size}&last={page[-1]}>; rel="next"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_chunked(self):
        data = b""
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


# ---------------------------------------------------------------- endless bodies
# (hostile-input tests: a registry whose blob never ends must not hang or grow its client)

ENDLESS_CHUNK = bytes(range(256)) * 256  # 64 KiB, not all zeros (a gzip reader must not skip it)


def serve_endless(handler, response):
    """The upstream body, then the same 64 KiB chunk forever: no Content-Length, so only the
    client can end it (by hanging up); the connection is closed afterwards."""
    handler.send_response(response.status)
    for key, value in response.getheaders():
        if key.lower() not in HOP and key.lower() != "content-length":
            handler.send_header(key, value)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    try:
        while True:
            chunk = response.read(65536)
            if not chunk:
                break
            handler.wfile.write(chunk)
        while True:
            handler.wfile.write(ENDLESS_CHUNK)
    except OSError:
        pass  # the client hung up: what a well-behaved client does


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real registry")
    parser.add_argument("--state", help="test world state dir (lets testworld recognise this process)")
    args = parser.parse_args()
    Proxy.upstream = args.upstream
    Proxy.port = args.port
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", args.port), Proxy).serve_forever()


if __name__ == "__main__":
    main()
