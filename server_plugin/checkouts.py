"""Leases on categories: who works on what, from which device, until when.

A checkout belongs to a user *and* a device, lasts `CHECKOUT_LEASE_SECONDS`
from its last use (pulls and pushes renew it) and ends on check-in, on
expiry, or when staff break it in the admin. In exclusive mode (the default)
one device holds a category and the others are told who; in advisory mode
several may, each warned about the others.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .conf import setting
from .errors import ApiError
from .models import Checkout, Device
from .tracking import allocate_positions


def lease_end():
    return timezone.now() + timedelta(seconds=setting("CHECKOUT_LEASE_SECONDS"))


def describe_holder(checkout: Checkout) -> dict:
    return {
        "user": checkout.user.get_username(),
        "device": checkout.device.name,
        "since": checkout.taken_at,
        "expires_at": checkout.expires_at,
        "mode": checkout.mode,
    }


def holder_sentence(checkout: Checkout) -> str:
    since = timezone.localtime(checkout.taken_at).strftime("%Y-%m-%d %H:%M %Z")
    return f"{checkout.user.get_username()} ({checkout.device.name}) since {since}"


def active_holders(keys=None) -> dict[str, list[Checkout]]:
    checkouts = Checkout.objects.active().select_related("user", "device")
    if keys is not None:
        checkouts = checkouts.filter(category_key__in=list(keys))
    holders: dict[str, list[Checkout]] = {}
    for checkout in checkouts:
        holders.setdefault(checkout.category_key, []).append(checkout)
    return holders


def _lock_category(key: str) -> None:
    # The feed counter's row doubles as the category's lock: two devices that
    # ask for a free category at the same moment are served one after the other.
    allocate_positions(key, 0)


def check_out(device: Device, key: str, name: str) -> tuple[Checkout, list[str]]:
    mode = setting("CHECKOUT_MODE")
    with transaction.atomic():
        _lock_category(key)
        active = list(
            Checkout.objects.active().filter(category_key=key).select_related("user", "device")
        )
        others = [c for c in active if c.device_id != device.pk]
        others = [c for c in others if not _hand_over(c, device)]
        if others and (mode == Checkout.EXCLUSIVE or others[0].mode == Checkout.EXCLUSIVE):
            holder = others[0]
            raise ApiError(
                409,
                "checked_out",
                f"{name} is checked out by {holder_sentence(holder)}.",
                holder=describe_holder(holder),
            )
        mine = next((c for c in active if c.device_id == device.pk), None)
        if mine is None:
            mine = Checkout.objects.create(
                category_key=key, user=device.user, device=device, mode=mode, expires_at=lease_end()
            )
        else:
            mine.expires_at = lease_end()
            mine.save(update_fields=["expires_at"])
    warnings = [f"{name} is also checked out by {holder_sentence(c)}." for c in others]
    return mine, warnings


def _hand_over(checkout: Checkout, device: Device) -> bool:
    """Release `checkout` if it is `device`'s user's, on a device whose login expired:
    logging in again (a new device, the same folder) takes the categories the old
    login held, where another editor still waits for the lease to end."""
    if checkout.user_id != device.user_id or not checkout.device.expired_because(timezone.now()):
        return False
    Checkout.objects.filter(pk=checkout.pk).update(
        released_at=timezone.now(), released_by=device.user
    )
    return True


def check_in(device: Device, key: str) -> bool:
    """Release this device's checkout; False when it held none (a retried check-in)."""
    released = (
        Checkout.objects.active()
        .filter(category_key=key, device=device)
        .update(released_at=timezone.now(), released_by=device.user)
    )
    return released > 0


def renew(device: Device, key: str) -> None:
    """Activity on a category keeps the device's lease on it alive."""
    Checkout.objects.active().filter(category_key=key, device=device).update(expires_at=lease_end())


def require_checkout(device: Device, key: str, name: str | None = None) -> Checkout:
    """The device's active checkout of a category, renewed; 409 when it has none."""
    checkout = Checkout.objects.active().filter(category_key=key, device=device).first()
    if checkout is None:
        label = name or f"category {key}"
        raise ApiError(
            409,
            "not_checked_out",
            f"{label} is not checked out by this device; check it out before pushing to it.",
            category=key,
        )
    Checkout.objects.filter(pk=checkout.pk).update(expires_at=lease_end())
    return checkout


def release_devices(device_ids, by) -> int:
    """End every checkout the devices hold, at once (a revoked device holds nothing)."""
    return Checkout.objects.filter(device_id__in=list(device_ids), released_at__isnull=True).update(
        released_at=timezone.now(), released_by=by
    )


def break_checkout(checkout: Checkout, staff_user) -> None:
    Checkout.objects.filter(pk=checkout.pk, released_at__isnull=True).update(
        released_at=timezone.now(), released_by=staff_user
    )
