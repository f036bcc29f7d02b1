"""Who is asking and what they may see: device tokens, grants, model permissions.

Every endpoint but the ping goes through `authenticate()`; every read of a
category through `require_category()`, and of a model through
`has_model_permission()`. A push answers a missing right per change
(`model_permission_refusal()`, push.py), never for the whole batch: rights
narrowed while an editor was offline must not block their other changes. A
user without a grant sees nothing of a category, not even its name.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from . import login_throttle
from .checkouts import release_devices
from .conf import setting
from .errors import ApiError, forbidden
from .models import CategoryGrant, Device, StoredFile, hash_token
from .registry import SyncedModel, get_registry

# The Django permission a sync action needs, per operation.
PERMISSION_FOR = {"view": "view", "create": "add", "update": "change", "delete": "delete"}


def issue_token(username: str, password: str, device_name: str, request=None) -> tuple[str, Device]:
    """Trade a password for a per-device token; only the token's hash is stored."""
    user = login_throttle.authenticate(request, username, password)  # 429 before hashing
    if user is None:
        raise ApiError(401, "invalid_credentials", "The username or password is not right.")
    token = secrets.token_urlsafe(32)
    device = Device.objects.create(user=user, name=device_name, token_hash=hash_token(token))
    return token, device


def authenticate(request) -> Device:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "not_authenticated", "Send a device token as 'Authorization: Bearer <token>'."
        )
    device = (
        Device.objects.select_related("user").filter(token_hash=hash_token(token.strip())).first()
    )
    if device is None:
        raise ApiError(401, "invalid_token", "This token is not known to the server.")
    if device.is_revoked:
        raise ApiError(401, "device_revoked", "This device was revoked; log in again.")
    now = timezone.now()
    expired = device.expired_because(now)
    if expired:
        raise ApiError(
            401,
            "token_expired",
            f"This device's login expired: {expired}.",
        )
    if not device.user.is_active:
        raise ApiError(401, "user_inactive", "This user account is disabled.")
    # The last use, refreshed at most once a minute: it keeps the token alive.
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 60:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


def revoke_devices(devices, by) -> tuple[int, int]:
    """Revoke the devices' tokens and release their checkouts in one transaction, so
    a category a revoked device held is free the moment it is revoked; returns
    (devices revoked, checkouts released). `by` is who did it (staff, or the user
    logging out)."""
    with transaction.atomic():
        ids = list(devices.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        Device.objects.filter(pk__in=ids).update(revoked_at=timezone.now())
        released = release_devices(ids, by)
    return len(ids), released


def granted_category_keys(user) -> set[str] | None:
    """The categories a user may see, or None for "all of them"."""
    if user.is_superuser or not setting("REQUIRE_CATEGORY_GRANT"):
        return None
    grants = CategoryGrant.objects.filter(Q(user=user) | Q(group__in=user.groups.all()))
    return set(grants.values_list("category_key", flat=True))


def may_see_category(user, key: str) -> bool:
    keys = granted_category_keys(user)
    return keys is None or key in keys


# Never the category's name or id: a user learns nothing of a category not theirs.
NO_GRANT = "You have no grant for this category (or there is no such category)."


def require_category(user, key: str):
    """The category instance, if it exists and the user holds a grant to it."""
    registry = get_registry()
    if registry.category_model is None:
        raise forbidden("This site has no categories.")
    # Same answer for "does not exist" and "not yours": a user learns nothing of others'.
    if not may_see_category(user, key):
        raise forbidden(NO_GRANT, category=key)
    try:
        return registry.category_model._default_manager.get(pk=key)
    except (registry.category_model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise forbidden(NO_GRANT, category=key) from None


def has_model_permission(user, synced: SyncedModel, action: str) -> bool:
    meta = synced.model._meta
    return user.has_perm(f"{meta.app_label}.{PERMISSION_FOR[action]}_{meta.model_name}")


def permitted_actions(user, synced: SyncedModel) -> list[str]:
    """The Django permissions a user holds on a model, by their Django names
    (``view``, ``add``, ``change``, ``delete``): the schema tells the client, so
    an editor is refused offline instead of queueing what the server refuses."""
    return [
        permission
        for action, permission in PERMISSION_FOR.items()
        if has_model_permission(user, synced, action)
    ]


def model_permission_refusal(user, synced: SyncedModel, action: str) -> str | None:
    """Why the user may not do `action` (a sync operation) on the model, or None."""
    if has_model_permission(user, synced, action):
        return None
    return f"You may not {action} {synced.model._meta.verbose_name_plural} ({synced.label})."


def may_attach_files(user) -> bool:
    """Whether the user may write some synced model that has a file field: who
    may not has nothing to upload."""
    for synced in get_registry().models.values():
        if synced.writable and any(isinstance(f, models.FileField) for f in synced.fields):
            if has_model_permission(user, synced, "create") or has_model_permission(
                user, synced, "update"
            ):
                return True
    return False


def file_visible_to(user, digest: str):
    """(storage, StoredFile) of a content the user may see, or None: some record
    they may view (the model's view permission, and a grant to its category)
    has a file field that refers to it. Nothing else tells a user a content exists."""
    from .stored_files import storage_identity

    rows = list(StoredFile.objects.filter(sha256=digest))
    if not rows:
        return None
    granted = granted_category_keys(user)
    for synced in get_registry().models.values():
        if not has_model_permission(user, synced, "view"):
            continue
        for field in synced.fields:
            if not isinstance(field, models.FileField):
                continue
            identity = storage_identity(field.storage)
            by_name = {row.name: row for row in rows if row.storage == identity}
            if not by_name:
                continue
            records = synced.model._default_manager.filter(**{f"{field.name}__in": list(by_name)})
            if not synced.is_reference and granted is not None:
                records = records.filter(**{f"{synced.category_path}__in": list(granted)})
            name = records.values_list(field.name, flat=True).first()
            if name is not None:
                return field.storage, by_name[name]
    return None
