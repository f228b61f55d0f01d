#!/usr/bin/env python3
"""Validates an image the way go-containerregistry's validate.Image does, independently of
samforge (Python's stdlib; zstd(1) decodes zstd layers): for every manifest (each child of an
index too)

  - the manifest parses and its media types are one flavour (Docker schema2 or OCI);
  - the config blob is present and its sha256 and size match the descriptor;
  - every layer blob is present with the digest and size the manifest claims, and its
    uncompressed sha256 equals the config's rootfs.diff_ids entry (counts equal);
  - history entries that made layers are as many as the layers (when there is a history).

    validate-image.py LOCATION [--user U --password-env VAR] [--ca CA.pem]
    LOCATION: HOST/REPO[:TAG|@DIGEST] (plain HTTP for loopback, else HTTPS),
              oci:DIR[:REF], docker-archive:FILE[:REF]

Prints one line per problem and exits 1, or prints "valid: …" and exits 0.
"""
import argparse
import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tarfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib

CHUNK = 1 << 20

INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
ACCEPT = ", ".join(sorted(INDEX_TYPES | {DOCKER_MANIFEST, OCI_MANIFEST}))


class Problem(Exception):
    pass


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, host, repository, user, password, ca):
        loopback = host.split(":")[0] in ("localhost", "127.0.0.1") or host.startswith("[::1]")
        self.base = ("http://" if loopback and not ca else "https://") + host
        self.repository = repository
        self.credentials = (user, password) if user else None
        self.context = ssl.create_default_context(cafile=ca) if ca else None
        self.token = None

    def get(self, path, accept=None):
        for _ in range(2):
            request = urllib.request.Request(self.base + path)
            if accept:
                request.add_header("Accept", accept)
            if self.token:
                request.add_header("Authorization", self.token)
            try:
                with urllib.request.urlopen(request, context=self.context) as response:
                    return response.read(), response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as error:
                if error.code == 401 and not self.token:
                    self.authenticate(error.headers.get("WWW-Authenticate", ""))
                    continue
                if error.code == 404:
                    raise Problem("missing: %s" % path)
                raise Problem("HTTP %d for %s" % (error.code, path))
        raise Problem("not authorized for %s" % path)

    def authenticate(self, challenge):
        scheme, _, rest = challenge.partition(" ")
        basic = None
        if self.credentials:
            basic = "Basic " + base64.b64encode(("%s:%s" % self.credentials).encode()).decode()
        if scheme.lower() == "basic":
            self.token = basic
            return
        fields = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
        query = urllib.parse.urlencode({"service": fields.get("service", ""), "scope": "repository:%s:pull" % self.repository})
        request = urllib.request.Request(fields["realm"] + "?" + query)
        if basic:
            request.add_header("Authorization", basic)
        with urllib.request.urlopen(request, context=self.context) as response:
            reply = json.loads(response.read())
        self.token = "Bearer " + (reply.get("token") or reply.get("access_token"))

    def manifest(self, reference):
        return self.get("/v2/%s/manifests/%s" % (self.repository, reference), ACCEPT)

    def blob(self, digest):
        return self.get("/v2/%s/blobs/%s" % (self.repository, digest))[0]

    def stream(self, digest):
        request = urllib.request.Request(self.base + "/v2/%s/blobs/%s" % (self.repository, digest))
        if self.token:
            request.add_header("Authorization", self.token)
        try:
            with urllib.request.urlopen(request, context=self.context) as response:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        return
                    yield chunk
        except urllib.error.HTTPError as error:
            raise Problem("HTTP %d for blob %s" % (error.code, digest))


class Layout:
    def __init__(self, directory, name):
        self.directory = directory
        self.name = name

    def blob(self, digest):
        path = os.path.join(self.directory, "blobs", *digest.split(":", 1))
        if not os.path.isfile(path):
            raise Problem("missing: blobs/%s" % digest.replace(":", "/"))
        with open(path, "rb") as f:
            return f.read()

    def stream(self, digest):
        path = os.path.join(self.directory, "blobs", *digest.split(":", 1))
        if not os.path.isfile(path):
            raise Problem("missing: blobs/%s" % digest.replace(":", "/"))
        with open(path, "rb") as f:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    return
                yield chunk

    def root(self):
        with open(os.path.join(self.directory, "index.json")) as f:
            entries = json.load(f).get("manifests", [])
        if self.name:
            names = [e for e in entries if (e.get("annotations") or {}).get("org.opencontainers.image.ref.name") in (self.name,)]
            if not names:
                names = [e for e in entries if ((e.get("annotations") or {}).get("org.opencontainers.image.ref.name") or "").endswith(":" + self.name)]
            entries = names
        if len(entries) != 1:
            raise Problem("index.json: %d entries match %r" % (len(entries), self.name))
        return self.blob(entries[0]["digest"]), entries[0]["mediaType"], entries[0]["digest"]


