"""File fields on the admin's review and history pages: a link to the content
(a thumbnail for an image), served by the admin to who may see it.

A file value is a reference (docs/files.md); its content may be a record's
file, a kept version's or an update's waiting for review (then perhaps only
an upload). The admin serves it to staff who may view the model and a
record, kept version or queued update of it that refers to the content:
Django's permissions, as everywhere in the admin.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .. import stored_files
from ..models import FileUpload, RecordVersion, ReviewItem, StoredFile
from ..protocol import files
from ..registry import get_registry
from .history import model_permission

# Shown in the page itself; anything else (HTML, SVG: script) is a download.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}
THUMBNAIL = "max-width: 160px; max-height: 120px; display: block; margin-top: 4px;"


def is_file(field) -> bool:
    return stored_files.is_file_field(field)


def same_file(a, b) -> bool:
    return files.ref_key(a) == files.ref_key(b)


def file_html(field, value) -> SafeString:
    """A file value as a link to its content, with a thumbnail for an image."""
    try:
        ref = files.read_ref(value)
    except files.FileRefError:
        return format_html("{}", str(value))
    if ref is None:
        return format_html("{}", "(no file)")
    url = reverse("admin:fieldsync_file", args=[ref.sha256])
    link = format_html(
        '<a href="{}" class="fs-file">{}</a> ({})', url, ref.base_name, files.size_text(ref.size)
    )
    if stored_files.is_image_field(field) and ref.content_type in INLINE_TYPES:
        return format_html(
            '{}<img src="{}" alt="{}" class="fs-thumb" style="{}">', link, url, ref.base_name,
            THUMBNAIL,
        )  # fmt: skip
    return link


def file_content(request, sha256: str):
    """The content, streamed, to staff who may see something that refers to it."""
    if not files.SHA256.fullmatch(sha256) or not may_see(request.user, sha256):
        raise Http404("No such file.")
    size, content_type = _described(sha256)
    try:
        stream = stored_files.open_readable(sha256)
    except stored_files.NeedsFiles:
        raise Http404("The site no longer holds this file.") from None
    response = FileResponse(stream, content_type=content_type)
    response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    if content_type not in INLINE_TYPES:
        response["Content-Disposition"] = "attachment"
    return response


def _described(sha256: str) -> tuple[int, str]:
    row = (
        StoredFile.objects.filter(sha256=sha256).first()
        or FileUpload.objects.filter(sha256=sha256).first()
    )
    if row is None:
        return 0, files.DEFAULT_CONTENT_TYPE
    return row.size, row.content_type


def may_see(user, sha256: str) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    history = user.has_perm("fieldsync.view_recordversion")
    reviews = user.has_perm("fieldsync.review_changes")
    stored = list(StoredFile.objects.filter(sha256=sha256).values_list("storage", "name"))
    for synced in get_registry().models.values():
        if not user.has_perm(model_permission(synced.model, "view")):
            continue
        content_type = ContentType.objects.get_for_model(synced.model)
        for field in synced.fields:
            if not is_file(field):
                continue
            identity = stored_files.storage_identity(field.storage)
            names = [name for storage, name in stored if storage == identity]
            rows = synced.model._default_manager
            if names and rows.filter(**{f"{field.name}__in": names}).exists():
                return True
            refers = {f"values__{field.name}__sha256": sha256}
            kept = RecordVersion.objects.filter(content_type=content_type, **refers)
            if history and kept.exists():
                return True
            based = {f"base_values__{field.name}__sha256": sha256}
            queued = ReviewItem.objects.filter(content_type=content_type)
            if reviews and (queued.filter(**refers).exists() or queued.filter(**based).exists()):
                return True
    return False
