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
  POST /__fault/slowbody?match=SUBSTR&count=N&seconds=S              next N matching GETs send half the body, then
                                                                       nothing for S s, then reset
  POST /__fault/length?match=SUBSTR&count=N&bytes=B                  next N matching HEADs report Content-Length B
  POST /__fault/cut?match=SUBSTR&count=N                             next N matching upload PUTs: half the body reaches
                                                                       the registry (as a PATCH), then the connection drops
  POST /__fault/drop?match=SUBSTR&count=N                            next N matching PUT/PATCH/POSTs that arrive on a
                                                                       reused (keep-alive) connection: the whole body is
                                                                       read, then the connection closes unanswered
  POST /__fault/reset?match=SUBSTR&count=N                           next N matching requests: closed before the body
                                                                       is read, unanswered
  POST /__fault/realm?match=SUBSTR&count=N&host=H                    next N matching responses name H as the host of
                                                                       their WWW-Authenticate realm
  POST /__fault/hostiletags|looptags|endlesstags|linkhost?match=…   tag-list faults (see fault_tags.py)
  POST /__fault/chaos?seed=S&rate=R                                  from now on, a fraction R of all requests (seeded)
                                                                       fail with one of: reset before / after the body,
                                                                       429 (Retry-After 0 or 1), 503, truncated body
  POST /__fault/endless?match=SUBSTR&count=N                         next N matching GETs: the upstream body, then endless
                                                                       bytes (no Content-Length; until the client hangs up)
  (every fault also takes also=SUBSTR2: the path must contain both, e.g. a repository and a digest;
   method=M: only requests of that method; larger=B: only requests with a body of more than B bytes;
   after=K: the first K matching requests pass untouched)
  GET  /__stalled?match=SUBSTR        paths of the uploads stalled so far (JSON list)
  GET  /__puts?match=SUBSTR           paths of every PUT forwarded or faulted so far (JSON list)
  GET  /__log?match=SUBSTR            "METHOD path" of every request so far (JSON list)
  GET  .../tags/list?n=N[&last=T]     always paged here (distribution 2.8 ignores n): the upstream
                                     list, sorted, N after T, with Link: <…>; rel="next" while more remain
  GET  /__stats                                                       counters as JSON
  POST /__reset                                                       disarm faults, chaos and personalities,
                                                                       zero counters
  POST /__personality/NAME?PARAM=V…  answer as another registry would (ECR, GHCR, Quay, zot…), until
                                     reset or off=1; several combine (see fault_personality.py)
  GET  /__personality                what is armed, and what the personalities recorded
