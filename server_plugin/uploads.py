"""Uploads of file content, chunk by chunk, resumable from any app server.

A device starts an upload by naming the content (sha256, size); each chunk
then arrives at the offset the site has received so far and is kept as an
object of the default storage (``fieldsync-uploads/<sha256>/<device>/<offset>-…``),
never in a process's memory or disk, so the next chunk may reach another
server. The last chunk completes it: the chunks are hashed in order,
streaming, and content that is not what was named is thrown away. A
completed upload is content the site holds (stored_files.held) until a push
stores it in a field's storage; it is then removed.
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from .models import Device, FileUpload, StoredFile
from .protocol import files
from .stored_files import EMPTY_SHA256, held_size

logger = logging.getLogger(__name__)

FOLDER = "fieldsync-uploads"


class UploadRefused(Exception):
    """A chunk the upload cannot take; `status` and `code` are the API's answer."""

    def __init__(self, status: int, code: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


@dataclass(frozen=True)
class UploadState:
    sha256: str
    size: int
    received: int
    mismatch: bool = False  # the last chunk completed content that was not the one named

    @property
    def complete(self) -> bool:
        return self.received == self.size

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "size": self.size, "received": self.received,
                "complete": self.complete}  # fmt: skip


def start(device: Device, ref: files.FileRef) -> UploadState:
    """Begin (or find again) this device's upload of a content. Content the site
    holds already is complete at once: no byte travels."""
    size = held_size(ref.sha256)
    if size is not None:
        return UploadState(ref.sha256, size, size)
    if ref.size == 0:  # only the empty content has no bytes, and it is held
        raise UploadRefused(
            400, "content_mismatch", "an empty file's sha256 is " + EMPTY_SHA256, received=0
        )
    with transaction.atomic():
        upload, made = FileUpload.objects.select_for_update().get_or_create(
            device=device,
            sha256=ref.sha256,
            defaults={"size": ref.size, "content_type": ref.content_type, "name": ref.name},
        )
        if not made and (upload.size != ref.size or upload.complete):
            # The same content cannot have two sizes, and a complete upload the site
            # cannot read (held_size said so: a chunk is gone) is of no use: start again.
            _empty(upload)
            upload.size = ref.size
        upload.content_type, upload.name = ref.content_type, ref.name
        upload.save()
    return _state(upload)


def state(device: Device, digest: str) -> UploadState | None:
    """How far this device's upload got; None when there is none (and the
    content is not held)."""
    upload = FileUpload.objects.filter(device=device, sha256=digest).first()
    if upload is not None:
        return _state(upload)
    size = held_size(digest)
    return None if size is None else UploadState(digest, size, size)


def receive(device: Device, digest: str, offset: int, body: BinaryIO,
            declared: int | None) -> UploadState:  # fmt: skip
    """Take one chunk at `offset` (what was received so far). The chunk that
    completes the upload is checked: the whole content is hashed, streaming.

    The body is read into the storage before the upload's row is locked (a
    slow link must not hold a database lock), then recorded if no other
    request took that offset meanwhile.
    """
    if declared is not None and declared > files.MAX_CHUNK_BYTES:
        raise UploadRefused(413, "too_large", f"a chunk may carry at most "
                            f"{files.MAX_CHUNK_BYTES} bytes; this one has {declared}")  # fmt: skip
    upload = FileUpload.objects.filter(device=device, sha256=digest).first()
    if upload is None:
        size = held_size(digest)
        if size is not None:
            return UploadState(digest, size, size)
        raise UploadRefused(404, "not_found", f"no upload of {digest} from this device; "
                            "start it with POST files/uploads")  # fmt: skip
    if upload.complete:
        return _state(upload)  # a repeated last chunk whose answer was lost
    _require_offset(upload, offset)
    room = upload.size - upload.received
    if declared is not None and declared > room:
        raise UploadRefused(400, "bad_request", f"the chunk has {declared} bytes, more than "
                            f"the {room} left of the file's {upload.size}")  # fmt: skip
    saved, count = _save_chunk(upload, body, min(room, files.MAX_CHUNK_BYTES))
    with transaction.atomic():
        upload = FileUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if upload is None or upload.received != offset:  # emptied, or taken meanwhile
            _delete_quietly([saved])
            if upload is None:
                raise UploadRefused(404, "not_found", "the upload was removed; start it again")
            if upload.complete:
                return _state(upload)
            _require_offset(upload, offset)
        upload.chunks = [*upload.chunks, [saved, count]]
        upload.received += count
        if upload.complete and _content_digest(upload) != (upload.sha256, upload.size):
            _empty(upload)  # kept emptied: the caller answers 400 content_mismatch
            upload.save()
            return UploadState(upload.sha256, upload.size, 0, mismatch=True)
        upload.save()
        return _state(upload)


