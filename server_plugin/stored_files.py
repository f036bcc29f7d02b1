"""File content as the synced fields' storages hold it (docs/files.md).

- The feed's reference of a file field (`references`): name, size, sha256 and
  content type, read from `StoredFile`. A file the plugin has not seen (the
  admin's upload, the site's own code) is hashed once, streaming from its
  storage, and remembered.
- A pushed reference attached to a record (`attach`): the content is stored
  once per storage and hash, through the field's own storage
  (``field.storage.save``), where ``upload_to`` and ``get_available_name``
  place it; a second record with the same content gets the same name.
- Where verified content can be read from (`open_content`): a stored file,
  or an upload completed on this site (uploads.py).

Names in a storage are taken as never rewritten in place (Django's storages
never overwrite a name): a file replaced under the same name keeps its old
reference until `forget` is called for it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import BinaryIO

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.db import models

from .models import FileUpload, StoredFile
from .protocol import files

logger = logging.getLogger(__name__)

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_LOOKUP_CHUNK = 500
_IDENTITY_PARTS = ("bucket_name", "azure_container", "location")

# Files this unit of work stored, deleted again if it fails (see `removed_on_failure`).
_stored_here: ContextVar[list | None] = ContextVar("fieldsync_stored_here", default=None)


class NeedsFiles(Exception):
    """Content a change names that the site does not hold: the client uploads it first."""

    def __init__(self, digests: Iterable[str]):
        self.digests = sorted(set(digests))
        super().__init__(f"upload first: {', '.join(self.digests)}")


def storage_identity(storage) -> str:
    """What tells one storage from another: its class and where it keeps files
    (a folder, a bucket and prefix). Two fields on the same storage share content."""
    cls = storage.__class__  # a LazyObject (default_storage) answers its wrapped class
    parts = [f"{cls.__module__}.{cls.__qualname__}"]
    for attribute in _IDENTITY_PARTS:
        try:
            value = getattr(storage, attribute, None)
        except Exception:  # a storage computing it from settings it lacks
            value = None
        if value:
            parts.append(f"{attribute}={value}")
    identity = " ".join(parts)
    if len(identity) > 255:
        identity = identity[:190] + " sha256=" + hashlib.sha256(identity.encode()).hexdigest()
    return identity


def guess_content_type(name: str) -> str:
    guessed = (mimetypes.guess_type(name)[0] or "").lower()
    return guessed if files.CONTENT_TYPE.fullmatch(guessed) else files.DEFAULT_CONTENT_TYPE


def is_file_field(field: models.Field) -> bool:
    return isinstance(field, models.FileField)


def is_image_field(field: models.Field) -> bool:
    return isinstance(field, models.ImageField)


# -- references, for the feed -----------------------------------------------------------


def references(field: models.FileField, names: Iterable[str]) -> dict[str, files.FileRef]:
    """name -> the reference of that file in the field's storage, for many names
    in a query per 500. A name never seen is hashed from its storage and
    remembered; a name whose file is missing from the storage has none."""
    wanted = sorted({name for name in names if name})
    if not wanted:
        return {}
    storage = field.storage
    identity = storage_identity(storage)
    found: dict[str, files.FileRef] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        for row in StoredFile.objects.filter(storage=identity, name__in=chunk):
            found[row.name] = _ref_of(row)
    new = []
    for name in wanted:
        if name not in found:
            row = _hashed(storage, identity, name)
            if row is not None:
                new.append(row)
                found[name] = _ref_of(row)
    if new:
        StoredFile.objects.bulk_create(new, ignore_conflicts=True)
    return found


def reference(field: models.FileField, name: str) -> files.FileRef | None:
    return references(field, [name]).get(name) if name else None


def forget(field: models.FileField, name: str) -> None:
    """For a file the site rewrote in place under the same name: hash it again."""
    StoredFile.objects.filter(storage=storage_identity(field.storage), name=name).delete()


def _ref_of(row: StoredFile) -> files.FileRef:
    return files.FileRef(row.name, row.size, row.sha256, row.content_type)


def _hashed(storage, identity: str, name: str) -> StoredFile | None:
    try:
        with storage.open(name, "rb") as stream:
            digest, size = files.hash_stream(files.read_chunks(stream))
    except (OSError, SuspiciousFileOperation, ValueError) as error:
        logger.warning("fieldsync: the file %r is not in its storage (%s); it syncs as none",
                       name, error)  # fmt: skip
        return None
    return StoredFile(
        storage=identity,
        name=name,
        sha256=digest,
        size=size,
        content_type=guess_content_type(name),
    )


# -- what the site holds ----------------------------------------------------------------


def held_size(digest: str) -> int | None:
    """The size of a content the site holds and can read (stored in a synced
    field's storage, or uploaded whole), or None. A copy gone from its storage
    does not count: the client is then asked to upload it again."""
    from .uploads import open_upload  # uploads imports this module

    if digest == EMPTY_SHA256:
        return 0
    storages = synced_storages()
    for row in StoredFile.objects.filter(sha256=digest).order_by("pk"):
        storage = storages.get(row.storage)
        try:
            if storage is not None and storage.exists(row.name):
                return row.size
        except (OSError, SuspiciousFileOperation):
            continue
    for upload in FileUpload.objects.filter(sha256=digest, received=models.F("size")):
        stream = open_upload(upload)
        if stream is not None:
            stream.close()
            return upload.size
    return None


def synced_storages() -> dict[str, object]:
    """identity -> storage, of every synced file field: where stored content lives."""
    from .registry import get_registry

    found = {}
    for synced in get_registry().models.values():
        for field in synced.fields:
            if is_file_field(field):
                found.setdefault(storage_identity(field.storage), field.storage)
    return found


def open_readable(digest: str) -> BinaryIO:
    """The content with this sha256, open for reading from its start, wherever the
    site holds it (the caller closes it); NeedsFiles when nowhere, or when its
    copies cannot be read."""
    if digest == EMPTY_SHA256:
        return io.BytesIO(b"")
    stream = _first_readable(digest)
    if stream is None:
        raise NeedsFiles([digest])
    return stream


@contextmanager
def open_content(digest: str) -> Iterator[BinaryIO]:
    with open_readable(digest) as stream:
        yield stream


def _first_readable(digest: str):
    from .uploads import open_upload  # uploads imports this module

    storages = synced_storages()
    for row in StoredFile.objects.filter(sha256=digest).order_by("pk"):
        storage = storages.get(row.storage)
        if storage is None:
            continue
        try:
            return storage.open(row.name, "rb")
        except (OSError, SuspiciousFileOperation, ValueError):
            continue
    for upload in FileUpload.objects.filter(sha256=digest, received=models.F("size")):
        stream = open_upload(upload)
        if stream is not None:
            return stream
    return None


# -- attaching pushed content -----------------------------------------------------------


def attach(field: models.FileField, instance: models.Model, ref: files.FileRef, *,
           store: bool = True) -> None:  # fmt: skip
    """Set the field to the content `ref` names, stored in the field's storage.

    The record's own file, when it is that content already, stays as it is;
    else the storage's copy of that content is reused, or the content is saved
    there (``upload_to``, then ``get_available_name``, from the safe part of
    the ref's name). `store=False` only checks the site holds the content (a
    change queued for review). Raises NeedsFiles, or ValidationError for a
    file the field cannot take.
    """
    current = getattr(instance, field.attname)
    if current and current.name:
        own = reference(field, current.name)
        if own is not None and own.sha256 == ref.sha256:
            if store:
                _check_image(field, current.name)
            return
    identity = storage_identity(field.storage)
    existing = _stored_copy(field.storage, identity, ref.sha256)
    if existing is None:
        if not store:
            if held_size(ref.sha256) is None:
                raise NeedsFiles([ref.sha256])
            return
        existing = _store(field, instance, identity, ref)
    if store:
        _check_image(field, existing.name, existing)
    setattr(instance, field.attname, existing.name)


def _stored_copy(storage, identity: str, digest: str) -> StoredFile | None:
    """The storage's copy of a content, if it still has one."""
    for row in StoredFile.objects.filter(storage=identity, sha256=digest).order_by("pk"):
        try:
            if storage.exists(row.name):
                return row
        except (OSError, SuspiciousFileOperation):
            continue
    return None


def _store(field: models.FileField, instance, identity: str, ref: files.FileRef) -> StoredFile:
    own_name = files.safe_name(ref.name) or "file"
    try:
        name = field.generate_filename(instance, own_name)
    except SuspiciousFileOperation as error:
        raise ValidationError(f"the file name cannot be used: {error}") from None
    with open_content(ref.sha256) as source:
        reader = _CheckedReader(source)
        content = File(reader, name=own_name)
        content.size = ref.size
        try:
            saved = field.storage.save(name, content, max_length=field.max_length)
        except SuspiciousFileOperation as error:
            raise ValidationError(f"the file name cannot be used: {error}") from None
    _note_stored(field.storage, saved)
    if (reader.digest.hexdigest(), reader.size) != (ref.sha256, ref.size):
        field.storage.delete(saved)
        raise ValidationError(
            "the site's copy of this file does not have the content named; upload it again"
        )
    row = StoredFile.objects.create(
        storage=identity,
        name=saved,
        sha256=ref.sha256,
        size=ref.size,
        content_type=ref.content_type,
    )
    return row


class _CheckedReader(io.RawIOBase):
    """A source read once, hashed on the way (the copy is checked against the ref)."""

    def __init__(self, source: BinaryIO):
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size if size and size > 0 else files.CHUNK_BYTES)
        self.digest.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only to the start before reading (storages rewind what they are given)."""
        if (offset, whence) != (0, io.SEEK_SET) or self.size:
            raise io.UnsupportedOperation("the content is read once, from its start")
        return 0

    def seekable(self) -> bool:
        return False


def _check_image(field: models.FileField, name: str, row: StoredFile | None = None) -> None:
    """An ImageField's content must be an image Pillow opens: checked once per
    stored file, and remembered."""
    if not is_image_field(field):
        return
    identity = storage_identity(field.storage)
    if row is None:
        row = StoredFile.objects.filter(storage=identity, name=name).first()
    if row is not None and row.image is not None:
        ok = row.image
    else:
        ok = is_image(field.storage, name)
        if row is not None:
            StoredFile.objects.filter(pk=row.pk).update(image=ok)
    if not ok:
        raise ValidationError("the file is not an image (Pillow cannot open it)")


def is_image(storage, name: str) -> bool:
    from PIL import Image  # Django's ImageField needs Pillow too

    try:
        with storage.open(name, "rb") as stream, Image.open(stream) as image:
            image.verify()
    except Exception:  # Pillow raises many kinds for content that is not an image
        return False
    return True


# -- undoing what a failed change stored --------------------------------------------------


@contextmanager
def removed_on_failure() -> Iterator[None]:
    """Files stored inside the block are deleted again if it raises: a change
    rolled back leaves no file its database rows no longer name. Blocks nest:
    what an inner block kept is the enclosing one's to remove if it raises (a
    push batch rolled back whole after its changes stood)."""
    enclosing = _stored_here.get()
    token = _stored_here.set([])
    try:
        yield
    except BaseException:
        for storage, name in _stored_here.get() or []:
            try:
                storage.delete(name)
            except (OSError, SuspiciousFileOperation):
                logger.warning("fieldsync: could not remove %r after a refused change", name)
        raise
    else:
        if enclosing is not None:
            enclosing.extend(_stored_here.get() or [])
    finally:
        _stored_here.reset(token)


def _note_stored(storage, name: str) -> None:
    stored = _stored_here.get()
    if stored is not None:
        stored.append((storage, name))
