"""File content in the data folder, one copy per sha256, and the references records hold.

A file field's value in a record is its wire reference (protocol/files.py:
name, size, sha256, content type) or ``""``; the content lives apart, in
``<data folder>/files/<sha256>``. Content is written to a ``.part`` file and
renamed into place only once its hash is checked, so a file under its hash
is always whole and right; a cut download keeps its ``.part`` and resumes
from its size. An editor's file is copied in when attached, so later changes
to the original do not change the edit, and it is checked offline first:
the site's size limit, and for an ImageField that Pillow can open it (when
Pillow is installed; the server checks either way).

This is the API the CLI and the app build on; moving content to and from the
server is the sync layer's (sync/file_transfer.py).
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from server_plugin.protocol import files as wire_files
from server_plugin.protocol.files import CHUNK_BYTES, FileRef, FileRefError, size_text

from .edits import EditError
from .models import DEFAULT_DOWNLOAD_LIMIT, Account, Conflict, PendingChange, Record
from .schema import FieldSchema, ModelSchema, Schema

FOLDER_NAME = "files"
PART_SUFFIX = ".part"
RECENT_SECONDS = 600  # content this fresh may belong to an edit not saved yet: prune keeps it


class AttachError(EditError):
    """A file refused before anything was copied or queued; the message names it."""


class ContentMismatch(ValueError):
    """Content that arrived is not what its reference says (its .part was dropped)."""


@dataclass(frozen=True)
class FileInfo:
    """A file value as an editor sees it: what it is, and whether its content is here."""

    name: str  # the reference's name (the storage's, once synced)
    base_name: str  # its last part: what an editor recognises
    size: int
    size_text: str  # "340 KB"
    content_type: str
    sha256: str
    here: bool  # the content is in this folder
    path: Path | None  # where, when here (read it, never write it: it is shared by hash)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "here": self.here,
            "path": str(self.path) if self.path else None,
        }

    def summary(self) -> str:
        """'harbour.jpg (340 KB, here)' or '… not here'."""
        where = "here" if self.here else "not here"
        return f"{self.base_name} ({self.size_text}, {where})"


# -- where content lives ------------------------------------------------------------


def folder() -> Path:
    """The content folder of the store this process opened (beside store.sqlite3)."""
    return Path(settings.DATABASES["default"]["NAME"]).parent / FOLDER_NAME


def ref_of(value: Any) -> FileRef | None:
    """A file value (a reference dict, a FileRef, "" or None) -> its reference, or None
    for no file or a value that is not a reference."""
    if isinstance(value, FileRef):
        return value
    try:
        return wire_files.read_ref(value)
    except FileRefError:
        return None


def _stored(sha256: str) -> Path:
    if not wire_files.SHA256.fullmatch(sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return folder() / sha256


def content_path(value: Any) -> Path | None:
    """Where the content of a file value is in this folder, or None when it is not here."""
    ref = ref_of(value)
    if ref is None:
        return None
    path = _stored(ref.sha256)
    return path if path.is_file() else None


def has_content(value: Any) -> bool:
    return content_path(value) is not None


def partial_path(sha256: str) -> Path:
    """Where a download of this content is written until it is whole and checked."""
    return _stored(sha256).with_name(sha256 + PART_SUFFIX)


def describe(value: Any) -> FileInfo | None:
    """A file value for display (the CLI's show, the app's form); None for no file."""
    ref = ref_of(value)
    if ref is None:
        return None
    path = content_path(ref)
    return FileInfo(
        name=ref.name,
        base_name=ref.base_name,
        size=ref.size,
        size_text=size_text(ref.size),
        content_type=ref.content_type,
        sha256=ref.sha256,
        here=path is not None,
        path=path,
    )


# -- which fields hold files ---------------------------------------------------------


def is_file_field(field: FieldSchema) -> bool:
    return field.ftype.kind == "file"


def is_image_field(field: FieldSchema) -> bool:
    return (field.field_class or field.type) == "ImageField"


def file_fields(model: ModelSchema) -> list[FieldSchema]:
    return [f for f in model.fields if is_file_field(f)]


def refs_in(model: ModelSchema, values: dict) -> dict[str, FileRef]:
    """field name -> reference, for each file field of `values` that holds a file."""
    found = {}
    for field in file_fields(model):
        ref = ref_of(values.get(field.name))
        if ref is not None:
            found[field.name] = ref
    return found


# -- attaching a file of this computer -----------------------------------------------


def attach(schema: Schema, model_name: str, field_name: str, path: str | Path) -> dict:
    """Copy a file of this computer into the folder for `field_name`; returns the
    reference to put in the record (``edits.update_record`` / ``create_record``).

    Checked before anything is copied: it is a readable file, within the site's
    limit (``limits.max_file_bytes``), and for an ImageField an image Pillow
    opens (when Pillow is installed). Raises AttachError, one line naming the
    field and the file. Attaching content already here copies nothing.
    """
    model = schema.get(model_name)
    field = model.field(field_name)
    if not is_file_field(field):
        raise AttachError(f"{field.name}: not a file field (it is a {field.type})")
    source = Path(path).expanduser()
    try:
        size = source.stat().st_size
        if not source.is_file():
            raise AttachError(f"{field.name}: {source} is not a file")
    except OSError as error:
        raise AttachError(f"{field.name}: cannot read {source}: {error.strerror}") from None
    limit = schema.max_file_bytes
    if size > limit:
        raise AttachError(_over_limit(field, source, size, limit))
    if is_image_field(field):
        _check_image(field, source)
    sha256, copied = _copy_in(field, source, limit)
    return FileRef(source.name, copied, sha256, content_type_of(source.name)).to_wire()


def _over_limit(field: FieldSchema, source: Path, size: int, limit: int) -> str:
    return (
        f"{field.name}: {source.name} is {size_text(size)} ({size:,} bytes), "
        f"over the site's limit of {size_text(limit)} ({limit:,} bytes) per file"
    )


def content_type_of(name: str) -> str:
    """The media type a file's name suggests, as the wire takes it."""
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    guessed = (guessed or "").lower()
    if wire_files.CONTENT_TYPE.fullmatch(guessed):
        return guessed
    return wire_files.DEFAULT_CONTENT_TYPE


