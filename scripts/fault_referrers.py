"""Referrers personalities for scripts/fault-proxy.py (GET /v2/NAME/referrers/DIGEST and
manifest PUTs with a `subject`), each as a registry was seen to answer:
  referrers-404-json    404 {"errors":[{"code":"MANIFEST_UNKNOWN"}]} (GHCR)
  referrers-303-429     303 to a web page on another host, which answers 429 (GHCR)
  referrers-302-html    302 to an HTML sign-in page on another host (GAR)
  referrers-404-html    404 text/html (GitLab's dependency proxy)
  referrers-false-200   200 application/json with an empty list, whatever exists (a "false 200")
  referrers-api         a working Referrers API: the manifests PUT here with a subject, listed as
                        an OCI index; PUTs with a subject get OCI-Subject; everything=1: every
                        subject's referrers listed for any digest (entries that do not name it)
  lying-subject         PUTs with a subject get OCI-Subject, but there is no API (ECR, 2024)
  subject-must-exist    a PUT whose subject is not in the repository: 400 MANIFEST_BLOB_UNKNOWN (GitLab)
  index-subject-405     a PUT whose subject is an index: 405 (ECR)
The pages another host serves are /__web/…: they count whether credentials came along.
"""
import hashlib
import json
import re
import urllib.parse

from fault_personality import INDEX_TYPES, LOCK, RECORD, answer, armed, count, error, head_manifest

REFERRERS = re.compile(r"^/v2/(.+)/referrers/(sha256:[0-9a-f]{64})$")
HTML = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in to continue</body></html>\n"


def intercept(handler, body):
    url = urllib.parse.urlsplit(handler.path)
    match = REFERRERS.match(url.path)
    if handler.command == "GET" and match:
        return listing(handler, match.group(1), match.group(2))
    if handler.command == "PUT" and "/manifests/" in url.path and body:
        return subject_rules(handler, url.path, body)
    return False


def listing(handler, repository, digest):
    other = handler.other_host()
    if armed("referrers-404-json"):
        return error(handler, 404, "MANIFEST_UNKNOWN", "manifest unknown")
    if armed("referrers-303-429"):
        count("referrers_redirect")
        return answer(handler, 303, [("Location", f"http://{other}/__web/-/v2/packages/container/package/referrers?d={digest[:19]}")])
    if armed("referrers-302-html"):
        count("referrers_redirect")
        return answer(handler, 302, [("Location", f"http://{other}/__web/signin?continue=referrers")])
    if armed("referrers-404-html"):
        return answer(handler, 404, [("Content-Type", "text/html; charset=utf-8")], b"<html><body><h1>Not Found</h1></body></html>\n")
    if armed("referrers-false-200"):
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}).encode()
        return answer(handler, 200, [("Content-Type", "application/json")], body)
    api = armed("referrers-api")
    if api:
        with LOCK:
            if api.get("everything") == "1":  # a lying API: every referrer of every subject
                listed = [entry for entries in RECORD["referrers"].values() for entry in entries.values()]
            else:
                listed = list(RECORD["referrers"].get((repository, digest), {}).values())
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": listed}).encode()
        return answer(handler, 200, [("Content-Type", "application/vnd.oci.image.index.v1+json")], body)
    return False


def web_page(handler):
    """GET /__web/…: the web UI another host serves (a redirect's target)."""
    count("web_with_auth" if handler.headers.get("Authorization") else "web_without_auth")
    if "/signin" in handler.path:
        return answer(handler, 200, [("Content-Type", "text/html; charset=utf-8")], HTML)
    return answer(handler, 429, [("Content-Type", "text/html; charset=utf-8"), ("Retry-After", "3600")], HTML)


def subject_of(body):
    try:
        manifest = json.loads(body)
    except ValueError:
        return None, None
    subject = manifest.get("subject") if isinstance(manifest, dict) else None
    return (manifest, subject) if isinstance(subject, dict) else (manifest, None)


def subject_rules(handler, path, body):
    manifest, subject = subject_of(body)
    if subject is None:
        return False
    repository = path[len("/v2/"):path.index("/manifests/")]
    if armed("index-subject-405") and subject.get("mediaType") in INDEX_TYPES:
        count("index_subject_refused")
        return error(handler, 405, "UNSUPPORTED", "Method Not Allowed")
    if armed("subject-must-exist"):
        status, _ = head_manifest(handler, f"/v2/{repository}/manifests/{subject.get('digest')}")
        if status == 404:
            count("subject_missing")
            return error(handler, 400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", detail=subject.get("digest"))
    if armed("referrers-api"):
        handler.referrer_pending = (repository, manifest, subject, body)
    return False


def adjust(handler, status, headers):
    """OCI-Subject on a subject manifest's PUT (a real API registry, or a lying one); the
    Referrers API's record of what was PUT."""
    pending = getattr(handler, "referrer_pending", None)
    if pending and status == 201:
        repository, manifest, subject, body = pending
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        entry = {"mediaType": manifest.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
                 "digest": digest, "size": len(body)}
        artifact = manifest.get("artifactType") or (manifest.get("config") or {}).get("mediaType")
        if artifact:
            entry["artifactType"] = artifact
        if manifest.get("annotations"):
            entry["annotations"] = manifest["annotations"]
        with LOCK:
            RECORD["referrers"].setdefault((repository, subject.get("digest")), {})[digest] = entry
    if handler.command == "PUT" and status == 201 and (armed("lying-subject") or armed("referrers-api")):
        body = getattr(handler, "request_body", None)
        _, subject = subject_of(body) if body else (None, None)
        if subject:
            headers = headers + [("OCI-Subject", subject.get("digest", ""))]
    return headers
