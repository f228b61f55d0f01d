"""Limits, credentials, challenges and blob storage personalities for scripts/fault-proxy.py:
  hub-pull-limit     manifest GETs beyond `pulls` (0) get Docker Hub's 429 TOOMANYREQUESTS; every
                     manifest GET and HEAD carries ratelimit-limit/-remaining (`limit` 100, `window`
                     21600 s) and docker-ratelimit-source; HEAD is free; `reset=S` adds ratelimit-reset
                     and gives the allowance back S seconds after the first refusal
  hub-abuse          the next `count` (1) requests (whose path contains `match`) get the abuse
                     limit's 429: text/plain "Too Many Requests (HAP429).", Retry-After `retry_after` (60)
  stale-credential   a request carrying credentials (Basic, or a token issued to a user) gets 403
                     DENIED "Your authorization token has expired…"; anonymous ones pass (ECR Public)
  presigned          blob GETs get 307 to a presigned URL on 127.0.0.2 (see fault_storage.py)
  closed-range       a blob GET with an open-ended Range (bytes=N-) gets 416, a closed one passes;
                     refuse=all: any Range gets 416; no Accept-Ranges either way
  no-scope           challenges lose their scope= (Artifactory)
  ecr-basic          401s carry ECR's Basic challenge (realm …dkr.ecr…, service ecr.amazonaws.com)
                     and the text/plain body "Not Authorized"
  token-relay        challenges name this proxy's /__issuer/token as their realm; it relays to
                     `issuer` (HOST:PORT), counting token requests and recording their scopes
"""
import base64
import http.client
import json
import re
import time
import urllib.parse

from fault_personality import LOCK, RECORD, answer, armed, count, error

BLOB = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
ECR_CHALLENGE = 'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"'


def intercept(handler, body):
    url = urllib.parse.urlsplit(handler.path)
    method = handler.command
    abuse = armed("hub-abuse")
    if abuse and url.path.startswith("/v2/") and abuse.get("match", "") in handler.path:
        with LOCK:
            left = int(abuse.get("count", "1"))
            abuse["count"] = str(left - 1)
        if left > 0:
            count("abuse_429")
            retry_after = abuse.get("retry_after", "60")
            return answer(handler, 429, [("Content-Type", "text/plain"), ("Retry-After", retry_after)], b"Too Many Requests (HAP429).\n")
    if armed("stale-credential") and url.path.startswith("/v2/") and carries_user_credentials(handler.headers.get("Authorization")):
        count("stale_denied")
        return error(handler, 403, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
    limit = armed("hub-pull-limit")
    if limit and method == "GET" and "/manifests/" in url.path:
        with LOCK:
            if RECORD["hub_reset_at"] is not None and time.monotonic() >= RECORD["hub_reset_at"]:
                RECORD.update(hub_used=0, hub_reset_at=None)  # the window reset: the allowance is back
            used = RECORD["hub_used"]
            refused = used >= int(limit.get("pulls", "0"))
            if not refused:
                RECORD["hub_used"] = used + 1
            elif "reset" in limit and RECORD["hub_reset_at"] is None:
                RECORD["hub_reset_at"] = time.monotonic() + float(limit["reset"])
        count("manifest_gets")
        if refused:
            count("pulls_refused")
            message = ("You have reached your unauthenticated pull rate limit. "
                       "https://www.docker.com/increase-rate-limit")
            return error(handler, 429, "TOOMANYREQUESTS", message, extra=hub_headers(limit))
    if BLOB.match(url.path) and method == "GET":
        ranged = handler.headers.get("Range")
        closed = armed("closed-range")
        if closed and ranged and (closed.get("refuse") == "all" or ranged.strip().endswith("-")):
            count("range_refused")
            return answer(handler, 416, [("Content-Range", "bytes */*"), ("Content-Type", "text/plain")], b"range not satisfiable\n")
        if armed("presigned"):
            import fault_storage
            return fault_storage.redirect(handler, url.path)
    return False


def carries_user_credentials(authorization):
    """Basic credentials, or a bearer token issued to a user (the test issuer's JWT `sub`)."""
    if not authorization:
        return False
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return True
    try:
        payload = value.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return True
    return bool(claims.get("sub"))


def hub_headers(limit):
    window = limit.get("window", "21600")
    with LOCK:
        remaining = max(0, int(limit.get("pulls", "0")) - RECORD.get("hub_used", 0))
    headers = [("ratelimit-limit", f"{limit.get('limit', '100')};w={window}"),
               ("ratelimit-remaining", f"{remaining};w={window}"), ("docker-ratelimit-source", "192.0.2.1")]
    if "reset" in limit:
        headers.append(("ratelimit-reset", limit["reset"]))
    return headers


def adjust(handler, status, headers, body):
    path = urllib.parse.urlsplit(handler.path).path
    limit = armed("hub-pull-limit")
    if limit and "/manifests/" in path and handler.command in ("GET", "HEAD") and status == 200:
        headers = headers + hub_headers(limit)
    if armed("closed-range") and BLOB.match(path):
        headers = [(k, v) for k, v in headers if k.lower() != "accept-ranges"]
    if armed("no-scope"):
        headers = [(k, re.sub(r',\s*scope="[^"]*"', "", v) if k.lower() == "www-authenticate" else v) for k, v in headers]
    relay = armed("token-relay")
    if relay:
        realm = f'realm="http://{handler.headers.get("Host")}/__issuer/token"'
        headers = [(k, re.sub(r'realm="[^"]*"', realm, v) if k.lower() == "www-authenticate" else v) for k, v in headers]
    if armed("ecr-basic") and status == 401:
        headers = [(k, v) for k, v in headers if k.lower() not in ("www-authenticate", "content-type")]
        headers += [("WWW-Authenticate", ECR_CHALLENGE), ("Content-Type", "text/plain; charset=utf-8")]
        body = b"Not Authorized\n"
    return status, headers, body


def relay_token(handler):
    """GET /__issuer/token?…: to the real issuer, counted, its scopes recorded."""
    relay = armed("token-relay") or {}
    url = urllib.parse.urlsplit(handler.path)
    scopes = [v for k, v in urllib.parse.parse_qsl(url.query) if k == "scope"]
    with LOCK:
        RECORD["token_scopes"].append({"scopes": scopes, "time": time.time(),
                                       "credentials": bool(handler.headers.get("Authorization"))})
    count("token_requests")
    conn = http.client.HTTPConnection(relay.get("issuer", ""), timeout=30)
    headers = {k: v for k, v in handler.headers.items() if k.lower() in ("authorization", "accept")}
    conn.request("GET", url.path[len("/__issuer"):] + ("?" + url.query if url.query else ""), headers=headers)
    response = conn.getresponse()
    return answer(handler, response.status, response.getheaders(), response.read())
