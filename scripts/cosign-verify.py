#!/usr/bin/env python3
"""An independent implementation of cosign's key-based checks, written from cosign's specs
(SIGNATURE_SPEC.md, ATTESTATION_SPEC.md, BUNDLE_SPEC.md) and not from samforge's code, plus a
test signer that writes what cosign writes. Crypto from `cryptography` (ECDSA P-256, SHA-256),
PyNaCl (secretbox) and hashlib.scrypt.

    cosign-verify.py verify --key PUB --digest D LOCATION [--attestation TYPE]
        Exit 0 printing one JSON line per signature that verifies (format, where), else 1
        with the reason. Legacy: the sha256-HEX.sig (.att) image's layers, each blob checked
        against its descriptor, the ECDSA signature over the exact bytes, then critical.type and
        docker-manifest-digest (keys case-insensitive). Bundle: referrers (the Referrers API,
        else the sha256-HEX index tag; a layout's index.json entries) holding a Sigstore bundle,
        the DSSE signature over PAE(payloadType, payload), the statement's predicateType and a
        subject whose sha256 is the digest.
    cosign-verify.py decrypt-key KEY
        Decrypts a cosign encrypted key with $COSIGN_PASSWORD; prints its public key (PEM).
    cosign-verify.py generate-key-pair DIR
        Writes DIR/cosign.key (ENCRYPTED SIGSTORE PRIVATE KEY, N=2^16) and DIR/cosign.pub.
    cosign-verify.py sign --key KEY --digest D --format legacy|bundle LOCATION
                     [--attestation TYPE --statement FILE] [--subject-media-type T --subject-size N]
        Signs D (or attests it with the statement FILE) and writes the artifact the way cosign
        does: appended to the .sig/.att image, or a bundle referrer (and the referrers tag
        schema index). Layers are written exactly as the legacy spec shows them.

LOCATION: http://HOST:PORT/REPO (a plain-HTTP registry, no auth) or oci:DIR.
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.secret import SecretBox
import nacl.utils

SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
INTOTO = "application/vnd.in-toto+json"
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
SIG_ANNOTATION = "dev.cosignproject.cosign/signature"


def die(message):
    print(f"cosign-verify: {message}", file=sys.stderr)
    sys.exit(1)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def b64decode(text):
    """Standard base64, else URL-safe, as the Go verifiers accept."""
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except Exception:
        return base64.urlsafe_b64decode(padded)


def member(obj, name):
    """A JSON member matched as Go matches struct fields: exactly, else ignoring case."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    for key, value in obj.items():
        if key.lower() == name.lower():
            return value
    return None


# --- keys ---------------------------------------------------------------------------------

def pem_blocks(text):
    lines = text.decode().splitlines()
    kind, body = None, []
    for line in lines:
        if line.startswith("-----BEGIN "):
            kind, body = line[len("-----BEGIN "):-5], []
        elif line.startswith("-----END ") and kind:
            return kind, base64.b64decode("".join(body))
        elif kind and ":" not in line:
            body.append(line.strip())
    die("no PEM block")


