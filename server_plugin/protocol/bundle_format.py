"""Bundles: sync data carried by hand, as one signed, gzip-compressed JSON file.

Plain Python (no Django), like wire.py: the central plugin and the client
both import it, so the two sides write and check the same bytes. A bundle is

    gzip({"header": {...}, "payload": {...}, "signature": "ed25519:<base64>"})

signed with Ed25519 over the canonical JSON of header and payload. Who signs
depends on the direction, and no signing key is ever in the central database:
a changes bundle (device -> site) by the device's own key pair, made at login,
whose private half stays in the device's keyring and whose public half the
site registered; a category or answers bundle (site -> device) by the site's
key, whose public half the device pinned at login. The header's `server` is
the site key's id (`key_id`) and is always checked. docs/bundles.md describes
the payloads.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import wire

FORMAT = "fieldsync-bundle"
VERSION = 2  # 1 was signed with HMAC keyed by the token hash, which the central database holds
CATEGORY = "category"  # server -> device: a category to work on offline (a checkout)
CHANGES = "changes"  # device -> server: the queued changes, frozen like a push
ANSWERS = "answers"  # server -> device: what became of the changes, and fresh records
KINDS = (CATEGORY, CHANGES, ANSWERS)

SUFFIX = ".fieldsync"
MEDIA_TYPE = "application/gzip"
_SIGNATURE_PREFIX = "ed25519:"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # decompressed: a gzip bomb stops here


class BundleError(ValueError):
    """A file refused: not a bundle, damaged, altered, or not for this side.

    The message is one sentence for a person (an editor or a chief editor).
    """


SIGNED_BY_DEVICE = (CHANGES,)  # the other kinds the site signs


# -- keys: Ed25519, written as base64 of their 32 raw bytes ------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _raw32(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("a key is a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("a key is a base64 string") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 key has 32 bytes, not {len(raw)}")
    return raw


def new_signing_key() -> str:
    """A fresh private key: a device makes one at each login and keeps it in its keyring."""
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


def signing_key_from_seed(seed: bytes) -> str:
    """The private key whose 32 secret bytes are `seed` (the site derives its own, HKDF)."""
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed has 32 bytes")
    return _b64(seed)


def public_key_of(signing_key: str) -> str:
    """The public half of a private key: what the other side checks signatures with."""
    private = Ed25519PrivateKey.from_private_bytes(_raw32(signing_key))
    return _b64(private.public_key().public_bytes_raw())


def parse_public_key(text: Any) -> str:
    """The public key in canonical form; ValueError unless it is base64 of 32 bytes."""
    return _b64(Ed25519PublicKey.from_public_bytes(_raw32(text)).public_bytes_raw())


def key_id(public_key: str) -> str:
    """A key's short public name (sha256 of its bytes, 20 hex digits): the `server` of a
    bundle is the id of the site's key, so a file names the site it belongs to."""
    return hashlib.sha256(_raw32(public_key)).hexdigest()[:20]