def _check_image(field: FieldSchema, source: Path) -> None:
    """Pillow's word on an ImageField's file, offline; the server's check otherwise."""
    try:
        from PIL import Image
    except ImportError:
        return
    try:
        with Image.open(source) as image:
            image.verify()
    except Exception:
        raise AttachError(
            f"{field.name}: {source.name} is not an image (Pillow cannot read it); "
            "attach a valid image"
        ) from None


def _copy_in(field: FieldSchema, source: Path, limit: int) -> tuple[str, int]:
    """Stream `source` into the folder under its hash; (sha256, size)."""
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"attach-{uuid.uuid4().hex}{PART_SUFFIX}"
    try:
        with open(source, "rb") as reading, open(partial, "wb") as writing:

            def copied_chunks():
                size = 0
                for chunk in wire_files.read_chunks(reading):
                    size += len(chunk)
                    if size > limit:  # it grew while being read
                        raise AttachError(_over_limit(field, source, size, limit))
                    writing.write(chunk)
                    yield chunk

            sha256, size = wire_files.hash_stream(copied_chunks())
            writing.flush()
            os.fsync(writing.fileno())
        _put_in_place(partial, sha256)
        return sha256, size
    except OSError as error:
        raise AttachError(f"{field.name}: cannot copy {source}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


def _put_in_place(partial: Path, sha256: str) -> Path:
    """Rename checked content to its hash; content already here stays (one copy)."""
    final = _stored(sha256)
    if final.is_file():
        partial.unlink(missing_ok=True)
    else:
        os.replace(partial, final)
    return final


# -- content that came from the server ------------------------------------------------


def accept_partial(ref: FileRef) -> Path:
    """The downloaded ``.part`` of `ref`, checked by size and sha256 and renamed into
    place; returns where the content is. A mismatch drops the .part (ContentMismatch):
    the next try starts over."""
    partial = partial_path(ref.sha256)
    with open(partial, "rb") as reading:
        sha256, size = wire_files.hash_stream(wire_files.read_chunks(reading))
    if (sha256, size) != (ref.sha256, ref.size):
        partial.unlink(missing_ok=True)
        raise ContentMismatch(
            f"the content of {ref.base_name} that arrived is not the file the record names "
            f"({size_text(size)}, sha256 {sha256[:12]}…); it was dropped, try again"
        )
    return _put_in_place(partial, sha256)


def received_bytes(sha256: str) -> int:
    """How much of a cut download is here already (where to resume)."""
    partial = partial_path(sha256)
    return partial.stat().st_size if partial.is_file() else 0


def missing(
    schema: Schema, *, category_key: str | None = None, max_size: int | None = None
) -> list[FileRef]:
    """The files this folder's records refer to whose content is not here, one per
    sha256, smallest first: all of them, or one category's, or those of at most
    `max_size` bytes (what a checkout fetches by itself)."""
    fields = {
        model.label: [f.name for f in file_fields(model)]
        for model in schema.models.values()
        if file_fields(model)
    }
    if not fields:
        return []
    rows = Record.objects.filter(model__in=list(fields), deleted=False)
    if category_key is not None:
        rows = rows.filter(category_key=category_key)
    found: dict[str, FileRef] = {}
    for label, values in rows.values_list("model", "values").iterator(chunk_size=2000):
        for name in fields[label]:
            ref = ref_of(values.get(name))
            if ref is None or ref.sha256 in found:
                continue
            if max_size is not None and ref.size > max_size:
                continue
            if not has_content(ref):
                found[ref.sha256] = ref
    return sorted(found.values(), key=lambda ref: (ref.size, ref.sha256))


def save_copy(value: Any, destination: str | Path) -> Path:
    """Write the content of a file value to `destination` (a folder: the file's own
    name in it); returns the path written. The content must be here (the sync
    layer's fetch brings it)."""
    ref = ref_of(value)
    if ref is None:
        raise EditError("there is no file to save")
    source = content_path(ref)
    if source is None:
        raise EditError(f"the content of {ref.base_name} is not here yet")
    target = Path(destination).expanduser()
    if target.is_dir():
        target = target / (wire_files.safe_name(ref.base_name) or ref.sha256)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}{PART_SUFFIX}")
    try:
        with open(source, "rb") as reading, open(partial, "wb") as writing:
            shutil.copyfileobj(reading, writing, CHUNK_BYTES)
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise EditError(f"cannot write {target}: {error.strerror}") from None
    return target


