"""The plugin's own tables. None of them touches a model of the host site.

- `TrackedRow`, the side table: per synced row and feed, its version, a
  tombstone flag and its position in the feed.
- `FeedCounter`: the last position handed out per feed. Its row is locked
  until the writing transaction commits, which is what keeps feeds gap-free
  (see tracking.py).
- `Device`, `CategoryGrant`, `Checkout`: who may sync what, from where.
- `ChangeReceipt`: the recorded answer to every pushed change, so a retried
  push applies nothing twice.
- `StoredFile`, `FileUpload`: file content by hash, as the sites' storages hold
  it and as devices upload it (docs/files.md).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .conf import setting


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is a safe one-way store."""
    return hashlib.sha256(token.encode()).hexdigest()


class TrackedRow(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_pk = models.CharField(max_length=64)
    # The feed this entry belongs to: str(category pk), or "" for reference data.
    category_key = models.CharField(max_length=64)
    version = models.PositiveBigIntegerField()
    # True once the row was deleted, or moved out of this category.
    deleted = models.BooleanField(default=False)
    position = models.BigIntegerField()
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_device = models.ForeignKey(
        "Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What decides the `last-writer` and `major-minor` policies: the winning
    # write's hybrid logical clock stamp and its kind ("major" for central edits).
    hlc = models.CharField(max_length=40, blank=True)
    edit_kind = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = "tracked row"
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_pk", "category_key"], name="fieldsync_row_per_feed"
            ),
            models.UniqueConstraint(
                fields=["category_key", "position"], name="fieldsync_feed_position"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_pk"], name="fieldsync_row")]

    def __str__(self) -> str:
        state = "deleted" if self.deleted else f"v{self.version}"
        return f"{self.content_type.model} {self.object_pk} ({state}, #{self.position})"


class FeedCounter(models.Model):
    category_key = models.CharField(max_length=64, primary_key=True)
    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed {self.category_key or '(reference)'} at {self.last_position}"


class Device(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fieldsync_devices"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The Ed25519 public key the device registered at login (base64): its changes
    # bundles are checked with it. Its private half never leaves the device; blank
    # for devices that logged in before bundles were signed this way.
    public_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["user__username", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def expires_at(self) -> datetime:
        """When its token stops working: TOKEN_IDLE_SECONDS after its last use (or
        login), and never later than TOKEN_MAX_AGE_SECONDS after login. Computed
        from the settings, so a change to them applies to every device at once."""
        used = self.last_seen_at or self.created_at
        return min(
            used + timedelta(seconds=setting("TOKEN_IDLE_SECONDS")),
            self.created_at + timedelta(seconds=setting("TOKEN_MAX_AGE_SECONDS")),
        )

    def expired_because(self, now: datetime) -> str | None:
        """Why its token no longer works at `now`, in words, or None while it does."""
        if now < self.expires_at:
            return None
        max_age = setting("TOKEN_MAX_AGE_SECONDS")
        if now >= self.created_at + timedelta(seconds=max_age):
            return f"it is older than {_days(max_age)}"
        return f"it was not used for {_days(setting('TOKEN_IDLE_SECONDS'))}"


def _days(seconds: int) -> str:
    days = seconds / (24 * 3600)
    if days >= 1 and days == int(days):
        return f"{int(days)} day{'s' if days != 1 else ''}"
    return f"{seconds} seconds"


class CategoryGrant(models.Model):
    """Lets a user, or every member of a group, see and edit one category."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="fieldsync_grants",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="fieldsync_grants"
    )
    category_key = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        from .category_names import category_name

        return f"{self.user or self.group} → {category_name(self.category_key)}"

    def clean(self) -> None:
        if (self.user_id is None) == (self.group_id is None):
            raise ValidationError("A grant names either a user or a group, not both or neither.")


class CheckoutQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True, expires_at__gt=timezone.now())


class Checkout(models.Model):
    EXCLUSIVE, ADVISORY = "exclusive", "advisory"

    category_key = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fieldsync_checkouts"
    )
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="checkouts")
    mode = models.CharField(
        max_length=10, choices=[(EXCLUSIVE, "exclusive"), (ADVISORY, "advisory")]
    )
    taken_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    # Who ended it: the holder on check-in, or a staff member breaking it.
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The same user's other device that took it over (checkout with take_over): this
    # device is told so on its next push or pull, and sets its unsynced edits aside.
    taken_over_by = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CheckoutQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        from .category_names import category_name

        return f"{category_name(self.category_key)} by {self.user} on {self.device.name}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None and self.expires_at > timezone.now()


class ChangeReceipt(models.Model):
    """The answer given to one pushed change, written in the same transaction."""

    change_id = models.UUIDField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="receipts")
    model_label = models.CharField(max_length=100)
    object_pk = models.CharField(max_length=64)
    # The client's temporary id for a record it created, so later changes may use it.
    temp_pk = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10)
    result = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.status} {self.model_label} {self.object_pk}"


class RecordFlag(models.Model):
    """A single record that takes offline updates differently from its model.

    `direct`: applied on arrival whatever the model's policy; `review`: waits
    for a chief editor even under a `direct` model.
    """

    DIRECT, REVIEW = "direct", "review"

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_pk = models.CharField(max_length=64)
    policy = models.CharField(
        max_length=10, choices=[(DIRECT, "apply offline updates directly"), (REVIEW, "review")]
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_pk"], name="fieldsync_flag")
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_pk}: {self.get_policy_display()}"


class RecordVersion(models.Model):
    """A version of a synced record that something replaced, kept so no edit is lost.

    Written whenever sync (or a review decision, or a restore) replaces or
    deletes a version, and for an edit that lost under `last-writer`.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_pk = models.CharField(max_length=64)
    version = models.PositiveBigIntegerField()
    values = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    kept_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["content_type", "object_pk", "-version", "-kept_at"]
        verbose_name = "kept version (history)"
        verbose_name_plural = "kept versions (history)"
        indexes = [models.Index(fields=["content_type", "object_pk"], name="fieldsync_history")]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_pk} v{self.version}"


class ReviewItem(models.Model):
    """An offline update waiting for a chief editor (policy `review`)."""

    PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"

    change_id = models.UUIDField(unique=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="reviews")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fieldsync_reviews"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_pk = models.CharField(max_length=64)
    category_key = models.CharField(max_length=64, blank=True)
    op = models.CharField(max_length=10)
    base_version = models.PositiveBigIntegerField(null=True)
    base_values = models.JSONField(default=dict)
    values = models.JSONField(default=dict)  # what the editor submitted
    status = models.CharField(
        max_length=10,
        default=PENDING,
        choices=[(PENDING, "pending"), (ACCEPTED, "accepted"), (REJECTED, "rejected")],
    )
    reason = models.TextField(blank=True)  # why it was rejected, shown to the editor
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)  # the ChangeResult once decided
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at"]
        permissions = [("review_changes", "Can review offline updates")]
        verbose_name = "queued update for review"
        verbose_name_plural = "queued updates for review"

    def __str__(self) -> str:
        return f"{self.op} {self.content_type.model} {self.object_pk} by {self.editor}"


class LoginAttempt(models.Model):
    """A login try under way or failed, per username and per client address
    (login_throttle.py): shared by every app server, kept for one window."""

    # "u:" + sha256 of the case-folded username, or "a:" + an address or IPv6 /64.
    key = models.CharField(max_length=80)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="fieldsync_login_attempt")]

    def __str__(self) -> str:
        return f"{self.key[:18]}… at {self.at:%Y-%m-%d %H:%M:%S}"


