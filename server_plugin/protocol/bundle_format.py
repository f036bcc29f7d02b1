"""Bundles: sync data carried by hand, as one signed, gzip-compressed JSON file.

Plain Python (no Django), like wire.py: the central plugin and the client
both import it, so the two sides write and check the same bytes. A bundle is

    gzip({"header": {...}, "payload": {...}, "signature": "hmac-sha256:<hex>"})

signed with HMAC-SHA256 over the canonical JSON of header and payload. The
key is the device's token hash (`device_key`): the server stores exactly
that, and the client computes it from the token in its keyring, so each side
can check what the other made for this device, and neither the token nor its
hash is ever written in a file. docs/bundles.md describes the payloads.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FORMAT = "fieldsync-bundle"
VERSION = 1
CATEGORY = "category"  # server -> device: a category to work on offline (a checkout)
CHANGES = "changes"  # device -> server: the queued changes, frozen like a push
ANSWERS = "answers"  # server -> device: what became of the changes, and fresh records
KINDS = (CATEGORY, CHANGES, ANSWERS)

SUFFIX = ".fieldsync"
MEDIA_TYPE = "application/gzip"
_SIGNATURE_PREFIX = "hmac-sha256:"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # decompressed: a gzip bomb stops here


class BundleError(ValueError):
    """A file refused: not a bundle, damaged, altered, or not for this side.

    The message is one sentence for a person (an editor or a chief editor).
    """


def device_key(token: str) -> str:
    """The signing key of a device's bundles: sha256 of its token, hex (the server's
    `Device.token_hash`)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _canonical(header: dict, payload: dict) -> bytes:
    return json.dumps(
        {"header": header, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _sign(key: str, header: dict, payload: dict) -> str:
    digest = hmac.new(bytes.fromhex(key), _canonical(header, payload), hashlib.sha256)
    return _SIGNATURE_PREFIX + digest.hexdigest()


def make(
    kind: str,
    *,
    key: str,
    server: str | None,
    device: dict,
    payload: dict,
) -> bytes:
    """A signed bundle. `device` is {"id", "name", "user"}; `payload` plain JSON."""
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
    signed = {"header": header, "payload": payload, "signature": _sign(key, header, payload)}
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
    def server(self) -> str | None:
        return self.header.get("server")

    def describe_device(self) -> str:
        """Whose it is, for messages: 'device 7 (editor1-laptop, editor1)'."""
        who = ", ".join(str(p) for p in (self.header.get("device_name"), self.header.get("user")))
        return f"device {self.device_id} ({who})" if who.strip(", ") else f"device {self.device_id}"

    def verify(self, key: str) -> None:
        """Raise BundleError unless the bundle was signed with `key`, unaltered."""
        expected = _sign(key, self.header, self.payload)
        if not hmac.compare_digest(expected, self.signature):
            raise BundleError(
                "the bundle's signature does not match: the file was changed after it "
                f"was made, or it was not made for {self.describe_device()}"
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
    try:
        document = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError("this is not a fieldsync bundle (its content is not JSON)") from None
    header = document.get("header") if isinstance(document, dict) else None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleError("this is not a fieldsync bundle (no fieldsync-bundle header)")
    version = header.get("version")
    if version != VERSION:
        raise BundleError(
            f"the bundle has format version {version!r}; this fieldsync reads version {VERSION}"
        )
    if header.get("kind") not in KINDS:
        raise BundleError(f"the bundle is of an unknown kind {header.get('kind')!r}")
    device = header.get("device")
    if isinstance(device, bool) or not isinstance(device, int):
        raise BundleError("the bundle's header names no device")
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