As a forward proxy it refuses: CONNECT gets 403, an absolute-form request 407.
--port 0 picks a free port and writes it to --port-file; --parent-pid P exits when P is gone.
"""
import sys

sys.dont_write_bytecode = True  # its helper modules sit in scripts/: no __pycache__ in the tree

import argparse  # noqa: E402
import http.client
import json
import os
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fault_control
import fault_limits
import fault_personality
import fault_referrers
import fault_storage
import fault_tags
from fault_state import LOCK, LOG, PUTS, SAVED_AUTH, STALLED, STATS, chaos_fault, take_fault

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"}
TAG_FAULTS = {"hostiletags", "looptags", "endlesstags", "linkhost"}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stalls
    upstream = None
    port = None

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, code, body):
        self.reply(code, json.dumps(body).encode(), [("Content-Type", "application/json")])

    def hang_up(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass  # the client gave up first

    def control(self):
        return fault_control.answer(self)

    def do_CONNECT(self):
        # A proxy that refuses to tunnel (HTTPS_PROXY pointing here).
        self.reply(403, b"tunnel refused by policy\n", [("Content-Type", "text/plain")])
        self.close_connection = True

    def handle_any(self):
        if self.path.startswith(("http://", "https://")):
            # Absolute form: a client uses this as its forward proxy (HTTP_PROXY).
            self.reply(407, b"proxy authentication required\n", [("Proxy-Authenticate", 'Basic realm="fault-proxy"')])
            self.close_connection = True
            return
        if self.path.startswith(("/__fault/", "/__stats", "/__stalled", "/__reset", "/__puts", "/__log", "/__personality")):
            return self.control()
        if self.path.startswith("/__web/"):
            return fault_referrers.web_page(self)
        if self.path.startswith("/__issuer/"):
            return fault_limits.relay_token(self)
        fault_personality.arrived()
        reused = getattr(self, "served", 0) > 0
        self.served = getattr(self, "served", 0) + 1
        with LOCK:
            STATS["requests"] += 1
            STATS[self.command] = STATS.get(self.command, 0) + 1
            LOG.append(f"{self.command} {self.path}")
        path = self.path
        redirected = path.startswith("/__redirected")
        ident = None
        fault = None
        if redirected:
            # /__redirected/ID/v2/...: the "storage" side; ID finds the original credentials.
            _, _, ident, rest = path.split("/", 3)
            path = "/" + rest
            with LOCK:
                key = "redirected_with_auth" if self.headers.get("Authorization") else "redirected_without_auth"
                STATS[key] += 1
        else:
            length = int(self.headers.get("Content-Length") or 0)
            fault = take_fault(self.command, path, reused, length) or chaos_fault(self.command)
        if fault and fault["kind"] == "reset":
            return self.hang_up()  # before the body is read

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self.read_chunked()
        if self.command == "PUT":
            with LOCK:
                PUTS.append(path)
        self.request_body = body
        if not fault and not redirected and fault_personality.intercept(self, body):
            return

        if fault and fault["kind"] == "drop":
            return self.hang_up()  # the whole body read, no answer
        if fault and fault["kind"] == "status":
            headers = [("Retry-After", fault["retry_after"])] if fault["retry_after"] is not None else []
            return self.reply(fault["code"], b"", headers)
        if fault and fault["kind"] == "stall":
            # The upstream never sees this request: the session stays open until the client
            # cancels it (or the registry's upload purging does).
            with LOCK:
                STALLED.append(path)
            time.sleep(fault["seconds"])
            return self.hang_up()
        if fault and fault["kind"] == "cut":
            # A connection lost mid-upload after the registry stored part of the body: the
            # session's offset has moved past what its URL (distribution's _state) says.
            url = urllib.parse.urlsplit(path)
            kept = [(k, v) for k, v in urllib.parse.parse_qsl(url.query) if k != "digest"]
            session = urllib.parse.urlunsplit(("", "", url.path, urllib.parse.urlencode(kept), ""))
            headers = {k: v for k, v in self.forwarded_headers().items() if k.lower() != "content-length"}
            upstream = http.client.HTTPConnection(self.upstream, timeout=120)
            upstream.request("PATCH", session, body=(body or b"")[: len(body or b"") // 2], headers=headers)
            upstream.getresponse().read()
            return self.hang_up()
        if fault and fault["kind"] in ("redirect", "linkhost"):
            # Another host name for the same proxy: a client must not send credentials there.
            host = "localhost" if self.headers.get("Host", "").startswith("127.") else "127.0.0.1"
            with LOCK:
                fault["ident"] = str(len(SAVED_AUTH) + 1)
                SAVED_AUTH[fault["ident"]] = self.headers.get("Authorization")
            fault["other_host"] = f"{host}:{self.port}"
            if fault["kind"] == "redirect":
                location = f"http://{fault['other_host']}/__redirected/{fault['ident']}{path}"
                return self.reply(307, b"", [("Location", location)])

        headers = self.forwarded_headers()
        if redirected:
            # Storage has its own access to the bytes: use the credentials of the redirected
            # request, whatever the client (wrongly or rightly) sent here.
            headers.pop("Authorization", None)
            with LOCK:
                saved = SAVED_AUTH.get(ident)
            if saved:
                headers["Authorization"] = saved
        conn = http.client.HTTPConnection(self.upstream, timeout=120)
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        tag_fault = fault if fault and fault["kind"] in TAG_FAULTS else None
        tag_personality = {name: fault_personality.armed(name) for name in fault_tags.PERSONALITIES if fault_personality.armed(name)}
        if self.command == "GET" and url.path.endswith("/tags/list") and ("n" in query or tag_fault or tag_personality):
            prefix = f"/__redirected/{ident}" if redirected else ""
            return self.page_tags(conn, url.path, query, headers, tag_fault, tag_personality, prefix)
        conn.request(self.command, path, body=body, headers=headers)
        response = conn.getresponse()
        self.relay(response, fault)

    def forwarded_headers(self):
        """The request's end-to-end headers; a repeated one (Accept) as one comma-joined value."""
        merged = {}
        for key, value in self.headers.items():
            if key.lower() not in HOP:
                merged[key] = merged[key] + ", " + value if key in merged else value
        return merged

    def outward(self, key, value):
        """A header as the client should see it: upstream Locations point at this side (upload
        sessions come back as absolute URLs)."""
        if key.lower() == "location" and value.startswith(f"http://{self.upstream}/"):
            return f"http://{self.headers.get('Host')}/" + value[len(f"http://{self.upstream}/"):]
        return value

    def other_host(self):
        """This proxy under another host name (localhost vs 127.0.0.1): another host to a client."""
        host = "localhost" if self.headers.get("Host", "").startswith("127.") else "127.0.0.1"
        return f"{host}:{self.port}"

    def upstream_challenge(self):
        """The registry's own WWW-Authenticate for an anonymous request, if it has one."""
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        conn.request("GET", "/v2/")
        response = conn.getresponse()
        response.read()
        return response.getheader("WWW-Authenticate")

    def relay(self, response, fault):
        if fault and fault["kind"] == "endless" and response.status == 200:
            return fault_control.serve_endless(self, response, HOP)
        status, headers, replacement = fault_personality.adjust(self, response.status, response.getheaders())
        if replacement is not None:
            response.read()
            kept = [(k, self.outward(k, v)) for k, v in headers if k.lower() not in HOP and k.lower() != "content-length"]
            return self.reply(status, replacement, kept)
        data_length = next((v for k, v in headers if k.lower() == "content-length"), None)
        self.send_response(status)
        for key, value in headers:
            value = self.outward(key, value)
            if key.lower() == "content-length" and fault and fault["kind"] == "length":
                value = fault["bytes"]  # a registry (or cache) misreporting a blob's size
            if key.lower() == "www-authenticate" and fault and fault["kind"] == "realm":
                # A realm on another host: credentials may go there only over HTTPS.
                value = re.sub(r'(realm="[a-z]+://)[^/:"]+', lambda m: m.group(1) + fault["host"], value)
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
        cut = total // 2 if fault and fault["kind"] in ("truncate", "slowbody") else None
        flip = total // 2 if fault and fault["kind"] == "corrupt" else None
        while sent < total:
            chunk = response.read(min(65536, total - sent))
            if not chunk:
                break
            if cut is not None and sent + len(chunk) > cut:
                self.wfile.write(chunk[: cut - sent])
                self.wfile.flush()
                if fault["kind"] == "slowbody":
                    time.sleep(fault["seconds"])  # a stalled body: the client's stall timeout ends it
                return self.hang_up()
            if flip is not None and sent <= flip < sent + len(chunk):
                index = flip - sent
                chunk = chunk[:index] + bytes([chunk[index] ^ 0xFF]) + chunk[index + 1:]
            self.wfile.write(chunk)
            sent += len(chunk)

    def page_tags(self, conn, path, query, headers, fault, personality, prefix):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            passed = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP and k.lower() != "content-length"]
            return self.reply(response.status, body, passed)
        status, page_headers, data = fault_tags.page(json.loads(body), path, query, fault, personality, prefix)
        with LOCK:
            STATS["tag_pages"] += 1
        self.reply(status, data, page_headers)

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True, help="0: any free port (see --port-file)")
    parser.add_argument("--port-file", help="write the port listened on here, once listening")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real registry")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--state", help="test world state dir (lets testworld recognise this process)")
    args = parser.parse_args()
    Proxy.upstream = args.upstream
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    Proxy.port = server.server_address[1]
    fault_storage.start(args.upstream)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(Proxy.port))
        os.rename(args.port_file + ".tmp", args.port_file)
    if args.parent_pid:
        threading.Thread(target=fault_control.watch_parent, args=(args.parent_pid,), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