class StoredFile(models.Model):
    """A file a synced field's storage holds, known by its content (stored_files.py).

    Keyed by storage and name: the feed reads a file field's reference here
    instead of hashing the file again, whoever wrote it (a push, the admin,
    the site's own code). A push stores each content once per storage and
    reuses the name for every record that attaches it.
    """

    # The storage's identity: its class and where it keeps files (stored_files.py).
    storage = models.CharField(max_length=255)
    name = models.CharField(max_length=1024)  # as FieldFile.name
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    # Whether Pillow opens it; None until an ImageField needed to know.
    image = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["storage", "name"], name="fieldsync_stored_file")
        ]
        indexes = [models.Index(fields=["sha256", "storage"], name="fieldsync_file_content")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]}…)"


class FileUpload(models.Model):
    """A device's upload of one content, chunk by chunk (uploads.py).

    The chunks are objects in the default storage (``fieldsync-uploads/``), so
    any app server takes the next one; `received` is where the next begins.
    It equals `size` only once the content's sha256 was checked.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="uploads")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    name = models.CharField(max_length=1000, blank=True)  # the file's own name, as sent
    received = models.PositiveBigIntegerField(default=0)
    # [storage name, bytes] of each chunk, in order.
    chunks = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "sha256"], name="fieldsync_upload")
        ]
        indexes = [models.Index(fields=["sha256"], name="fieldsync_upload_content")]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… {self.received}/{self.size} from {self.device}"

    @property
    def complete(self) -> bool:
        return self.received == self.size
