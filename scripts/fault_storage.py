"""Presigned blob storage for the `presigned` personality of scripts/fault-proxy.py (ECR → S3,
GAR → GCS): a blob GET is redirected (307) to
  http://127.0.0.2:PORT/bucket/ID?X-Amz-Algorithm=…&X-Amz-Date=…&X-Amz-Expires=S&X-Amz-Signature=…
on another loopback address, served by a listener of this process, which answers as S3 does:
  - 400 InvalidArgument "Only one auth mechanism allowed" when the request carries Authorization;
  - 403 AccessDenied "Request has expired" once S (`expires`, 600) seconds have passed;
  - else the blob (Range honoured), fetched from the registry with the redirected request's
    credentials (storage has its own access to the bytes).
Parameters of the personality, for the paths a client takes after a failure:
  reset_first=N   the first N storage requests are closed unanswered (after `delay` seconds)
  delay_first=N   the first N storage requests wait `delay` seconds before being answered
Counters: presigned_redirects, storage_with_auth, storage_expired, storage_served, storage_reused
(an ID asked for again: a client retrying a presigned URL instead of asking the registry).
"""
import hashlib
import http.client
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fault_personality import LOCK, RECORD, answer, armed, count

STORAGE = {"port": None, "upstream": None}
S3_AUTH = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth "
           b"mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the "
           b"Authorization header should be specified</Message></Error>")
S3_EXPIRED = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
              b"<Message>Request has expired</Message></Error>")


def redirect(handler, path):
    """307 from the registry to a fresh presigned URL for `path`."""
    params = armed("presigned") or {}
    with LOCK:
        objects = RECORD.setdefault("objects", {})
        ident = str(len(objects) + 1)
        objects[ident] = {"path": path, "auth": handler.headers.get("Authorization"), "issued": time.time(),
                          "expires": float(params.get("expires", "600")), "asked": 0}
    count("presigned_redirects")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    signature = hashlib.sha256(f"{ident}{stamp}".encode()).hexdigest()
    query = urllib.parse.urlencode({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": "AKIAFIXTURE/us-east-1/s3/aws4_request",
                                    "X-Amz-Date": stamp, "X-Amz-Expires": params.get("expires", "600"),
                                    "X-Amz-SignedHeaders": "host", "X-Amz-Signature": signature})
    return answer(handler, 307, [("Location", f"http://127.0.0.2:{STORAGE['port']}/bucket/{ident}?{query}")])


class Storage(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, content_type="application/xml"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        ident = urllib.parse.urlsplit(self.path).path.rsplit("/", 1)[-1]
        params = armed("presigned") or {}
        with LOCK:
            entry = RECORD.get("objects", {}).get(ident)
            served = RECORD.get("storage_requests", 0)
            RECORD["storage_requests"] = served + 1
            if entry:
                entry["asked"] += 1
                reused = entry["asked"] > 1
        if entry is None:
            return self.send(404, b"<Error><Code>NoSuchKey</Code></Error>")
        if reused:
            count("storage_reused")
        delay = float(params.get("delay", "0"))
        if served < int(params.get("reset_first", "0")):
            time.sleep(delay)
            self.close_connection = True
            return self.connection.shutdown(2)
        if served < int(params.get("delay_first", "0")):
            time.sleep(delay)
        if self.headers.get("Authorization"):
            count("storage_with_auth")
            return self.send(400, S3_AUTH)
        if time.time() > entry["issued"] + entry["expires"]:
            count("storage_expired")
            return self.send(403, S3_EXPIRED)
        count("storage_served")
        headers = {"Range": self.headers["Range"]} if self.headers.get("Range") else {}
        if entry["auth"]:
            headers["Authorization"] = entry["auth"]
        conn = http.client.HTTPConnection(STORAGE["upstream"], timeout=120)
        conn.request("GET", entry["path"], headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key in ("Content-Type", "Content-Range"):
            if response.getheader(key):
                self.send_header(key, response.getheader(key))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start(upstream):
    """Listens on 127.0.0.2 (another loopback host than the proxy's) for the proxy's lifetime."""
    STORAGE["upstream"] = upstream
    try:
        server = ThreadingHTTPServer(("127.0.0.2", 0), Storage)
    except OSError:
        return  # no 127.0.0.2 here: the personality is not available
    server.daemon_threads = True
    STORAGE["port"] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
