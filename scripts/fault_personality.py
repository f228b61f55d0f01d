"""Registry personalities for scripts/fault-proxy.py: the proxy answers as another registry would.

Each personality is one way a real registry departs from CNCF distribution 2.8 (sources in
docs/registries.md, §1.15). It stays armed until /__reset or `off=1`, and several combine:
  POST /__personality/NAME?PARAM=V…   arm NAME (again: new parameters)
  POST /__personality/NAME?off=1      disarm NAME
  GET  /__personality                 what is armed, and what the personalities recorded
Uploads (this module):
  ecr-mount          POST ?mount=&from= opens a plain session upstream: 202, Range 0-0, no digest
  ecr-patch          PATCH answers 201, its Range (and the status GET's) stuck at the session's
                     first chunk;
                     status404=1: GET of an upload session answers 404 (ECR Public)
  chunk-min          a PATCH (or a PUT with a body) after a PATCH shorter than min (5242880)
                     is refused with 400; announce=1 sends OCI-Chunk-Min-Length on POST
  monolithic         every PATCH is refused with 405 (GAR: no chunked uploads)
  acr-range          a PATCH whose Content-Range has the `bytes ` prefix gets 400 (ACR)
Manifests (this module):
  zot-media          Docker schema2 manifests and lists refused (400 MANIFEST_INVALID); a tag
                     whose manifest changes kind (index vs image) too ("cannot change media-type")
  tag-echo           PUT /manifests/DIGEST?tag=a&tag=b applies the first `apply` (1) tags only,
                     echoing each in OCI-Tag (distribution-spec PR #600)
  harbor-project     requests to a repository containing `missing` get 401 (Harbor, no project)
  ecr-no-repo        the same get 404 NAME_UNKNOWN (ECR, no repository)
Referrers: see fault_referrers.py. Limits, credentials, challenges, storage: fault_limits.py.
Tag lists: fault_tags.py.
"""
import http.client
import json
import time
import urllib.parse

from fault_state import LOCK, STATS

ACTIVE = {}  # personality name -> its parameters (strings)
RECORD = {}  # what the personalities saw and hold (sessions, chunk sizes, referrers, tokens, objects)


def fresh_record():
    RECORD.clear()
    RECORD.update(mount_sessions=[], patch_sizes={}, first_range={}, token_scopes=[], referrers={}, objects={},
                  hub_used=0, hub_reset_at=None, storage_requests=0, arrivals=[])


fresh_record()
DOCKER_TYPES = ("application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.distribution.manifest.list.v2+json")
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")


def arm(name, params):
    with LOCK:
        if params.get("off") == "1":
            ACTIVE.pop(name, None)
        else:
            ACTIVE[name] = dict(params, armed="1")  # never empty: a personality without parameters is truthy
        if name == "hub-pull-limit":
            RECORD.update(hub_used=0, hub_reset_at=None)
    return {"armed": sorted(ACTIVE)}


def armed(name):
    with LOCK:
        return ACTIVE.get(name)


def reset():
    with LOCK:
        ACTIVE.clear()
        fresh_record()


def snapshot():
    with LOCK:
        return {"armed": dict(ACTIVE), "mount_sessions": list(RECORD["mount_sessions"]),
                "token_scopes": list(RECORD["token_scopes"]), "arrivals": list(RECORD["arrivals"]),
                "patch_sizes": {k: list(v) for k, v in RECORD["patch_sizes"].items()}}


def count(key, by=1):
    with LOCK:
        STATS[key] = STATS.get(key, 0) + by


# ---------------------------------------------------------------- talking upstream and back