def _require_offset(upload: FileUpload, offset: int) -> None:
    if offset != upload.received:
        raise UploadRefused(409, "wrong_offset", f"the upload has {upload.received} bytes; "
                            f"send the chunk at offset {upload.received}",
                            received=upload.received)  # fmt: skip


def _save_chunk(upload: FileUpload, body: BinaryIO, limit: int) -> tuple[str, int]:
    reader = _BoundedReader(body, limit)
    # A name of its own (two requests may carry the same offset at once).
    name = f"{FOLDER}/{upload.sha256}/{upload.device_id}/{upload.received:020d}-{uuid.uuid4().hex}"
    try:
        saved = default_storage.save(name, File(reader, name=name))
    except _TooMuch:
        _delete_quietly([name])  # what the storage wrote of it before the limit
        raise UploadRefused(
            413 if limit == files.MAX_CHUNK_BYTES else 400,
            "too_large" if limit == files.MAX_CHUNK_BYTES else "bad_request",
            f"the chunk carries more than the {limit} bytes it may",
        ) from None
    if reader.count == 0:
        _delete_quietly([saved])
        raise UploadRefused(400, "bad_request", "the chunk is empty: send the file's next bytes")
    return saved, reader.count


class _TooMuch(Exception):
    pass


class _BoundedReader(io.RawIOBase):
    """The request body, read as it arrives, refused past `limit` bytes."""

    def __init__(self, body: BinaryIO, limit: int):
        self.body, self.limit, self.count = body, limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = files.CHUNK_BYTES if size is None or size < 0 else size
        data = self.body.read(min(want, self.limit - self.count + 1))
        self.count += len(data)
        if self.count > self.limit:
            raise _TooMuch()
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _content_digest(upload: FileUpload) -> tuple[str, int]:
    stream = open_upload(upload)
    if stream is None:
        return "", -1
    with stream:
        return files.hash_stream(files.read_chunks(stream))


def open_upload(upload: FileUpload) -> BinaryIO | None:
    """The upload's content, read chunk after chunk; None if a chunk is gone."""
    try:
        for name, _size in upload.chunks:
            if not default_storage.exists(name):
                return None
    except (OSError, SuspiciousFileOperation):
        return None
    return io.BufferedReader(_ChunksReader([name for name, _size in upload.chunks]),
                             buffer_size=files.CHUNK_BYTES)  # fmt: skip


class _ChunksReader(io.RawIOBase):
    """Objects of the default storage read as one stream, one open at a time."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.current = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self.current is None:
                if not self.names:
                    return 0
                self.current = default_storage.open(self.names.pop(0), "rb")
            data = self.current.read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
        super().close()


def _state(upload: FileUpload) -> UploadState:
    return UploadState(upload.sha256, upload.size, upload.received)


def _empty(upload: FileUpload) -> None:
    """Throw the chunks away (and any a failed request left in its folder)."""
    names = [name for name, _size in upload.chunks]
    folder = f"{FOLDER}/{upload.sha256}/{upload.device_id}"
    try:
        names += [f"{folder}/{name}" for name in default_storage.listdir(folder)[1]]
    except (OSError, NotImplementedError, SuspiciousFileOperation):
        pass  # a storage that cannot list (NotImplementedError): the known chunks go
    _delete_quietly(names)
    upload.chunks, upload.received = [], 0


def discard_stored(digests) -> None:
    """Remove the uploads of contents now stored in a field's storage (a record
    holds them): every device's, complete or not, since none is needed."""
    stored = StoredFile.objects.filter(sha256__in=list(digests)).values_list("sha256", flat=True)
    for upload in FileUpload.objects.filter(sha256__in=list(set(stored))):
        _empty(upload)
        upload.delete()


def _delete_quietly(names) -> None:
    for name in set(names):
        try:
            default_storage.delete(name)
        except (OSError, SuspiciousFileOperation):
            logger.warning("fieldsync: could not remove the upload chunk %r", name)