class Unzstd:
    """zstd(1) as a streaming decoder (python has none before 3.14): chunks in, sha256 of the
    output taken on a thread of its own, so neither side blocks on a full pipe."""

    def __init__(self, inner):
        self.inner = inner
        self.process = subprocess.Popen(["zstd", "-q", "-dc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self.drain)
        self.reader.start()

    def drain(self):
        for chunk in iter(lambda: self.process.stdout.read(1 << 20), b""):
            self.inner.update(chunk)

    def write(self, chunk):
        try:
            self.process.stdin.write(chunk)
        except BrokenPipeError:
            pass  # the decoder gave up: its status says so

    def close(self):
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        self.reader.join()
        return self.process.wait() == 0


def digests(chunks):
    """(sha256, size, uncompressed sha256) of a streamed blob."""
    outer, inner, size = hashlib.sha256(), hashlib.sha256(), 0
    inflate, kind, unzstd = None, None, None
    for chunk in chunks:
        if kind is None:
            kind = "gzip" if chunk[:2] == b"\x1f\x8b" else "zstd" if chunk[:4] == b"\x28\xb5\x2f\xfd" else "tar"
            if kind == "gzip":
                inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            if kind == "zstd":
                unzstd = Unzstd(inner)
        outer.update(chunk)
        size += len(chunk)
        if kind == "zstd":
            unzstd.write(chunk)
        elif kind == "gzip":
            try:
                inner.update(inflate.decompress(chunk))
                while inflate.eof and inflate.unused_data:  # concatenated gzip members
                    rest = inflate.unused_data
                    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    inner.update(inflate.decompress(rest))
            except zlib.error:
                kind = "broken gzip"  # reported after the compressed digest, which says more
        elif kind == "tar":
            inner.update(chunk)
    if kind == "gzip":
        inner.update(inflate.flush())
        if not inflate.eof:
            kind = "truncated gzip"
    if kind == "zstd" and not unzstd.close():
        kind = "broken zstd"
    uncompressed = {"broken zstd": "corrupt zstd stream", "broken gzip": "corrupt gzip stream",
                    "truncated gzip": "truncated gzip stream"}.get(kind, "sha256:" + inner.hexdigest())
    return "sha256:" + outer.hexdigest(), size, uncompressed


def check_image(manifest_bytes, media_type, fetch, stream, where):
    manifest = json.loads(manifest_bytes)
    own = manifest.get("mediaType") or media_type
    docker = own == DOCKER_MANIFEST
    if own not in (DOCKER_MANIFEST, OCI_MANIFEST):
        raise Problem("%s: not an image manifest (%s)" % (where, own))
    config_type = manifest["config"]["mediaType"]
    if docker and config_type != DOCKER_CONFIG:
        raise Problem("%s: Docker manifest with config type %s" % (where, config_type))
    if not docker and config_type.startswith("application/vnd.docker."):
        raise Problem("%s: OCI manifest with Docker config type %s" % (where, config_type))
    config_bytes = fetch(manifest["config"]["digest"])
    if sha256(config_bytes) != manifest["config"]["digest"] or len(config_bytes) != manifest["config"]["size"]:
        raise Problem("%s: config does not match its descriptor" % where)
    config = json.loads(config_bytes)
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    layers = manifest.get("layers") or []
    if len(diff_ids) != len(layers):
        raise Problem("%s: %d diff_ids for %d layers" % (where, len(diff_ids), len(layers)))
    for index, (layer, diff_id) in enumerate(zip(layers, diff_ids)):
        layer_type = layer["mediaType"]
        if docker != layer_type.startswith("application/vnd.docker."):
            raise Problem("%s: layer %d type %s in a %s manifest" % (where, index, layer_type, "Docker" if docker else "OCI"))
        digest, size, actual = digests(stream(layer["digest"]))
        if digest != layer["digest"] or size != layer["size"]:
            raise Problem("%s: layer %d does not match its descriptor" % (where, index))
        if actual != diff_id:
            raise Problem("%s: layer %d uncompresses to %s, diff_id says %s" % (where, index, actual, diff_id))
    history = config.get("history")
    if history is not None:
        made = [h for h in history if not h.get("empty_layer")]
        if len(made) != len(layers):
            raise Problem("%s: %d history entries made layers, %d layers" % (where, len(made), len(layers)))
    return len(layers)


def check_root(manifest_bytes, media_type, digest, fetch_manifest, fetch_blob, stream, where):
    document = json.loads(manifest_bytes)
    own = document.get("mediaType") or media_type
    if digest and sha256(manifest_bytes) != digest:
        raise Problem("%s: manifest bytes do not hash to %s" % (where, digest))
    if own in INDEX_TYPES or "manifests" in document:
        children = document.get("manifests") or []
        for child in children:
            data, child_type = fetch_manifest(child["digest"])
            if sha256(data) != child["digest"] or len(data) != child["size"]:
                raise Problem("%s: child %s does not match its descriptor" % (where, child["digest"]))
            check_image(data, child.get("mediaType") or child_type, fetch_blob, stream, "%s child %s" % (where, child["digest"][:19]))
        return "index of %d images" % len(children)
    return "image of %d layers" % check_image(manifest_bytes, own, fetch_blob, stream, where)


def check_archive(path, name):
    with tarfile.open(path) as archive:
        members = {m.name: m for m in archive.getmembers()}

        def read(member):
            if member not in members:
                raise Problem("missing: %s in the archive" % member)
            return archive.extractfile(members[member]).read()

        entries = json.loads(read("manifest.json"))
        if name:
            entries = [e for e in entries if any(t == name or t.endswith("/" + name) for t in e.get("RepoTags") or [])]
        if len(entries) != 1:
            raise Problem("manifest.json: %d images match %r" % (len(entries), name))
        entry = entries[0]
        config = json.loads(read(entry["Config"]))
        diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
        if len(diff_ids) != len(entry["Layers"]):
            raise Problem("%d diff_ids for %d layers" % (len(diff_ids), len(entry["Layers"])))
        for index, (layer, diff_id) in enumerate(zip(entry["Layers"], diff_ids)):
            if layer not in members:
                raise Problem("missing: %s in the archive" % layer)
            member = archive.extractfile(members[layer])
            _, _, actual = digests(iter(lambda: member.read(CHUNK), b""))
            if actual != diff_id:
                raise Problem("layer %d (%s) uncompresses to %s, diff_id says %s" % (index, layer, actual, diff_id))
        return "archived image of %d layers" % len(diff_ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("location")
    parser.add_argument("--user")
    parser.add_argument("--password-env")
    parser.add_argument("--ca")
    args = parser.parse_args()
    location = args.location
    try:
        pinned = None
        if location.startswith(("oci:", "docker-archive:")) and "@sha256:" in location:
            location, _, pinned = location.rpartition("@")
        if location.startswith("oci:"):
            directory, _, name = location[4:].partition(":")
            layout = Layout(directory, name or None)
            data, media_type, digest = layout.root()
            if pinned and digest != pinned:
                raise Problem("%s names %s, not %s" % (location, digest, pinned))
            fetch_manifest = lambda d: (layout.blob(d), "")
            summary = check_root(data, media_type, digest, fetch_manifest, layout.blob, layout.stream, location)
        elif location.startswith("docker-archive:"):
            path, _, name = location[len("docker-archive:"):].partition(":")
            summary = check_archive(path, name or None)
        else:
            host, _, rest = location.partition("/")
            if "@" in rest:
                repository, _, reference = rest.partition("@")
                if ":" in repository.rsplit("/", 1)[-1]:
                    repository = repository.rpartition(":")[0]
            elif ":" in rest.rsplit("/", 1)[-1]:
                repository, _, reference = rest.rpartition(":")
            else:
                repository, reference = rest, "latest"
            password = os.environ.get(args.password_env, "") if args.password_env else None
            registry = Registry(host, repository, args.user, password, args.ca)
            data, media_type = registry.manifest(reference)
            digest = reference if reference.startswith("sha256:") else None
            summary = check_root(data, media_type.split(";")[0], digest, registry.manifest, registry.blob, registry.stream, location)
    except Problem as problem:
        print("invalid: %s" % problem)
        return 1
    print("valid: %s (%s)" % (location, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
