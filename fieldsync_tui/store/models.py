"""The client's tables: records stored generically from the server's schema.

The client never has the central site's code, so a record is a model label,
a primary key, a category and a JSON object of field values, plus what it
was checked out at (base version and base values) — which is what lets the
server, and the client on a pull, tell which fields each side changed.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

DEFAULT_DOWNLOAD_LIMIT = 2 * 1024 * 1024  # bytes per file: photos, not videos, on a slow link


class Account(models.Model):
    """The central site this folder syncs with, and the state of the link.

    One row. The token is never here: it lives in the OS keyring.
    """

    server_url = models.URLField()
    username = models.CharField(max_length=150)
    device_name = models.CharField(max_length=100)
    schema = models.JSONField(default=dict)
    online = models.BooleanField(default=False)
    last_online_check = models.DateTimeField(null=True)
    last_sync_at = models.DateTimeField(null=True)
    reference_cursor = models.BigIntegerField(default=0)
    last_hlc = models.CharField(max_length=40, blank=True)  # this device's clock (hlc.py)
    # Who this folder is to the server, for signed bundle files (docs/bundles.md).
    device_id = models.BigIntegerField(null=True)
    server_id = models.CharField(max_length=64, blank=True)  # the id of site_key
    # The site's public key, pinned at login: category and answers bundles are
    # accepted only when it signed them. Blank: a login older than bundle keys.
    site_key = models.CharField(max_length=64, blank=True)
    # The editor insisted on plain http to a server that is not loopback (login
    # --insecure-http, the app's checkbox): later syncs do not ask again; status says so.
    insecure_http = models.BooleanField(default=False)
    # Bytes per file that a checkout or sync downloads by itself (`fieldsync config
    # download-limit`); bigger files come on demand (store/files.py).
    download_limit = models.BigIntegerField(default=DEFAULT_DOWNLOAD_LIMIT)


class Category(models.Model):
    key = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200)
    records = models.IntegerField(default=0)  # as the server counted them
    holders = models.JSONField(default=list)  # [{"user", "device", "since", ...}]
    checked_out = models.BooleanField(default=False)  # by this device
    cursor = models.BigIntegerField(default=0)  # position in the feed pulled so far
    last_pulled_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Record(models.Model):
    model = models.CharField(max_length=100)  # "news.article"
    object_pk = models.CharField(max_length=64)  # "tmp:<uuid>" until the server gives one
    category_key = models.CharField(max_length=64, null=True)  # None: reference data
    values = models.JSONField(default=dict)  # the record as the editor sees it now
    base_version = models.BigIntegerField(null=True)  # None: created here, not yet synced
    base_values = models.JSONField(default=dict)  # the server's values at base_version
    title = models.CharField(max_length=300, default="")  # display field, for lists
    deleted = models.BooleanField(default=False)  # deleted here, delete queued
    pending = models.BooleanField(default=False)  # has a queued change
    conflicted = models.BooleanField(default=False)  # has an unresolved conflict
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "object_pk"], name="store_record_pk")
        ]
        indexes = [
            models.Index(fields=["category_key", "title", "id"], name="store_listing"),
            models.Index(fields=["pending"], name="store_pending"),
            models.Index(fields=["conflicted"], name="store_conflicted"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.model} {self.object_pk}"


class PendingChange(models.Model):
    """One entry of the sync queue.

    While `payload` is empty the entry is open: further edits of the record
    fold into it, and its content is computed from the record when it is
    sent. The first send freezes the exact change into `payload`, so a retry
    sends the same bytes under the same id and the server can answer it from
    its receipt.
    """

    CREATE, UPDATE, DELETE = "create", "update", "delete"
    QUEUED, REJECTED, REVIEW = "queued", "rejected", "review"

    change_id = models.UUIDField(unique=True, default=uuid.uuid4)  # the id the server sees
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="changes")
    op = models.CharField(max_length=10)
    edit_kind = models.CharField(max_length=10, blank=True, default="")
    hlc = models.CharField(max_length=40, blank=True, default="")  # when the editor edited
    payload = models.JSONField(null=True)  # frozen on first send
    state = models.CharField(max_length=10, default=QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.IntegerField(default=0)  # the syncs that tried to send it (sync/tries.py)
    last_try_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True, default="")  # why the last try failed, in words
    errors = models.JSONField(default=dict)  # field errors from the server, when rejected

    class Meta:
        ordering = ["id"]  # the order the editor made the edits

    def __str__(self) -> str:
        return f"{self.op} {self.record}"


class Conflict(models.Model):
    """A change the server could not merge, kept until the editor decides."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="conflicts")
    change_id = models.UUIDField(null=True)  # the pushed change it answers, if any
    op = models.CharField(max_length=10)
    base_version = models.BigIntegerField(null=True)
    base_values = models.JSONField(default=dict)
    mine = models.JSONField(default=dict)  # every field as the editor left it
    theirs = models.JSONField(null=True)  # the server's values; None if deleted there
    theirs_version = models.BigIntegerField(null=True)
    fields = models.JSONField(default=dict)  # name -> {base, mine, theirs, suggestion}
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"conflict on {self.record}"
