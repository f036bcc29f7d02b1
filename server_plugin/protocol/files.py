"""File references and the moving of file content, as both sides agree on them.

A FileField or ImageField travels in a record as a *reference* (`FileRef`:
name, size, sha256, content type) or as none (``""``, what Django stores for
no file). The content moves apart from the record, by hash, through the
plugin's file endpoints (docs/files.md): an upload is resumed at the offset
the server has received, a download at the first byte the client lacks (an
HTTP ``Range``). Both sides verify content by sha256 and keep one copy per
hash. Plain Python, no Django.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO

SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK_BYTES = 1024 * 1024  # what a client sends per upload request, and reads per step
MAX_CHUNK_BYTES = 8 * 1024 * 1024  # the most one upload request may carry
NAME_LENGTH = 100  # a file name's last part, as a client sends it (the storage adds folders)
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class FileRefError(ValueError):
    """A reference that is not one; the message names the part, for the editor."""


@dataclass(frozen=True)
class FileRef:
    """What a record holds of a file: enough to find, verify and show it."""

    name: str  # the storage's name (server), or the attached file's own name (client, new)
    size: int  # bytes
    sha256: str  # lowercase hex: the content's identity
    content_type: str = DEFAULT_CONTENT_TYPE

    def to_wire(self) -> dict:
        return asdict(self)

    @property
    def base_name(self) -> str:
        """The last part of the name: what an editor recognises."""
        return PurePosixPath(self.name).name or self.name


def read_ref(value: Any, *, max_size: int | None = None) -> FileRef | None:
    """A wire value -> its reference; None for no file ("" or null)."""
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise FileRefError('expected a file reference {name, size, sha256, content_type} or ""')
    unknown = set(value) - {"name", "size", "sha256", "content_type"}
    if unknown:
        raise FileRefError(f"unknown key {sorted(unknown)[0]!r} in a file reference")
    name, size, digest = value.get("name"), value.get("size"), value.get("sha256")
    content_type = value.get("content_type", DEFAULT_CONTENT_TYPE)
    if not isinstance(name, str) or not name or len(name) > 1000 or "\x00" in name:
        raise FileRefError("a file reference needs a name (text, at most 1000 characters)")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0 or size > 2**63 - 1:
        raise FileRefError("a file's size must be a whole number of bytes, from 0")
    if max_size is not None and size > max_size:
        raise FileRefError(
            f"the file is {size_text(size)}, over the limit of {size_text(max_size)}"
        )
    if not isinstance(digest, str) or not SHA256.fullmatch(digest):
        raise FileRefError("a file's sha256 must be 64 lowercase hexadecimal digits")
    if not isinstance(content_type, str) or not CONTENT_TYPE.fullmatch(content_type):
        raise FileRefError("a file's content type must be a media type such as image/jpeg")
    return FileRef(name, size, digest, content_type)


def ref_key(value: Any) -> Any:
    """What two file values compare by: the content (a renamed copy is the same file)."""
    try:
        ref = read_ref(value)
    except FileRefError:
        return ("unreadable", repr(value))
    return None if ref is None else ref.sha256


def safe_name(name: str) -> str:
    """A client's file name reduced to a harmless last part: no folders (either
    slash), no control or format characters, no leading dots, at most NAME_LENGTH
    characters with the extension kept. "" when nothing is left (the caller names
    the file itself). The storage's get_available_name does the rest."""
    text = unicodedata.normalize("NFC", str(name))
    text = PureWindowsPath(PurePosixPath(text.replace("\\", "/")).name).name
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if len(text) > NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        keep = extension[:10] if dot and stem else ""
        text = text[: NAME_LENGTH - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return text


def hash_stream(
    chunks: Iterable[bytes], progress: Callable[[int], None] | None = None
) -> tuple[str, int]:
    """(sha256 hex, size) of content read piece by piece, never whole."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return digest.hexdigest(), size


def read_chunks(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := stream.read(chunk_bytes):
        yield chunk


def range_start(header: str | None, size: int) -> int | None:
    """The first byte asked for by a ``Range: bytes=N-`` header (the one form a
    resuming client sends); None to send the whole content. A start at or past
    the end raises ValueError (416)."""
    if not header:
        return None
    found = re.fullmatch(r"\s*bytes=(\d{1,19})-\s*", header)
    if found is None:
        return None  # another form of Range: RFC 9110 lets a server send it all
    start = int(found.group(1))
    if start >= size and size > 0:
        raise ValueError(f"the range starts at byte {start}; the file has {size}")
    return start


def size_text(size: int) -> str:
    """Bytes in words an editor reads: "512 B", "300 KB", "4.2 MB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size} B"
