#!/usr/bin/env python3
"""Writes an OCI layout (tag `img`) of one gzip layer holding a synthetic tree of COUNT files:
directories of 100 files each, about 50-byte paths and 64 bytes of content per file, written by
python's tarfile (independent of samforge). With --plugin the tree is the scripts of a Harness
SAM plugin image (/opt/harness/scripts, with /opt/harness/bin/harness-sam-plugin and
sam-plugin.sh), else /opt/tree. The memory tests and scripts/bench use it.

    synthetic-tree-layout.py OUT COUNT [--plugin]
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

out, count, plugin = sys.argv[1], int(sys.argv[2]), "--plugin" in sys.argv[3:]
root = "opt/harness/scripts" if plugin else "opt/tree"
os.makedirs(out + "/blobs/sha256")


def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return digest, len(data)


raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    def add(name, data, mode=0o644):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        tar.addfile(info, io.BytesIO(data))

    if plugin:
        add("opt/harness/bin/harness-sam-plugin", b"#!/bin/sh\necho plugin\n", 0o755)
        add(root + "/sam-plugin.sh", b"#!/bin/sh\necho sam-plugin.sh\n", 0o755)
    for first in range(0, count, 100):
        directory = f"{root}/d{first // 100:05d}"
        info = tarfile.TarInfo(directory)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        for i in range(first, min(first + 100, count)):
            add(f"{directory}/some-longer-file-name-{i:07d}.txt", f"file {i}\n".encode() * 8)
tar_bytes = raw.getvalue()
layer, size = put(gzip.compress(tar_bytes, compresslevel=1, mtime=0))
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]}}).encode()
config_digest, config_size = put(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + config_digest, "size": config_size},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + layer, "size": size}]}).encode()
manifest_digest, manifest_size = put(manifest)
with open(out + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + manifest_digest,
               "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": "img"}}]}, f)
with open(out + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
