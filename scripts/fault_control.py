"""The control side of scripts/fault-proxy.py: arming faults and personalities, counters and
logs, the reset; and the helpers that are no registry's (the parent watch, endless bodies)."""
import os
import time
import urllib.parse

import fault_personality
from fault_state import CHAOS, FAULTS, LOCK, LOG, PUTS, STALLED, STATS, arm_chaos


def answer(handler):
    """Answers a control request (/__fault/…, /__personality…, /__stats, /__reset, …)."""
    url = urllib.parse.urlsplit(handler.path)
    query = dict(urllib.parse.parse_qsl(url.query))
    if url.path == "/__stats":
        with LOCK:
            return handler.reply_json(200, dict(STATS))
    if url.path == "/__stalled":
        with LOCK:
            return handler.reply_json(200, [p for p in STALLED if query.get("match", "") in p])
    if url.path == "/__puts":
        with LOCK:
            return handler.reply_json(200, [p for p in PUTS if query.get("match", "") in p])
    if url.path == "/__log":
        with LOCK:
            return handler.reply_json(200, [p for p in LOG if query.get("match", "") in p])
    if url.path.startswith("/__personality"):
        name = url.path[len("/__personality/"):]
        if handler.command == "GET" or not name:
            return handler.reply_json(200, fault_personality.snapshot())
        return handler.reply_json(200, fault_personality.arm(name, query))
    if url.path == "/__reset":
        fault_personality.reset()
        with LOCK:
            FAULTS.clear()
            STALLED.clear()
            PUTS.clear()
            LOG.clear()
            CHAOS.update(rng=None, rate=0.0)
            for key in list(STATS):
                STATS[key] = 0
        return handler.reply_json(200, {})
    kind = url.path.rsplit("/", 1)[-1]
    if kind == "chaos":
        arm_chaos(int(query.get("seed", "1")), float(query.get("rate", "0.04")))
        return handler.reply_json(200, {"chaos": query})
    fault = {"kind": kind, "match": query.get("match", ""), "count": int(query.get("count", "1")),
             "code": int(query.get("code", "503")), "retry_after": query.get("retry_after"),
             "seconds": float(query.get("seconds", "30")), "bytes": query.get("bytes", "0"),
             "also": query.get("also", ""), "host": query.get("host", ""), "method": query.get("method", ""),
             "larger": int(query.get("larger", "-1")), "after": int(query.get("after", "0"))}
    with LOCK:
        FAULTS.append(fault)
    return handler.reply_json(200, fault)


def watch_parent(pid):
    """A proxy a test started ends with the test process, however that ends."""
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)


# ---------------------------------------------------------------- endless bodies
# (hostile-input tests: a registry whose blob never ends must not hang or grow its client)

ENDLESS_CHUNK = bytes(range(256)) * 256  # 64 KiB, not all zeros (a gzip reader must not skip it)


def serve_endless(handler, response, hop):
    """The upstream body, then the same 64 KiB chunk forever: no Content-Length, so only the
    client can end it (by hanging up); the connection is closed afterwards."""
    handler.send_response(response.status)
    for key, value in response.getheaders():
        if key.lower() not in hop and key.lower() != "content-length":
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