def referenced(schema: Schema) -> set[str]:
    """Every sha256 the store refers to: records (as edited and as the server has
    them), changes sent or waiting, open conflicts (both sides)."""
    fields = {m.label: [f.name for f in file_fields(m)] for m in schema.models.values()}
    fields = {label: names for label, names in fields.items() if names}
    found: set[str] = set()

    def take(label: str, *value_sets) -> None:
        for values in value_sets:
            for name in fields[label]:
                ref = ref_of((values or {}).get(name))
                if ref is not None:
                    found.add(ref.sha256)

    labels = list(fields)
    rows = Record.objects.filter(model__in=labels).values_list("model", "values", "base_values")
    for label, values, base in rows.iterator(chunk_size=2000):
        take(label, values, base)
    sent = PendingChange.objects.filter(record__model__in=labels, payload__isnull=False)
    for label, payload in sent.values_list("record__model", "payload"):
        take(label, payload.get("values"), payload.get("base_values"))
    open_ones = Conflict.objects.filter(record__model__in=labels, resolved_at__isnull=True)
    for label, mine, theirs in open_ones.values_list("record__model", "mine", "theirs"):
        take(label, mine, theirs)
    return found


def prune(schema: Schema, only: list[Any] | None = None) -> list[str]:
    """Remove content nothing in the store refers to any more (records checked in or
    removed, an edit refused after its file was attached): every such file, or only
    those of the file values in `only`. Returns the hashes removed. Content attached
    in the last minutes is kept when pruning everything: an edit may be on its way."""
    keep = referenced(schema)
    if only is not None:
        candidates = {ref.sha256 for ref in map(ref_of, only) if ref is not None}
    else:
        recent = time.time() - RECENT_SECONDS
        candidates = {
            path.name.removesuffix(PART_SUFFIX)
            for path in (folder().iterdir() if folder().is_dir() else ())
            if wire_files.SHA256.fullmatch(path.name.removesuffix(PART_SUFFIX))
            and path.stat().st_mtime < recent
        }
    removed = []
    for sha in sorted(candidates - keep):
        for path in (_stored(sha), partial_path(sha)):
            if path.is_file():
                path.unlink()
                removed.append(sha)
    return sorted(set(removed))


# -- the editor's download limit -------------------------------------------------------


def download_limit() -> int:
    """Bytes per file a checkout or sync fetches by itself; bigger ones come on demand."""
    found = Account.objects.values_list("download_limit", flat=True).first()
    return DEFAULT_DOWNLOAD_LIMIT if found is None else found


def set_download_limit(size: int) -> int:
    if size < 0:
        raise EditError("the download limit is a size from 0 (0: nothing by itself)")
    if not Account.objects.update(download_limit=size):
        raise EditError("not logged in: run `fieldsync login URL --username NAME`")
    return size


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*", re.I)
_SCALE = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """'5MB', '300 KB', '2.5M', '1234' (bytes) -> bytes; as size_text writes them
    (1 KB = 1024 bytes)."""
    found = _SIZE.fullmatch(str(text))
    if found is None:
        raise EditError(f"not a size: {text!r} (write it as 5MB, 300KB or 0)")
    number, unit = found.groups()
    return int(float(number) * _SCALE[(unit or "").lower()[:1]])