def _canonical(header: dict, payload: dict) -> bytes:
    return json.dumps(
        {"header": header, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _sign(signing_key: str, header: dict, payload: dict) -> str:
    private = Ed25519PrivateKey.from_private_bytes(_raw32(signing_key))
    return _SIGNATURE_PREFIX + _b64(private.sign(_canonical(header, payload)))


def _signature_holds(public_key: str, signature: str, header: dict, payload: dict) -> bool:
    if not signature.startswith(_SIGNATURE_PREFIX):
        return False
    try:
        raw = base64.b64decode(signature.removeprefix(_SIGNATURE_PREFIX), validate=True)
        Ed25519PublicKey.from_public_bytes(_raw32(public_key)).verify(
            raw, _canonical(header, payload)
        )
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def make(
    kind: str,
    *,
    signing_key: str,
    server: str,
    device: dict,
    payload: dict,
) -> bytes:
    """A signed bundle. `signing_key` is the device's private key for a changes bundle,
    the site's for the others; `server` the site key's id; `device` is {"id", "name",
    "user"}; `payload` plain JSON."""
    if kind not in KINDS:
        raise ValueError(f"unknown bundle kind {kind!r}")
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "server": server,
        "device": device["id"],
        "device_name": device.get("name", ""),
        "user": device.get("user", ""),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    signed = {
        "header": header,
        "payload": payload,
        "signature": _sign(signing_key, header, payload),
    }
    text = json.dumps(signed, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return gzip.compress(text.encode("utf-8"), mtime=0)


@dataclass
class Bundle:
    """A bundle as read from a file: its shape is checked, its signature not yet."""

    header: dict
    payload: dict
    signature: str

    @property
    def kind(self) -> str:
        return self.header["kind"]

    @property
    def device_id(self) -> Any:
        return self.header.get("device")

    @property
    def server(self) -> str:
        return self.header.get("server")

    def describe_device(self) -> str:
        """Whose it is, for messages: 'device 7 (editor1-laptop, editor1)'."""
        who = ", ".join(str(p) for p in (self.header.get("device_name"), self.header.get("user")))
        return f"device {self.device_id} ({who})" if who.strip(", ") else f"device {self.device_id}"

    @property
    def signer(self) -> str:
        """Whose key signs this kind, for messages."""
        return self.describe_device() if self.kind in SIGNED_BY_DEVICE else "the central site"

    def verify(self, public_key: str) -> None:
        """Raise BundleError unless the bundle was signed by `public_key`'s private half
        and not altered since."""
        if not _signature_holds(public_key, self.signature, self.header, self.payload):
            raise BundleError(
                "the bundle's signature does not match: the file was changed after it "
                f"was made, or it was not signed by {self.signer}"
            )


def read(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Bundle:
    """Parse a bundle file; raises BundleError saying what is wrong with it."""
    if not data.startswith(b"\x1f\x8b"):
        raise BundleError("this is not a fieldsync bundle (not a gzip-compressed file)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        text = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        raise BundleError(
            "the bundle is damaged (its compressed data does not check out): "
            "the file was changed or cut off"
        ) from None
    if len(text) > max_bytes:
        raise BundleError(f"the bundle is larger than {max_bytes} bytes once decompressed")
    if not inflater.eof:
        raise BundleError("the bundle is cut off (its compressed data ends too early)")
    try:  # within the protocol's bounds, like a request body: no NUL reaches a column
        document = wire.read_json(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BundleError("this is not a fieldsync bundle (its content is not JSON)") from None
    except wire.WireError as error:
        raise BundleError(f"the bundle holds what no site may store: {error}") from None
    header = document.get("header") if isinstance(document, dict) else None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleError("this is not a fieldsync bundle (no fieldsync-bundle header)")
    version = header.get("version")
    if version == 1:
        raise BundleError(
            "the bundle has format version 1, signed with a key the central database holds, "
            "which fieldsync no longer trusts: log in again on the office's computer and "
            "make the file again"
        )
    if version != VERSION:
        raise BundleError(
            f"the bundle has format version {version!r}; this fieldsync reads version {VERSION}"
        )
    if header.get("kind") not in KINDS:
        raise BundleError(f"the bundle is of an unknown kind {header.get('kind')!r}")
    device = header.get("device")
    if isinstance(device, bool) or not isinstance(device, int):
        raise BundleError("the bundle's header names no device")
    server = header.get("server")
    if not isinstance(server, str) or not server:
        raise BundleError("the bundle's header names no central site (server)")
    payload, signature = document.get("payload"), document.get("signature")
    if not isinstance(payload, dict) or not isinstance(signature, str):
        raise BundleError("the bundle has no payload or no signature")
    return Bundle(header, payload, signature)


def kind_name(kind: str) -> str:
    return {
        CATEGORY: "a category bundle",
        CHANGES: "a changes bundle",
        ANSWERS: "an answers bundle",
    }.get(kind, f"a {kind} bundle")