def upstream(handler, method, path, body=None, headers=None):
    """(status, [(name, value)], data) of one request to the real registry."""
    conn = http.client.HTTPConnection(handler.upstream, timeout=120)
    conn.request(method, path, body=body, headers=handler.forwarded_headers() if headers is None else headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, [(k, v) for k, v in response.getheaders()], data


MANIFEST_ACCEPT = ", ".join(INDEX_TYPES + DOCKER_TYPES[:1] + ("application/vnd.oci.image.manifest.v1+json",))


def head_manifest(handler, path):
    """(status, headers) of HEAD `path` upstream, with the request's credentials and an Accept
    that takes every manifest (distribution answers 404 to a HEAD that does not take its type)."""
    headers = {"Accept": MANIFEST_ACCEPT}
    if handler.headers.get("Authorization"):
        headers["Authorization"] = handler.headers["Authorization"]
    status, answer_headers, _ = upstream(handler, "HEAD", path, headers=headers)
    return status, answer_headers


def answer(handler, status, headers, data=b""):
    """Sends a response built here, upstream Locations rewritten to this proxy's side."""
    skip = {"content-length", "connection", "keep-alive", "transfer-encoding", "date", "server"}
    kept = [(k, handler.outward(k, v)) for k, v in headers if k.lower() not in skip]
    handler.reply(status, data, kept)
    return True


def error(handler, status, code, message, detail=None, extra=()):
    entry = {"code": code, "message": message}
    if detail is not None:
        entry["detail"] = detail
    body = json.dumps({"errors": [entry]}).encode()
    return answer(handler, status, [("Content-Type", "application/json")] + list(extra), body)


def repository_of(path):
    """NAME of /v2/NAME/(blobs|manifests|tags|referrers)/…, or None."""
    url = urllib.parse.urlsplit(path).path
    for marker in ("/blobs/", "/manifests/", "/tags/", "/referrers/"):
        if url.startswith("/v2/") and marker in url:
            return url[len("/v2/"):url.index(marker)]
    return None


def session_key(path):
    return urllib.parse.urlsplit(path).path


def header(headers, name):
    return next((v for k, v in headers if k.lower() == name.lower()), None)


# ---------------------------------------------------------------- request side

def arrived():
    """Every request's arrival (monotonic seconds), for tests of a client's request budget."""
    with LOCK:
        RECORD["arrivals"].append(time.monotonic())


def intercept(handler, body):
    """Answers the request as the armed personalities would; False to forward it as is."""
    import fault_limits
    import fault_referrers
    for hook in (missing_namespace, fault_limits.intercept, fault_referrers.intercept, uploads, manifests):
        if hook(handler, body):
            return True
    return False


def missing_namespace(handler, body):
    repository = repository_of(handler.path) or ""
    harbor, ecr = armed("harbor-project"), armed("ecr-no-repo")
    if harbor and harbor.get("missing", "missing") in repository:
        count("namespace_refused")
        challenge = handler.upstream_challenge()
        extra = [("WWW-Authenticate", challenge)] if challenge else []
        return error(handler, 401, "UNAUTHORIZED", "unauthorized: authentication required", extra=extra)
    if ecr and ecr.get("missing", "missing") in repository:
        count("namespace_refused")
        return error(handler, 404, "NAME_UNKNOWN",
                     f"The repository with name '{repository}' does not exist in the registry with id '123456789012'")
    return False


def uploads(handler, body):
    method, path = handler.command, handler.path
    if "/blobs/uploads/" not in path:
        return False
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
    if method == "POST" and "mount" in query and armed("ecr-mount"):
        session = urllib.parse.urlsplit(path).path
        status, headers, data = upstream(handler, "POST", session, body=b"")
        count("mount_202")
        headers = [(k, v) for k, v in headers if k.lower() not in ("docker-content-digest", "range")] + [("Range", "0-0")]
        with LOCK:
            RECORD["mount_sessions"].append(session_key(header(headers, "Location") or ""))
        return answer(handler, 202 if status == 202 else status, headers, data)
    if method == "GET" and (armed("ecr-patch") or {}).get("status404") == "1":
        count("upload_status_404")
        return error(handler, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
    if method == "PATCH" and armed("monolithic"):
        count("patch_refused")
        return error(handler, 405, "UNSUPPORTED", "chunked uploads are not supported; use a monolithic upload")
    content_range = handler.headers.get("Content-Range", "")
    if method == "PATCH" and armed("acr-range") and content_range.lower().startswith("bytes"):
        count("content_range_refused")
        return error(handler, 400, "BLOB_UPLOAD_INVALID", "the Content-Range header format is invalid")
    minimum = armed("chunk-min")
    if minimum and (method == "PATCH" or (method == "PUT" and body)):
        floor = int(minimum.get("min", "5242880"))
        key = session_key(path)
        with LOCK:
            sizes = RECORD["patch_sizes"].setdefault(key, [])
            refused = bool(sizes) and sizes[-1] < floor
            if method == "PATCH" and not refused:
                sizes.append(len(body or b""))
        if refused:
            count("chunk_refused")
            return error(handler, 400, "SIZE_INVALID", f"a chunk other than the last is smaller than {floor} bytes")
    return False


def manifests(handler, body):
    method, path = handler.command, handler.path
    if method != "PUT" or "/manifests/" not in path:
        return False
    url = urllib.parse.urlsplit(path)
    media_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip()
    zot = armed("zot-media")
    if zot and media_type in DOCKER_TYPES:
        count("media_type_refused")
        return error(handler, 400, "MANIFEST_INVALID", "manifest invalid", detail=f"unsupported media type {media_type}")
    reference = url.path.rsplit("/", 1)[-1]
    if zot and not reference.startswith("sha256:"):
        status, headers = head_manifest(handler, url.path)
        current = (header(headers, "Content-Type") or "").split(";")[0].strip()
        if status == 200 and (current in INDEX_TYPES) != (media_type in INDEX_TYPES):
            count("media_type_refused")
            return error(handler, 400, "MANIFEST_INVALID", "manifest invalid", detail="cannot change media-type")
    echo = armed("tag-echo")
    tags = [v for k, v in urllib.parse.parse_qsl(url.query) if k == "tag"]
    if echo and tags and reference.startswith("sha256:"):
        status, headers, data = upstream(handler, "PUT", url.path, body=body)
        if status != 201:
            return answer(handler, status, headers, data)
        applied = tags[: int(echo.get("apply", "1"))]
        for tag in applied:
            upstream(handler, "PUT", url.path.rsplit("/", 1)[0] + "/" + tag, body=body)
        count("tag_query_puts")
        return answer(handler, 201, headers + [("OCI-Tag", tag) for tag in applied], data)
    return False


# ---------------------------------------------------------------- response side

def adjust(handler, status, headers):
    """(status, headers, replacement body or None) of an upstream answer, as the personalities say."""
    import fault_limits
    import fault_referrers
    body = None
    method, path = handler.command, handler.path
    patch = armed("ecr-patch")
    if patch and "/blobs/uploads/" in path and header(headers, "Range") and (method == "PATCH" or method == "GET"):
        # 201 to a PATCH, and a Range stuck at the session's first chunk (the status GET's too).
        status = 201 if method == "PATCH" and status == 202 else status
        key = session_key(path)
        with LOCK:
            first = RECORD["first_range"].setdefault(key, header(headers, "Range")) if method == "PATCH" else RECORD["first_range"].get(key)
        if first:
            headers = [(k, v) for k, v in headers if k.lower() != "range"] + [("Range", first)]
    minimum = armed("chunk-min")
    if minimum and method == "POST" and "/blobs/uploads/" in path and minimum.get("announce") == "1":
        headers = headers + [("OCI-Chunk-Min-Length", minimum.get("min", "5242880"))]
    headers = fault_referrers.adjust(handler, status, headers)
    status, headers, body = fault_limits.adjust(handler, status, headers, body)
    return status, headers, body
