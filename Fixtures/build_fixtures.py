#!/usr/bin/env python3
"""Build samforge's small test images deterministically and push them to a registry.

    build_fixtures.py --registry 127.0.0.1:5000 [--scheme http|https] [--ca FILE]
                      [--user U --password-env VAR] [--summary FILE] [--oci-layout DIR]

Images are described below as Python file trees. Layers are PAX tars (sorted,
mtime 0, uid/gid 0, no owner names) gzipped with mtime 0, and manifests are
serialized the same way every run, so every digest is reproducible. Pushes go
straight through the distribution HTTP API (monolithic blob uploads), with no
auth, Basic, or Bearer-token auth (discovered from WWW-Authenticate).
Python 3 standard library only. See Fixtures/README.md for what each image is for.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import re
import ssl
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

BUSYBOX = "/bin/busybox"  # from busybox-static: one static binary, runs under chroot
EPOCH = "1970-01-01T00:00:00Z"

# Media types
D_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
D_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
D_CONFIG = "application/vnd.docker.container.image.v1+json"
D_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
O_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
O_INDEX = "application/vnd.oci.image.index.v1+json"
O_CONFIG = "application/vnd.oci.image.config.v1+json"
O_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

AMD64 = {"architecture": "amd64", "os": "linux"}
ARM64 = {"architecture": "arm64", "os": "linux", "variant": "v8"}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ file trees
# An entry is (kind, path, payload, mode). Paths are absolute-looking here and
# stored relative ("bin/busybox") in the tar, as Docker does.

def F(path, data, mode=0o644):
    return ("file", path, data.encode() if isinstance(data, str) else data, mode)


def D(path, mode=0o755):
    return ("dir", path, None, mode)


def S(path, target):
    return ("symlink", path, target, 0o777)


def H(path, target, mode=0o644):
    """Hard link `path` to the file `target` (which must be in the same layer)."""
    return ("hardlink", path, target, mode)


def WH(path):
    """Whiteout: hides `path` from lower layers."""
    d, _, base = path.rpartition("/")
    return F(f"{d}/.wh.{base}", b"", 0o644)


def OPQ(dirpath):
    """Opaque marker: hides everything lower layers put in `dirpath`."""
    return F(f"{dirpath.rstrip('/')}/.wh..wh..opq", b"", 0o644)


def script(*lines):
    return "#!/bin/sh\n" + "\n".join(lines) + "\n"


_busybox_bytes = None


def busybox_tree():
    """/bin/busybox plus the applet symlinks tests use (so `chroot ROOTFS /bin/sh` works)."""
    global _busybox_bytes
    if _busybox_bytes is None:
        with open(BUSYBOX, "rb") as f:
            _busybox_bytes = f.read()
    out = [F("/bin/busybox", _busybox_bytes, 0o755)]
    out += [S(f"/bin/{a}", "busybox") for a in ("sh", "ls", "cat", "env", "echo", "test")]
    return out


def _tar_entries(entries):
    """Sorted by path components; a hard link waits until its target is written."""
    by_path = {}
    for e in entries:
        by_path[e[1].rstrip("/")] = e
    # implicit parent directories (0755) for anything not listed explicitly
    for p in list(by_path):
        parts = p.strip("/").split("/")
        for i in range(1, len(parts)):
            parent = "/" + "/".join(parts[:i])
            by_path.setdefault(parent, D(parent))
    ordered, written, pending = [], set(), []
    for p in sorted(by_path, key=lambda s: s.strip("/").split("/")):
        e = by_path[p]
        if e[0] == "hardlink" and e[2].rstrip("/") not in written:
            pending.append(e)
            continue
        ordered.append(e)
        written.add(p)
        for h in [h for h in pending if h[2].rstrip("/") in written]:
            pending.remove(h)
            ordered.append(h)
            written.add(h[1])
    if pending:
        raise ValueError("hard link targets missing from layer: %r" % [h[1] for h in pending])
    return ordered


def make_tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for kind, path, payload, mode in _tar_entries(entries):
            ti = tarfile.TarInfo(path.strip("/"))
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname, ti.mode = 0, 0, 0, "", "", mode
            if kind == "file":
                ti.size = len(payload)
                t.addfile(ti, io.BytesIO(payload))
                continue
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, payload
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, payload.strip("/")
            t.addfile(ti)
    return buf.getvalue()


class Layer:
    """One gzip layer: digest = sha256(gzip bytes), diff_id = sha256(tar bytes)."""

    def __init__(self, entries, created_by):
        tar = make_tar(entries)
        gz = io.BytesIO()
        # filename="" and mtime=0 keep the gzip header identical on every run
        with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=6) as g:
            g.write(tar)
        self.blob = gz.getvalue()
        self.digest = sha256(self.blob)
        self.diff_id = sha256(tar)
        self.created_by = created_by


# ------------------------------------------------------------------ images

class Image:
    """A single-platform image: config + layers + manifest bytes."""

    def __init__(self, layers, config, platform, oci):
        self.layers = layers
        self.platform = platform
        cfg = {
            "architecture": platform["architecture"],
            "config": config,
            "created": EPOCH,
            "history": [{"created": EPOCH, "created_by": l.created_by} for l in layers],
            "os": platform["os"],
            "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]},
        }
        if "variant" in platform:
            cfg["variant"] = platform["variant"]
        self.config = json.dumps(cfg, indent=2).encode()
        self.config_digest = sha256(self.config)
        self.media_type = O_MANIFEST if oci else D_MANIFEST
        lmt = O_LAYER if oci else D_LAYER
        manifest = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": {"mediaType": O_CONFIG if oci else D_CONFIG,
                       "size": len(self.config), "digest": self.config_digest},
            "layers": [{"mediaType": lmt, "size": len(l.blob), "digest": l.digest} for l in layers],
        }
        # Docker-style 3-space indent on purpose: clients must hash received bytes, not re-serialize.
        self.manifest = json.dumps(manifest, indent=3).encode()
        self.digest = sha256(self.manifest)

    def blobs(self):
        return [(self.config_digest, self.config)] + [(l.digest, l.blob) for l in self.layers]

    def summary(self):
        return {
            "mediaType": self.media_type,
            "digest": self.digest,
            "manifest_digest": self.digest,
            "config_digest": self.config_digest,
            "architecture": self.platform["architecture"],
            "layers": [l.digest for l in self.layers],
            "diff_ids": [l.diff_id for l in self.layers],
        }


class Index:
    """A Docker manifest list or OCI index over Images."""

    def __init__(self, images, oci):
        self.images = images
        self.media_type = O_INDEX if oci else D_LIST
        doc = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [{"mediaType": i.media_type, "size": len(i.manifest), "digest": i.digest,
                           "platform": i.platform} for i in images],
        }
        self.manifest = json.dumps(doc, indent=3).encode()
        self.digest = sha256(self.manifest)

    def summary(self):
        plat = {"/".join([i.platform["os"], i.platform["architecture"]]): i.digest for i in self.images}
        return {
            "mediaType": self.media_type,
            "digest": self.digest,
            "index_digest": self.digest,
            "manifest_digest": plat.get("linux/amd64"),  # what an amd64 client resolves to (None: no amd64)
            "manifests": plat,
        }


def os_release(name, version, pretty):
    return F("/etc/os-release",
             f'NAME="{name}"\nVERSION="{version}"\nID="amzn"\nID_LIKE="centos rhel fedora"\n'
             f'VERSION_ID="{version}"\nPRETTY_NAME="{pretty}"\nHOME_URL="https://amazonlinux.com/"\n')


def lambda_dirs():
    return [D("/var/task"), D("/var/lang"), D("/var/lang/bin"), D("/tmp", 0o1777)]


SAM_ENV = [
    "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    "LANG=en_US.UTF-8",
    "TZ=:/etc/localtime",
    "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
]

# A path longer than 100 bytes (needs a PAX path record) and a non-ASCII name.
LONG_PATH = ("/var/lang/lib/node_modules/npm/node_modules/@npmcli/arborist/node_modules/"
             "some-deeply-nested-dependency/lib/package-metadata.json")


def build_all():
    """Returns [(repo, tag_or_None, obj)] in push order (children before indexes)."""
    out = []

    # --- sam/build-nodejs18.x: Docker schema2, manifest list (amd64 + arm64) ---
    al2_base = Layer(busybox_tree() + lambda_dirs() + [
        os_release("Amazon Linux", "2", "Amazon Linux 2"),
        F("/usr/bin/yum", script('echo "yum: samforge fixture, not a package manager" >&2', "exit 1"), 0o755),
    ], "/bin/sh -c #(nop) ADD file:al2-base in / ")
    node_layer = Layer([
        F("/var/lang/bin/node", script('echo "v18.20.8 (samforge fixture)"'), 0o755),
        H("/var/lang/bin/nodejs", "/var/lang/bin/node", 0o755),   # hard link
        S("/var/lang/bin/npm", "node"),                           # relative symlink
        S("/usr/local/bin/node", "/var/lang/bin/node"),           # absolute symlink
        F("/opt/stale/a.txt", "stale a\n"),
        F("/opt/stale/b.txt", "stale b\n"),
        F("/etc/motd", "welcome to the fixture\n"),
        F(LONG_PATH, '{"name": "long-path-fixture"}\n'),
        F("/var/lang/share/caf\u00e9-\u00fc.txt", "non-ascii name\n"),
    ], "/bin/sh -c #(nop) ADD file:nodejs18 in /var/lang ")
    cleanup_layer = Layer([
        WH("/etc/motd"),
        OPQ("/opt/stale"),
        F("/opt/stale/c.txt", "fresh c\n"),
    ], "/bin/sh -c rm -f /etc/motd && rm -rf /opt/stale/* && echo fresh c > /opt/stale/c.txt")
    node_cfg = {
        "Env": SAM_ENV,
        "WorkingDir": "/var/task",
        "Entrypoint": [],
        "Cmd": ["/bin/bash"],
        "Labels": {"maintainer": "fixture"},
    }
    node_layers = [al2_base, node_layer, cleanup_layer]
    node_amd = Image(node_layers, node_cfg, AMD64, oci=False)
    node_arm = Image(node_layers, node_cfg, ARM64, oci=False)  # same layers, arm64 config
    out += [
        ("sam/build-nodejs18.x", "1.143.0-20250502200316-x86_64", node_amd),
        ("sam/build-nodejs18.x", "1.143.0-20250502200316-arm64", node_arm),
        ("sam/build-nodejs18.x", "1.143.0", Index([node_amd, node_arm], oci=False)),
    ]

    # --- sam/build-python3.12: OCI manifest, plus an OCI index (amd64 + arm64) ---
    al2023_base = Layer(busybox_tree() + lambda_dirs() + [
        os_release("Amazon Linux", "2023", "Amazon Linux 2023.7.20250512"),
        F("/usr/bin/dnf", script('echo "dnf: samforge fixture, not a package manager" >&2', "exit 1"), 0o755),
        S("/usr/bin/microdnf", "dnf"),
    ], "ADD file:al2023-base in / ")
    py_layer = Layer([
        F("/var/lang/bin/python3.12", script('echo "Python 3.12.11 (samforge fixture)"'), 0o755),
        S("/var/lang/bin/python3", "python3.12"),
        F("/var/lang/lib/python3.12/site-packages/README.txt", "site-packages\n"),
    ], "ADD file:python3.12 in /var/lang ")
    py_cfg = {
        "Env": ["PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG=en_US.UTF-8"],
        "WorkingDir": "/var/task",
        "Entrypoint": [],
        "Cmd": ["/bin/bash"],
    }
    py_amd = Image([al2023_base, py_layer], py_cfg, AMD64, oci=True)
    py_arm = Image([al2023_base, py_layer], py_cfg, ARM64, oci=True)
    out += [
        ("sam/build-python3.12", "1.143.0-20250822194415-x86_64", py_amd),
        ("sam/build-python3.12", None, py_arm),
        ("sam/build-python3.12", "1.143.0", Index([py_amd, py_arm], oci=True)),
    ]

    # --- error cases: index without amd64; single manifest whose config is arm64 ---
    ruby_arm = Image([al2_base], {"Env": SAM_ENV, "Cmd": ["/bin/bash"]}, ARM64, oci=True)
    out += [
        ("sam/build-ruby3.2", None, ruby_arm),
        ("sam/build-ruby3.2", "1.143.0-arm64only", Index([ruby_arm], oci=True)),
    ]
    java_arm = Image([al2023_base], {"Env": SAM_ENV, "Cmd": ["/bin/bash"]}, ARM64, oci=False)
    out.append(("sam/build-java21", "1.143.0-20250101000000-x86_64", java_arm))

    # --- harness/aws-sam-plugin: the plugin "scratch" image (Docker schema2, no busybox) ---
    def plugin_layer1(with_binary):
        entries = [
            D("/opt/harness"), D("/opt/harness/bin"), D("/opt/harness/scripts"),
            F("/opt/harness/scripts/sam-plugin.sh", script('echo "sam-plugin.sh v1"'), 0o644),
            F("/opt/harness/scripts/common.sh", script('echo "common.sh"'), 0o755),
            F("/opt/harness/scripts/old.sh", script('echo "old.sh"'), 0o644),
            F("/opt/harness/scripts/lib/util.sh", script('echo "util.sh"'), 0o600),
            F("/etc/unrelated.conf", "must not be copied\n"),
        ]
        if with_binary:
            # 0644 on purpose: the builder must chmod +x it
            entries.append(F("/opt/harness/bin/harness-sam-plugin",
                             script('echo "harness-sam-plugin fixture v1"'), 0o644))
        return Layer(entries, "COPY harness-sam-plugin scripts/ /opt/harness/ # buildkit")

    plugin_layer2 = Layer([
        F("/opt/harness/scripts/sam-plugin.sh", script(
            'echo "sam-plugin.sh v2"',
            'echo "HARNESS_GO_PLUGIN_VERSION=$HARNESS_GO_PLUGIN_VERSION"',
            'echo "DOCKER_VERSION=$DOCKER_VERSION"',
            "for tool in /opt/harness/bin/harness-sam-plugin /opt/harness/client-tools/go-template /usr/local/bin/docker; do",
            '    if [ -e "$tool" ]; then "$tool"; fi',
            "done",
        ), 0o644),
        WH("/opt/harness/scripts/old.sh"),
        S("/opt/harness/scripts/current.sh", "sam-plugin.sh"),
        F("/opt/harness/scripts/common.sh", script('echo "common.sh"'), 0o755),
        H("/opt/harness/scripts/common-link.sh", "/opt/harness/scripts/common.sh", 0o755),
    ], "COPY scripts/ /opt/harness/scripts/ # buildkit")
    plugin_cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    out += [
        ("harness/aws-sam-plugin", "1.1.2-beta-base-image",
         Image([plugin_layer1(True), plugin_layer2], plugin_cfg, AMD64, oci=False)),
        ("harness/aws-sam-plugin", "no-binary",
         Image([plugin_layer1(False), plugin_layer2], plugin_cfg, AMD64, oci=False)),
    ]

    # --- library/docker:26.0.1-cli: OCI index, the static docker CLI per arch ---
    def docker_image(plat, arch_word):
        layer = Layer([
            F("/usr/local/bin/docker", script(f'echo "Docker version 26.0.1, build fixture-{arch_word}"'), 0o755),
            F("/usr/local/bin/docker-entrypoint.sh", script('exec "$@"'), 0o755),
        ], f"COPY docker /usr/local/bin/ # {arch_word}")
        return Image([layer], {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                       "DOCKER_VERSION=26.0.1"],
                               "Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["sh"]}, plat, oci=True)

    d_amd, d_arm = docker_image(AMD64, "amd64"), docker_image(ARM64, "arm64")
    out += [
        ("library/docker", None, d_amd),
        ("library/docker", None, d_arm),
        ("library/docker", "26.0.1-cli", Index([d_amd, d_arm], oci=True)),
    ]
    return out


# ------------------------------------------------------------------ registry client

class RegistryError(Exception):
    pass


def parse_challenge(header):
    """`Bearer realm="x",service="y"` -> ("bearer", {...}); quoted values may hold commas."""
    scheme, _, rest = (header or "").strip().partition(" ")
    params = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', rest):
        params[m.group(1).lower()] = (re.sub(r"\\(.)", r"\1", m.group(3))
                                      if m.group(3) is not None else m.group(2))
    return scheme.lower(), params


class Registry:
    def __init__(self, host, scheme="http", ca=None, user=None, password=None):
        self.base = f"{scheme}://{host}"
        self.user, self.password = user, password
        handlers = [urllib.request.ProxyHandler({})]  # local registries: never via a proxy
        if scheme == "https":
            ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
            handlers.append(urllib.request.HTTPSHandler(context=ctx))
        self.opener = urllib.request.build_opener(*handlers)
        self.challenge = None  # (scheme, params) from the last 401
        self.tokens = {}       # repo -> bearer token

    def _basic(self):
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _auth_header(self, repo):
        if not self.challenge:
            return None
        scheme, _ = self.challenge
        if scheme == "basic":
            return self._basic() if self.user else None
        if scheme == "bearer" and repo in self.tokens:
            return "Bearer " + self.tokens[repo]
        return None

    def _fetch_token(self, repo):
        _, params = self.challenge
        q = [("service", params.get("service", "")), ("scope", f"repository:{repo}:pull,push")]
        realm = params["realm"]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(q)
        req = urllib.request.Request(url)
        if self.user:
            req.add_header("Authorization", self._basic())
        try:
            with self.opener.open(req) as r:
                doc = json.load(r)
        except urllib.error.HTTPError as e:
            raise RegistryError(f"token request to {realm} failed: {e.code} {e.read()[:300]!r}")
        self.tokens[repo] = doc.get("token") or doc["access_token"]

    def request(self, method, url, repo, body=None, headers=None, ok=(200,)):
        """Send; on 401 learn the challenge (fetch a token when Bearer) and retry once."""
        if url.startswith("/"):
            url = self.base + url
        for attempt in (1, 2):
            req = urllib.request.Request(url, data=body, method=method)
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            auth = self._auth_header(repo)
            if auth:
                req.add_header("Authorization", auth)
            try:
                with self.opener.open(req) as r:
                    r.read()
                    code, hdrs = r.status, r.headers
            except urllib.error.HTTPError as e:
                code, hdrs, text = e.code, e.headers, e.read()[:500]
                if code == 401 and attempt == 1:
                    self.challenge = parse_challenge(hdrs.get("WWW-Authenticate"))
                    if self.challenge[0] == "bearer":
                        self._fetch_token(repo)
                    elif self.challenge[0] != "basic" or not self.user:
                        raise RegistryError(f"{method} {url}: 401 and no usable credentials")
                    continue
                if code in ok:
                    return code, hdrs
                raise RegistryError(f"{method} {url}: {code} {text!r}")
            if code in ok:
                return code, hdrs
            raise RegistryError(f"{method} {url}: unexpected {code}")
        raise RegistryError(f"{method} {url}: still unauthorized")

    def push_blob(self, repo, digest, data):
        code, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}", repo, ok=(200, 404))
        if code == 200:
            return
        _, h = self.request("POST", f"/v2/{repo}/blobs/uploads/", repo, body=b"", ok=(202,))
        loc = urllib.parse.urljoin(self.base + "/", h["Location"])  # may be relative
        loc += ("&" if "?" in loc else "?") + "digest=" + urllib.parse.quote(digest)
        self.request("PUT", loc, repo, body=data, ok=(201, 204),
                     headers={"Content-Type": "application/octet-stream"})

    def push_manifest(self, repo, ref, media_type, data):
        _, h = self.request("PUT", f"/v2/{repo}/manifests/{ref}", repo, body=data, ok=(201,),
                            headers={"Content-Type": media_type})
        got = h.get("Docker-Content-Digest")
        if got and got != sha256(data):
            raise RegistryError(f"{repo}:{ref}: registry says {got}, expected {sha256(data)}")


# ------------------------------------------------------------------ OCI layout output

def write_layout(path, fixtures):
    """Optional: the same images as an OCI image layout (ref.name = repo:tag)."""
    blobs = os.path.join(path, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(digest, data):
        p = os.path.join(blobs, digest.split(":", 1)[1])
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)

    refs = []
    for repo, tag, obj in fixtures:
        for d, b in (obj.blobs() if isinstance(obj, Image) else []):
            put(d, b)
        put(obj.digest, obj.manifest)
        if tag:
            refs.append({"mediaType": obj.media_type, "size": len(obj.manifest), "digest": obj.digest,
                         "annotations": {"org.opencontainers.image.ref.name": f"{repo}:{tag}"}})
    with open(os.path.join(path, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": O_INDEX, "manifests": refs}, f, indent=2)


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description="Build and push samforge's fixture images.")
    ap.add_argument("--registry", help="HOST:PORT to push to")
    ap.add_argument("--scheme", choices=("http", "https"), default="http")
    ap.add_argument("--ca", help="CA bundle for https")
    ap.add_argument("--user")
    ap.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    ap.add_argument("--summary", metavar="FILE", help="write reference -> digests JSON here")
    ap.add_argument("--oci-layout", metavar="DIR", help="also write the images as an OCI layout")
    args = ap.parse_args()
    if not args.registry and not args.oci_layout:
        ap.error("give --registry and/or --oci-layout")
    password = None
    if args.user:
        if not args.password_env or args.password_env not in os.environ:
            ap.error("--user needs --password-env naming a set variable")
        password = os.environ[args.password_env]

    fixtures = build_all()
    summary = {}
    for repo, tag, obj in fixtures:
        if tag:
            summary[f"{repo}:{tag}"] = obj.summary()

    if args.registry:
        reg = Registry(args.registry, args.scheme, args.ca, args.user, password)
        try:
            for repo, tag, obj in fixtures:
                if isinstance(obj, Image):
                    for d, b in obj.blobs():
                        reg.push_blob(repo, d, b)
                reg.push_manifest(repo, tag or obj.digest, obj.media_type, obj.manifest)
                ref = f"{args.registry}/{repo}" + (f":{tag}" if tag else "")
                print(f"{ref}@{obj.digest} {obj.media_type}", flush=True)
        except (RegistryError, urllib.error.URLError, OSError) as e:
            sys.exit(f"build_fixtures: {e}")
    if args.oci_layout:
        write_layout(args.oci_layout, fixtures)

    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
