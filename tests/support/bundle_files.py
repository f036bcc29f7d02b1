"""Bundle files as a tamperer or an older fieldsync makes them, for tests of both sides.

A bundle is a ZIP (server_plugin/protocol/bundle_format.py): `document_of` reads
its signed document, `rewritten` makes the same archive with the document or a
member replaced (a valid ZIP, CRCs right: only the signature and the hashes
can tell), and `old_format` writes a version 2 file (one gzip-compressed JSON
document) the way fieldsync wrote them before bundles carried files, with its
own code here so the test does not lean on the reader it checks.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DOCUMENT = "bundle.json"


def document_of(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read(DOCUMENT))


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewritten(
    data: bytes, *, document: dict | None = None, replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
) -> bytes:  # fmt: skip
    """The archive again, with its document and members replaced as given."""
    members = members_of(data)
    if document is not None:
        members[DOCUMENT] = json.dumps(document).encode()
    members.update(replace or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if name not in drop:
                archive.writestr(name, content)
    return out.getvalue()


def old_format(kind: str, *, signing_key: str, server: str, device: dict, payload: dict) -> bytes:
    """A version 2 bundle: gzip({"header", "payload", "signature"}), signed with Ed25519
    over the canonical JSON of header and payload, no files."""
    header = {
        "format": "fieldsync-bundle",
        "version": 2,
        "kind": kind,
        "server": server,
        "device": device["id"],
        "device_name": device.get("name", ""),
        "user": device.get("user", ""),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    canonical = json.dumps(
        {"header": header, "payload": payload},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    ).encode()  # fmt: skip
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(signing_key))
    signature = "ed25519:" + base64.b64encode(private.sign(canonical)).decode()
    document = {"header": header, "payload": payload, "signature": signature}
    return gzip.compress(json.dumps(document).encode(), mtime=0)