def load_private_key(path):
    kind, body = pem_blocks(open(path, "rb").read())
    if kind in ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"):
        doc = json.loads(body)
        kdf, cipher = doc["kdf"], doc["cipher"]
        params = kdf["params"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            die("not scrypt + nacl/secretbox")
        if (params["N"], params["r"], params["p"]) not in ((1 << 15, 8, 1), (1 << 16, 8, 1), (1 << 17, 8, 1)):
            die("unsupported scrypt parameters")
        password = os.environ.get("COSIGN_PASSWORD", "").encode()
        key = hashlib.scrypt(password, salt=base64.b64decode(kdf["salt"]), n=params["N"], r=8, p=1,
                             dklen=32, maxmem=256 << 20)
        try:
            der = SecretBox(key).decrypt(base64.b64decode(doc["ciphertext"]), base64.b64decode(cipher["nonce"]))
        except Exception:
            die("wrong password")
        return serialization.load_der_private_key(der, None)
    if kind in ("PRIVATE KEY", "EC PRIVATE KEY"):
        return serialization.load_pem_private_key(open(path, "rb").read(), None)
    die(f"unsupported key type {kind}")


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_key_pair(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    salt, nonce = os.urandom(32), nacl.utils.random(SecretBox.NONCE_SIZE)
    password = os.environ.get("COSIGN_PASSWORD", "").encode()
    box_key = hashlib.scrypt(password, salt=salt, n=1 << 16, r=8, p=1, dklen=32, maxmem=256 << 20)
    sealed = SecretBox(box_key).encrypt(der, nonce).ciphertext
    doc = json.dumps({"kdf": {"name": "scrypt", "params": {"N": 1 << 16, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
                      "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
                      "ciphertext": base64.b64encode(sealed).decode()}, separators=(",", ":")).encode()
    body = base64.b64encode(doc).decode()
    text = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + "".join(body[i:i + 64] + "\n" for i in range(0, len(body), 64))
    text += "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    with open(os.path.join(directory, "cosign.key"), "w") as out:
        out.write(text)
    with open(os.path.join(directory, "cosign.pub"), "wb") as out:
        out.write(public_pem(key))


def verifies(public, signature, message):
    try:
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


# --- locations ----------------------------------------------------------------------------

class Registry:
    def __init__(self, url):
        scheme_host, _, self.repo = url.partition("://")[2].partition("/")
        self.base = "http://" + scheme_host

    def _open(self, method, path, data=None, headers=None):
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        return urllib.request.urlopen(request)

    def manifest(self, reference):
        accept = ", ".join([OCI_MANIFEST, OCI_INDEX, "application/vnd.docker.distribution.manifest.v2+json"])
        try:
            with self._open("GET", f"/v2/{self.repo}/manifests/{reference}", headers={"Accept": accept}) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def blob(self, digest):
        try:
            with self._open("GET", f"/v2/{self.repo}/blobs/{digest}") as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def referrers(self, digest):
        try:
            with self._open("GET", f"/v2/{self.repo}/referrers/{digest}") as response:
                return json.loads(response.read()).get("manifests", [])
        except urllib.error.HTTPError:
            index = self.manifest("sha256-" + digest.split(":")[1])
            return json.loads(index).get("manifests", []) if index else []

    def put_blob(self, data):
        with self._open("POST", f"/v2/{self.repo}/blobs/uploads/") as response:
            location = response.headers["Location"]
        separator = "&" if "?" in location else "?"
        url = location if location.startswith("http") else self.base + location
        request = urllib.request.Request(url + f"{separator}digest={sha256(data)}", data=data, method="PUT",
                                         headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(request).close()

    def put_manifest(self, reference, data, media_type):
        self._open("PUT", f"/v2/{self.repo}/manifests/{reference}", data=data, headers={"Content-Type": media_type}).close()

    def add_referrer(self, subject, descriptor):
        tag = "sha256-" + subject.split(":")[1]
        existing = self.manifest(tag)
        index = json.loads(existing) if existing else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        index["manifests"].append(descriptor)
        self.put_manifest(tag, json.dumps(index).encode(), OCI_INDEX)


class Layout:
    def __init__(self, directory):
        self.directory = directory

    def _index(self):
        with open(os.path.join(self.directory, "index.json")) as handle:
            return json.load(handle)

    def _path(self, digest):
        return os.path.join(self.directory, "blobs", "sha256", digest.split(":")[1])

    def blob(self, digest):
        try:
            with open(self._path(digest), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def manifest(self, reference):
        for entry in self._index()["manifests"]:
            name = (entry.get("annotations") or {}).get(REF_NAME, "")
            if name == reference or name.endswith(":" + reference):
                return self.blob(entry["digest"])
        return None

    def referrers(self, digest):
        found = []
        for entry in self._index()["manifests"]:
            if "artifactType" not in entry:
                continue
            body = self.blob(entry["digest"])
            if body and (json.loads(body).get("subject") or {}).get("digest") == digest:
                found.append(entry)
        return found

    def put_blob(self, data):
        os.makedirs(os.path.dirname(self._path(sha256(data))), exist_ok=True)
        with open(self._path(sha256(data)), "wb") as handle:
            handle.write(data)

    def _set_entry(self, entry, replace_name=None):
        index = self._index()
        index["manifests"] = [e for e in index["manifests"]
                              if not (replace_name and (e.get("annotations") or {}).get(REF_NAME) == replace_name)]
        index["manifests"].append(entry)
        with open(os.path.join(self.directory, "index.json"), "w") as handle:
            json.dump(index, handle)

    def put_manifest(self, reference, data, media_type):
        self.put_blob(data)
        if not reference.startswith("sha256:"):
            self._set_entry({"mediaType": media_type, "digest": sha256(data), "size": len(data),
                             "annotations": {REF_NAME: reference}}, replace_name=reference)

    def add_referrer(self, subject, descriptor):
        self._set_entry(descriptor)


def open_location(text):
    if text.startswith("oci:"):
        return Layout(text[4:])
    if text.startswith("http://"):
        return Registry(text)
    die("LOCATION is http://HOST:PORT/REPO or oci:DIR")


# --- verification -------------------------------------------------------------------------

def statement_names(statement, digest):
    hex_digest = digest.split(":")[1]
    return any((member(member(s, "digest"), "sha256") or "").lower() == hex_digest for s in member(statement, "subject") or [])


def check_envelope(envelope, public, digest, predicate_type):
    """(verified?, reason) for a DSSE envelope of an in-toto statement."""
    payload = b64decode(envelope["payload"])
    message = pae(envelope["payloadType"], payload)
    if not any(verifies(public, b64decode(s["sig"]), message) for s in envelope.get("signatures", [])):
        return False, "signature does not verify with the key"
    if envelope["payloadType"] != INTOTO:
        return False, "payload is not an in-toto statement"
    statement = json.loads(payload)
    if statement.get("predicateType") != predicate_type:
        return False, f"predicateType {statement.get('predicateType')}"
    if not statement_names(statement, digest):
        return False, "no subject names the digest"
    return True, statement


def verify(args):
    public = serialization.load_pem_public_key(open(args.key, "rb").read())
    location = open_location(args.location)
    digest = args.digest
    found, reasons = [], []
    wanted = args.attestation or SIGN_PREDICATE
    suffix = ".att" if args.attestation else ".sig"
    tag = "sha256-" + digest.split(":")[1] + suffix
    raw = location.manifest(tag)
    if raw:
        for layer in json.loads(raw).get("layers", []):
            blob = location.blob(layer["digest"])
            if blob is None or sha256(blob) != layer["digest"] or len(blob) != layer["size"]:
                reasons.append(f"{tag}: layer {layer['digest']} does not match its descriptor")
                continue
            if args.attestation:
                if layer["mediaType"] != DSSE:
                    continue
                ok, detail = check_envelope(json.loads(blob), public, digest, wanted)
            else:
                signature = (layer.get("annotations") or {}).get(SIG_ANNOTATION)
                if not signature:
                    continue
                if not verifies(public, b64decode(signature), blob):
                    ok, detail = False, "signature does not verify with the key"
                else:
                    critical = member(json.loads(blob), "critical")
                    claimed = member(member(critical, "image"), "docker-manifest-digest")
                    ok = member(critical, "type") == "cosign container image signature" and claimed == digest
                    detail = None if ok else f"payload names {claimed}"
            if ok:
                found.append({"format": "legacy", "where": "tag " + tag})
            else:
                reasons.append(f"{tag}: {detail}")
    for entry in location.referrers(digest):
        if entry.get("artifactType") not in (None, BUNDLE):
            continue
        manifest = json.loads(location.manifest(entry["digest"]) if isinstance(location, Registry) else location.blob(entry["digest"]))
        for layer in manifest.get("layers", []):
            if layer["mediaType"] != BUNDLE:
                continue
            blob = location.blob(layer["digest"])
            if blob is None or sha256(blob) != layer["digest"]:
                reasons.append(f"referrer {entry['digest']}: bundle does not match its digest")
                continue
            bundle = json.loads(blob)
            if "dsseEnvelope" not in bundle:
                continue
            ok, detail = check_envelope(bundle["dsseEnvelope"], public, digest, wanted)
            if ok:
                found.append({"format": "bundle", "where": "referrer " + entry["digest"]})
            else:
                reasons.append(f"referrer {entry['digest']}: {detail}")
    if not found:
        die("; ".join(reasons) or f"no signature of {digest}")
    for item in found:
        print(json.dumps(item))


# --- the test signer ----------------------------------------------------------------------

def go_json(value):
    return json.dumps(value, separators=(",", ":")).encode()


def legacy_image(location, tag, blob, media_type, annotations):
    """cosign's .sig/.att image: the existing manifest's layers, then the new one; the config
    lists every layer as a diff_id, as go-containerregistry's mutate.Append writes it."""
    existing = location.manifest(tag)
    layers = json.loads(existing)["layers"] if existing else []
    layers.append({"mediaType": media_type, "size": len(blob), "digest": sha256(blob), "annotations": annotations})
    zero = "0001-01-01T00:00:00Z"
    config = go_json({"architecture": "", "created": zero, "history": [{"created": zero} for _ in layers], "os": "",
                      "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]}, "config": {}})
    location.put_blob(blob)
    location.put_blob(config)
    manifest = go_json({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config), "digest": sha256(config)},
                        "layers": layers})
    location.put_manifest(tag, manifest, OCI_MANIFEST)


def bundle_referrer(location, bundle, predicate_type, subject):
    empty = b"{}"
    location.put_blob(empty)
    location.put_blob(bundle)
    annotations = {"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": predicate_type,
                   "org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
    manifest = go_json({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2, "digest": sha256(empty),
                                   "artifactType": BUNDLE},
                        "layers": [{"mediaType": BUNDLE, "size": len(bundle), "digest": sha256(bundle)}],
                        "annotations": annotations, "subject": subject, "artifactType": BUNDLE})
    location.put_manifest(sha256(manifest), manifest, OCI_MANIFEST)
    location.add_referrer(subject["digest"], {"mediaType": OCI_MANIFEST, "digest": sha256(manifest), "size": len(manifest),
                                              "artifactType": BUNDLE, "annotations": annotations})


def sign(args):
    key = load_private_key(args.key)
    location = open_location(args.location)
    digest, hex_digest = args.digest, args.digest.split(":")[1]
    if args.attestation:
        statement, predicate_type = open(args.statement, "rb").read(), args.attestation
    else:
        statement = go_json({"_type": "https://in-toto.io/Statement/v1", "subject": [{"digest": {"sha256": hex_digest}, "annotations": {}}],
                             "predicateType": SIGN_PREDICATE, "predicate": {}})
        predicate_type = SIGN_PREDICATE
    if args.format == "legacy" and not args.attestation:
        repository = getattr(location, "repo", "layout")
        payload = go_json({"critical": {"identity": {"docker-reference": repository}, "image": {"docker-manifest-digest": digest},
                                        "type": "cosign container image signature"}, "optional": None})
        signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
        legacy_image(location, f"sha256-{hex_digest}.sig", payload, SIMPLESIGNING, {SIG_ANNOTATION: signature})
        return
    signature = base64.b64encode(key.sign(pae(INTOTO, statement), ec.ECDSA(hashes.SHA256()))).decode()
    if args.format == "legacy":
        envelope = go_json({"payloadType": INTOTO, "payload": base64.b64encode(statement).decode(),
                            "signatures": [{"keyid": "", "sig": signature}]})
        legacy_image(location, f"sha256-{hex_digest}.att", envelope, DSSE, {SIG_ANNOTATION: "", "predicateType": predicate_type})
        return
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = go_json({"mediaType": BUNDLE, "verificationMaterial": {"publicKey": {"hint": base64.b64encode(hashlib.sha256(der).digest()).decode()}},
                      "dsseEnvelope": {"payload": base64.b64encode(statement).decode(), "payloadType": INTOTO, "signatures": [{"sig": signature}]}})
    subject = {"mediaType": args.subject_media_type, "size": args.subject_size, "digest": digest}
    bundle_referrer(location, bundle, predicate_type, subject)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    v = commands.add_parser("verify")
    v.add_argument("--key", required=True)
    v.add_argument("--digest", required=True)
    v.add_argument("--attestation")
    v.add_argument("location")
    d = commands.add_parser("decrypt-key")
    d.add_argument("key")
    g = commands.add_parser("generate-key-pair")
    g.add_argument("directory")
    s = commands.add_parser("sign")
    s.add_argument("--key", required=True)
    s.add_argument("--digest", required=True)
    s.add_argument("--format", choices=["legacy", "bundle"], required=True)
    s.add_argument("--attestation")
    s.add_argument("--statement")
    s.add_argument("--subject-media-type", default=OCI_MANIFEST)
    s.add_argument("--subject-size", type=int, default=0)
    s.add_argument("location")
    args = parser.parse_args()
    if args.command == "verify":
        verify(args)
    elif args.command == "decrypt-key":
        sys.stdout.write(public_pem(load_private_key(args.key)).decode())
    elif args.command == "generate-key-pair":
        generate_key_pair(args.directory)
    else:
        sign(args)


if __name__ == "__main__":
    main()
