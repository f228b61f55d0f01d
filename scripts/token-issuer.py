#!/usr/bin/env python3
"""Minimal Docker token-auth issuer for samforge's test registry.

GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]
    Optional `Authorization: Basic`. Anonymous callers get at most `pull`;
    valid credentials get what they ask for; wrong credentials get a 401.
GET /stats      -> {"token_requests": N, ...}  (lets tests check token caching)
POST /stats/reset -> zero the counters

Tokens are RS256 JWTs whose header carries `x5c` = [signing cert], the cert
being signed by the CA in the registry's `rootcertbundle`: that is what
distribution 2.8 verifies. Credentials come from a file (never argv).
"""
import argparse
import base64
import binascii
import datetime
import hmac
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

TOKEN_TTL = 300


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Issuer:
    def __init__(self, key_path, cert_path, issuer, users):
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")]
        self.issuer = issuer
        self.users = users
        self.lock = threading.Lock()
        self.stats = {"token_requests": 0, "anonymous": 0, "authenticated": 0, "rejected": 0}

    def count(self, *keys):
        with self.lock:
            for k in keys:
                self.stats[k] += 1

    def check_basic(self, header):
        """None = anonymous, username = valid, False = bad credentials."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = self.users.get(user)
        if not sep or expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            return False
        return user

    @staticmethod
    def parse_scopes(values):
        """`type:name:actions`; name may itself contain ':' (so split at the ends)."""
        out = []
        for value in values:
            for scope in value.split():  # one param may hold several space-separated scopes
                typ, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                if typ and name:
                    out.append((typ, name, [a for a in actions.split(",") if a]))
        return out

    def grant(self, scopes, user):
        access = []
        for typ, name, actions in scopes:
            if typ == "repository":
                allowed = actions if user else [a for a in actions if a == "pull"]
            elif typ == "registry" and name == "catalog":
                allowed = actions if user else []  # catalog only for authenticated users
            else:
                allowed = []
            if allowed:
                access.append({"type": typ, "name": name, "actions": allowed})
        return access

    def token(self, service, user, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": service,  # distribution 2.8 wants a string here
            "exp": now + TOKEN_TTL,
            "nbf": now - 10,  # a little slack for clock skew
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode())
                         + "." + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(sig), now


class Handler(BaseHTTPRequestHandler):
    server_version = "samforge-token-issuer/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # goes to the log file via stderr
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def send_json(self, code, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        issuer: Issuer = self.server.issuer
        url = urlsplit(self.path)
        if url.path == "/stats":
            with issuer.lock:
                return self.send_json(200, dict(issuer.stats))
        if url.path != "/token":
            return self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
        query = parse_qs(url.query, keep_blank_values=True)
        issuer.count("token_requests")
        user = issuer.check_basic(self.headers.get("Authorization"))
        if user is False:
            issuer.count("rejected")
            return self.send_json(
                401,
                {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]},
                [("WWW-Authenticate", 'Basic realm="samforge-token"')],
            )
        issuer.count("authenticated" if user else "anonymous")
        service = (query.get("service") or [""])[0]
        access = issuer.grant(issuer.parse_scopes(query.get("scope", [])), user)
        tok, now = issuer.token(service, user, access)
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.send_json(200, {"token": tok, "access_token": tok, "expires_in": TOKEN_TTL, "issued_at": issued})

    do_HEAD = do_GET

    def do_POST(self):
        issuer: Issuer = self.server.issuer
        if urlsplit(self.path).path == "/stats/reset":
            with issuer.lock:
                for k in issuer.stats:
                    issuer.stats[k] = 0
            return self.send_json(200, {})
        self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})


def load_users(path):
    users = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and ":" in line:
                u, _, p = line.partition(":")
                users[u] = p
    return users


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True, help="PEM RSA private key of the signing cert")
    ap.add_argument("--cert", required=True, help="PEM signing cert (goes into x5c)")
    ap.add_argument("--issuer", default="samforge-test-issuer")
    ap.add_argument("--users-file", help="file of user:password lines (default: $TOKEN_ISSUER_USERS_FILE)")
    args = ap.parse_args()
    users_file = args.users_file or os.environ.get("TOKEN_ISSUER_USERS_FILE")
    users = load_users(users_file) if users_file else {}
    srv = ThreadingHTTPServer((args.listen, args.port), Handler)
    srv.daemon_threads = True
    srv.issuer = Issuer(args.key, args.cert, args.issuer, users)
    srv.serve_forever()


if __name__ == "__main__":
    main()
