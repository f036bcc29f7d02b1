"""Bundles: sync data carried by hand, as one signed file that may carry file content.

Plain Python (no Django), like wire.py: the central plugin and the client
both import it, so the two sides write and check the same bytes. A bundle is
a ZIP archive holding

    bundle.json        {"header": {...}, "payload": {...}, "signature": "ed25519:<base64>"}
    files/<sha256>     the content of each file it carries (photos, documents)

The signature is Ed25519 over the canonical JSON of header and payload, and
the header lists every carried file's sha256 and size, so the signature
covers the files too: each member is hashed as it is streamed and refused
unless it is what the list names. A file is never held whole in memory on
either side (zipfile streams members in and out). Files of version 2 (one
gzip-compressed JSON document, no files) are still read.

Who signs depends on the direction, and no signing key is ever in the
central database: a changes bundle (device -> site) by the device's own key
pair, made at login, whose private half stays in the device's keyring and
whose public half the site registered; a category or answers bundle (site ->
device) by the site's key, whose public half the device pinned at login. The
header's `server` is the site key's id (`key_id`) and is always checked.
docs/bundles.md describes the payloads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import wire
from .files import CHUNK_BYTES, SHA256

FORMAT = "fieldsync-bundle"
VERSION = 3  # a ZIP: the signed document and the files it lists
OLD_VERSION = 2  # one gzip-compressed JSON document, no files: still read
# 1 was signed with HMAC keyed by the token hash, which the central database holds: refused
CATEGORY = "category"  # server -> device: a category to work on offline (a checkout)
CHANGES = "changes"  # device -> server: the queued changes, frozen like a push
ANSWERS = "answers"  # server -> device: what became of the changes, and fresh records
KINDS = (CATEGORY, CHANGES, ANSWERS)

SUFFIX = ".fieldsync"
MEDIA_TYPE = "application/zip"
OLD_MEDIA_TYPE = "application/gzip"  # what version 2 files were served as
DOCUMENT = "bundle.json"  # the member holding the signed document
FILES = "files/"  # the folder of carried content, one member per sha256
_SIGNATURE_PREFIX = "ed25519:"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # the document, decompressed: a zip or gzip bomb stops here
# Content carried per file in a category or answers bundle unless asked otherwise: the
# client's default download limit (photos, not videos); bigger files go as references.
DEFAULT_FILE_LIMIT = 2 * 1024 * 1024

_ZIP_MAGIC, _GZIP_MAGIC = b"PK\x03\x04", b"\x1f\x8b"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
               NotImplementedError, struct.error)  # fmt: skip
_STORED_TYPES = ("image/", "video/", "audio/", "application/zip", "application/gzip")
_MEMBER_TIME = (1980, 1, 1, 0, 0, 0)  # members carry no clock: the header says when


def write_atomically(path, write: Callable[[BinaryIO], Any]) -> Any:
    """`write(out)` into a ``.partial`` file beside `path`, synced, then renamed into
    place; returns what `write` returns. A crash or an error leaves nothing at `path`
    (a half-written bundle would only be refused later)."""
    from pathlib import Path

    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as out:
            written = write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return written


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


# -- writing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CarriedFile:
    """A content a bundle carries: listed (sha256, size) in the signed header, its bytes
    in the member ``files/<sha256>``, read from `open` (a fresh stream from its start)."""

    sha256: str
    size: int
    open: Callable[[], BinaryIO] = field(compare=False, repr=False)
    content_type: str = ""


def write(
    target: BinaryIO,
    kind: str,
    *,
    signing_key: str,
    server: str,
    device: dict,
    payload: dict,
    files: Iterable[CarriedFile] = (),
) -> None:
    """Write a signed bundle to `target` (a binary file open for writing; seekable is
    best). `signing_key` is the device's private key for a changes bundle, the site's
    for the others; `server` the site key's id; `device` is {"id", "name", "user"};
    `payload` plain JSON; `files` the contents to carry, streamed in one after another.
    BundleError when a content is not what it claims (nothing usable is written then:
    the caller drops `target`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown bundle kind {kind!r}")
    carried = _distinct(files)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "server": server,
        "device": device["id"],
        "device_name": device.get("name", ""),
        "user": device.get("user", ""),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": [{"sha256": item.sha256, "size": item.size} for item in carried],
    }
    signed = {
        "header": header,
        "payload": payload,
        "signature": _sign(signing_key, header, payload),
    }
    text = json.dumps(signed, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        archive.writestr(_member(DOCUMENT, zipfile.ZIP_DEFLATED), text.encode("utf-8"))
        for item in carried:
            _write_file(archive, item)


def make(kind: str, *, signing_key: str, server: str, device: dict, payload: dict,
         files: Iterable[CarriedFile] = ()) -> bytes:  # fmt: skip
    """A signed bundle as bytes (`write` into memory): for small bundles and tests."""
    out = io.BytesIO()
    write(out, kind, signing_key=signing_key, server=server, device=device, payload=payload,
          files=files)  # fmt: skip
    return out.getvalue()


def _distinct(files: Iterable[CarriedFile]) -> list[CarriedFile]:
    found: dict[str, CarriedFile] = {}
    for item in files:
        if not SHA256.fullmatch(item.sha256) or item.size < 0:
            raise ValueError(f"not a file to carry: {item.sha256!r} of {item.size} bytes")
        found.setdefault(item.sha256, item)
    return [found[sha] for sha in sorted(found)]


def _member(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_MEMBER_TIME)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def compression_for(content_type: str) -> int:
    """Photos, videos and archives are compressed already: stored as they are."""
    return zipfile.ZIP_STORED if content_type.startswith(_STORED_TYPES) else zipfile.ZIP_DEFLATED


def _write_file(archive: zipfile.ZipFile, item: CarriedFile) -> None:
    """Stream one content into the archive, hashed on the way: what goes out is what
    the signed list says, or nothing usable goes out."""
    digest, size = hashlib.sha256(), 0
    info = _member(FILES + item.sha256, compression_for(item.content_type))
    big = item.size >= zipfile.ZIP64_LIMIT // 2
    with item.open() as source, archive.open(info, "w", force_zip64=big) as member:
        while chunk := source.read(CHUNK_BYTES):
            size += len(chunk)
            if size > item.size:
                break
            digest.update(chunk)
            member.write(chunk)
    if (digest.hexdigest(), size) != (item.sha256, item.size):
        raise BundleError(
            f"the content of file {item.sha256[:12]}… is not what its reference says "
            f"({item.size} bytes, sha256 {item.sha256}): it changed where it is kept"
        )


# -- reading ----------------------------------------------------------------------------


@dataclass
class Bundle:
    """A bundle as read from a file: its shape is checked, its signature and its
    files' content not yet (`verify`, then `check_files`). Close it when done (it
    keeps the archive open to stream the files from)."""

    header: dict
    payload: dict
    signature: str
    archive: zipfile.ZipFile | None = field(default=None, repr=False)
    _owned: BinaryIO | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return self.header["kind"]

    @property
    def device_id(self) -> Any:
        return self.header.get("device")

    @property
    def server(self) -> str:
        return self.header.get("server")

    @property
    def files(self) -> dict[str, int]:
        """sha256 -> size of every content the bundle carries (the signed list)."""
        return {item["sha256"]: item["size"] for item in self.header.get("files") or []}

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
        and not altered since (header, payload and the list of files)."""
        if not _signature_holds(public_key, self.signature, self.header, self.payload):
            raise BundleError(
                "the bundle's signature does not match: the file was changed after it "
                f"was made, or it was not signed by {self.signer}"
            )

    def open_file(self, sha256: str) -> BinaryIO:
        """The carried content of `sha256`, streamed from the archive (check_files has
        said whether it is the right one)."""
        if sha256 not in self.files or self.archive is None:
            raise KeyError(sha256)
        return self.archive.open(FILES + sha256)

    def check_files(self) -> None:
        """Hash every carried content, streaming; BundleError naming the first that is
        not what the signed list names. Call it after `verify`, before using any."""
        for sha256, size in self.files.items():
            digest, count = hashlib.sha256(), 0
            try:
                with self.open_file(sha256) as member:
                    while chunk := member.read(CHUNK_BYTES):
                        digest.update(chunk)
                        count += len(chunk)
            except _ZIP_ERRORS:
                raise BundleError(
                    f"the bundle's file {sha256[:12]}… is damaged (its data does not check "
                    "out): the file was changed or cut off"
                ) from None
            if (digest.hexdigest(), count) != (sha256, size):
                raise BundleError(
                    f"the bundle's file {sha256[:12]}… is not the content its signed list "
                    "names: the file was changed after it was made"
                )

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


Source = bytes | str | os.PathLike | BinaryIO


def read(source: Source, max_bytes: int = DEFAULT_MAX_BYTES) -> Bundle:
    """Open a bundle (bytes, a path, or a seekable binary file) and check its shape;
    raises BundleError saying what is wrong with it (OSError when a path cannot be
    read). `max_bytes` bounds the document; each file is bounded by its listed size."""
    if isinstance(source, bytes | bytearray):
        stream, owned = io.BytesIO(source), None
    elif isinstance(source, str | os.PathLike):
        stream = owned = open(source, "rb")  # noqa: SIM115 (the bundle closes it)
    else:
        stream, owned = source, None
    try:
        start = stream.read(4)
        stream.seek(0)
        if start.startswith(_ZIP_MAGIC):
            bundle = _read_zip(stream, max_bytes)
        elif start.startswith(_GZIP_MAGIC):
            bundle = _read_gzip(stream, max_bytes)
        else:
            raise BundleError("this is not a fieldsync bundle (neither a zip nor a gzip file)")
    except BaseException:
        if owned is not None:
            owned.close()
        raise
    bundle._owned = owned
    return bundle


def _read_zip(stream: BinaryIO, max_bytes: int) -> Bundle:
    damaged = BundleError(
        "the bundle is damaged or cut off (its zip structure does not check out): "
        "the file was changed or cut off"
    )
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except _ZIP_ERRORS:
        raise damaged from None
    try:
        names = [member.filename for member in members]
        if len(set(names)) != len(names):
            raise BundleError("the bundle is damaged (a member appears twice in it)")
        if DOCUMENT not in names:
            raise BundleError(f"this is not a fieldsync bundle (it holds no {DOCUMENT})")
        try:
            with archive.open(DOCUMENT) as document:
                text = document.read(max_bytes + 1)
        except _ZIP_ERRORS:
            raise damaged from None
        if len(text) > max_bytes:
            raise BundleError(f"the bundle is larger than {max_bytes} bytes once decompressed")
        bundle = _parse(text)
        _check_members(bundle.files, [m for m in members if m.filename != DOCUMENT])
    except BaseException:
        archive.close()
        raise
    bundle.archive = archive
    return bundle


def _check_members(listed: dict[str, int], members: list[zipfile.ZipInfo]) -> None:
    """The archive holds exactly the files the header lists, each of the listed size."""
    held = {}
    for member in members:
        sha256 = member.filename.removeprefix(FILES)
        if not member.filename.startswith(FILES) or sha256 not in listed:
            raise BundleError(
                f"the bundle holds {member.filename!r}, which its list of files does not "
                "name: the file was changed after it was made"
            )
        held[sha256] = member.file_size
    for sha256, size in listed.items():
        if sha256 not in held:
            raise BundleError(
                f"the bundle lists the file {sha256[:12]}… but does not carry it: the file "
                "was changed or cut down after it was made"
            )
        if held[sha256] != size:
            raise BundleError(
                f"the bundle's file {sha256[:12]}… does not have the {size} bytes its list "
                "gives: the file was changed after it was made"
            )


def _read_gzip(stream: BinaryIO, max_bytes: int) -> Bundle:
    """A version 2 file: one gzip-compressed document, no files."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BundleError(f"the bundle is larger than {max_bytes} bytes")
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
    bundle = _parse(text)
    _check_members(bundle.files, [])
    return bundle


def _parse(text: bytes) -> Bundle:
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
    if version not in (OLD_VERSION, VERSION):
        raise BundleError(
            f"the bundle has format version {version!r}; this fieldsync reads versions "
            f"{OLD_VERSION} and {VERSION}"
        )
    if header.get("kind") not in KINDS:
        raise BundleError(f"the bundle is of an unknown kind {header.get('kind')!r}")
    device = header.get("device")
    if isinstance(device, bool) or not isinstance(device, int):
        raise BundleError("the bundle's header names no device")
    server = header.get("server")
    if not isinstance(server, str) or not server:
        raise BundleError("the bundle's header names no central site (server)")
    _check_listing(header.get("files", []))
    payload, signature = document.get("payload"), document.get("signature")
    if not isinstance(payload, dict) or not isinstance(signature, str):
        raise BundleError("the bundle has no payload or no signature")
    return Bundle(header, payload, signature)


def _check_listing(listing: Any) -> None:
    """The header's list of files: [{"sha256", "size"}], each content once."""
    problem = "the bundle's list of files is not a list of {sha256, size}"
    if not isinstance(listing, list):
        raise BundleError(problem)
    seen = set()
    for item in listing:
        if not isinstance(item, dict) or set(item) != {"sha256", "size"}:
            raise BundleError(problem)
        sha256, size = item["sha256"], item["size"]
        if not isinstance(sha256, str) or not SHA256.fullmatch(sha256) or sha256 in seen:
            raise BundleError(problem)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size < 2**63:
            raise BundleError(problem)
        seen.add(sha256)


def kind_name(kind: str) -> str:
    return {
        CATEGORY: "a category bundle",
        CHANGES: "a changes bundle",
        ANSWERS: "an answers bundle",
    }.get(kind, f"a {kind} bundle")
