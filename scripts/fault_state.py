"""What scripts/fault-proxy.py has armed and counted: the fault table, chaos mode, counters.

Shared by the proxy's handler threads, always under LOCK.
"""
import random
import threading

LOCK = threading.Lock()
FAULTS = []  # dicts: kind, match, count, code, retry_after, ...
STATS = {"tag_pages": 0, "requests": 0, "faults": 0, "redirected_with_auth": 0, "redirected_without_auth": 0,
         "chaos_faults": 0}
STALLED = []  # paths of stalled uploads, for tests to inspect the sessions they left
PUTS = []  # paths of PUT requests
LOG = []  # "METHOD path" of every request
SAVED_AUTH = {}  # redirect id -> the Authorization of the request that was redirected
CHAOS = {"rng": None, "rate": 0.0}


def applies(kind, method, reused):
    if kind in ("status", "reset", "realm"):
        return True
    if kind == "stall":
        return method in ("PUT", "PATCH")
    if kind == "drop":
        return method in ("PUT", "PATCH", "POST") and reused
    if kind == "length":
        return method == "HEAD"
    if kind == "cut":
        return method == "PUT"
    return method == "GET"


def take_fault(method, path, reused, length=0):
    """The first armed fault for this request (`length`: its Content-Length, for `larger`)."""
    with LOCK:
        for fault in FAULTS:
            if (fault["count"] > 0 and fault["match"] in path and fault["also"] in path and fault["method"] in ("", method)
                    and length > fault.get("larger", -1) and applies(fault["kind"], method, reused)):
                if fault.get("after", 0) > 0:
                    fault["after"] -= 1  # matching requests it lets through first
                    continue
                fault["count"] -= 1
                STATS["faults"] += 1
                return dict(fault)
    return None


def chaos_fault(method):
    """The fault chaos mode picks for this request, or None (most requests)."""
    with LOCK:
        rng = CHAOS["rng"]
        if rng is None or rng.random() >= CHAOS["rate"]:
            return None
        kinds = ["reset_before", "reset_after", "status429", "status503"] + (["truncate"] if method == "GET" else [])
        kind = rng.choice(kinds)
        retry_after = rng.choice(["0", "1"])
        STATS["chaos_faults"] += 1
        STATS["chaos_" + kind] = STATS.get("chaos_" + kind, 0) + 1
    if kind.startswith("status"):
        code = int(kind[len("status"):])
        return {"kind": "status", "code": code, "retry_after": retry_after if code == 429 else None}
    if kind == "reset_before":
        return {"kind": "reset"}
    if kind == "reset_after":
        return {"kind": "drop"}
    return {"kind": "truncate"}


def arm_chaos(seed, rate):
    """From now on a fraction `rate` of requests fail, drawn from a generator seeded with `seed`."""
    with LOCK:
        CHAOS.update(rng=random.Random(seed), rate=rate)
