"""Leases on categories: who works on what, from which device, until when.

A checkout belongs to a user *and* a device, lasts `CHECKOUT_LEASE_SECONDS`
from its last use (pulls and pushes renew it; a pull only once the lease has
run a minute, `lease_renewal_due`) and ends on check-in, on
expiry, or when staff break it in the admin. In exclusive mode (the default)
one device holds a category and the others are told who; in advisory mode
several may, each warned about the others.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .category_names import category_name
from .conf import setting
from .errors import ApiError
from .models import Checkout, Device
from .tracking import allocate_positions


def lease_end():
    return timezone.now() + timedelta(seconds=setting("CHECKOUT_LEASE_SECONDS"))


# How long a lease runs before a pull renews it: a minute, or a hundredth of a
# shorter lease. Pages of one checkout then write nothing (it was just taken), and a
# lease ends at most this much earlier than a renewal per pull would have ended it.
RENEWAL_STEP_SECONDS = 60


def lease_renewal_due(expires_at, now, term_seconds: float) -> bool:
    """Whether a lease ending at `expires_at` has run long enough, at `now`, to be
    renewed for `term_seconds` more."""
    step = min(RENEWAL_STEP_SECONDS, term_seconds / 100)
    return expires_at < now + timedelta(seconds=term_seconds - step)


def describe_holder(checkout: Checkout) -> dict:
    return {
        "user": checkout.user.get_username(),
        "device": checkout.device.name,
        "since": checkout.taken_at,
        "expires_at": checkout.expires_at,
        "mode": checkout.mode,
    }


def _time(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def holder_sentence(checkout: Checkout, viewer=None) -> str:
    """Who holds it, for `viewer` (a user): "you on laptop since …" when it is theirs
    on another device, else "editor2 (editor2-laptop) since …"."""
    since = _time(checkout.taken_at)
    if viewer is not None and checkout.user_id == viewer.pk:
        return f"you on {checkout.device.name} since {since}"
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


def check_out(
    device: Device, key: str, name: str, *, take_over: bool = False
) -> tuple[Checkout, list[str], list[Checkout]]:
    """Take (or renew) the device's checkout: (it, warnings, the checkouts taken over).

    `take_over` ends the checkouts the same user holds on other devices first (never
    another user's): each is marked with the device that took it, which is how that
    device learns it on its next push or pull (`require_checkout`, `taken_over_from`).
    """
    mode = setting("CHECKOUT_MODE")
    with transaction.atomic():
        _lock_category(key)
        active = list(
            Checkout.objects.active().filter(category_key=key).select_related("user", "device")
        )
        others = [c for c in active if c.device_id != device.pk]
        others = [c for c in others if not _hand_over(c, device)]
        taken = [c for c in others if c.user_id == device.user_id] if take_over else []
        if taken:
            Checkout.objects.filter(pk__in=[c.pk for c in taken]).update(
                released_at=timezone.now(), released_by=device.user, taken_over_by=device
            )
            others = [c for c in others if c not in taken]
        if others and (mode == Checkout.EXCLUSIVE or others[0].mode == Checkout.EXCLUSIVE):
            holder = others[0]
            mine_elsewhere = holder.user_id == device.user_id
            way_out = (
                "; take it over to work on it from this device (what it has not synced "
                "is then set aside there)"
                if mine_elsewhere
                else ""
            )
            verb = "held" if mine_elsewhere else "checked out"
            raise ApiError(
                409,
                "checked_out",
                f"{name} is {verb} by {holder_sentence(holder, device.user)}{way_out}.",
                holder=describe_holder(holder),
                can_take_over=mine_elsewhere,
            )
        mine = next((c for c in active if c.device_id == device.pk), None)
        if mine is None:
            mine = Checkout.objects.create(
                category_key=key, user=device.user, device=device, mode=mode, expires_at=lease_end()
            )
        else:
            mine.expires_at = lease_end()
            mine.save(update_fields=["expires_at"])
    warnings = [take_over_sentence(name, c) for c in taken]
    warnings += [f"{name} is also checked out by {holder_sentence(c, device.user)}."
                 for c in others]  # fmt: skip
    return mine, warnings, taken


def take_over_sentence(name: str, taken: Checkout) -> str:
    """What a take-over did, and what becomes of the other device's unsynced changes."""
    other = taken.device.name
    return (
        f"{name} was taken over from your device {other} (held since {_time(taken.taken_at)}). "
        f"Changes {other} has not synced can no longer be pushed to {name}: at its next "
        f"sync they are set aside in its set-aside folder, and its copy of {name} removed."
    )


def describe_taken_over(checkout: Checkout) -> dict:
    """The device a checkout was taken over by, and when (for the device it was taken from)."""
    return {"device": checkout.taken_over_by.name, "at": checkout.released_at}


def taken_over_from(device: Device, keys) -> dict[str, Checkout]:
    """The categories among `keys` whose checkout was taken from `device` by another of
    its user's devices, and that it has not checked out again since."""
    latest: dict[str, Checkout] = {}
    rows = (
        Checkout.objects.filter(device=device, category_key__in=list(keys))
        .select_related("taken_over_by")
        .order_by("category_key", "-taken_at", "-pk")
    )
    for checkout in rows:
        latest.setdefault(checkout.category_key, checkout)
    return {key: c for key, c in latest.items() if c.taken_over_by_id and not c.is_active}


def require_not_taken_over(device: Device, key: str, name: str) -> Checkout | None:
    """409 taken_over when this device's checkout of the category was taken over;
    else its latest checkout of it (None for none), to renew (`renew_for_pull`)."""
    latest = (
        Checkout.objects.filter(device=device, category_key=key)
        .select_related("taken_over_by")
        .order_by("-taken_at", "-pk")
        .first()
    )
    taken = latest if latest is not None and latest.taken_over_by_id else None
    if taken is None or taken.is_active:
        return latest
    raise ApiError(
        409,
        "taken_over",
        f"{name} was taken over by you on {taken.taken_over_by.name} at "
        f"{_time(taken.released_at)}: the changes this device made to it can no longer be "
        f"pushed; they are set aside here at the next sync. Check {name} out again "
        "(taking it over back) to work on it from this device.",
        category=key,
        taken_over_by=describe_taken_over(taken),
    )


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


def renew_for_pull(checkout: Checkout | None) -> None:
    """A pull keeps the lease of the device's latest checkout alive, if that is active
    (a device holds one checkout of a category at a time, its latest), with a write
    only once the lease is due (`lease_renewal_due`): not on every page."""
    if checkout is None or not checkout.is_active:
        return
    term = setting("CHECKOUT_LEASE_SECONDS")
    now = timezone.now()
    if lease_renewal_due(checkout.expires_at, now, term):
        Checkout.objects.active().filter(pk=checkout.pk).update(
            expires_at=now + timedelta(seconds=term)
        )


def require_checkout(device: Device, key: str, *, renew: bool = True) -> Checkout:
    """The device's active checkout of a category, renewed unless told not to
    (a push renews once its changes stand); 409 when it has none (taken_over
    when another of the user's devices took it, else not_checked_out)."""
    checkout = Checkout.objects.active().filter(category_key=key, device=device).first()
    if checkout is None:
        name = category_name(key)
        require_not_taken_over(device, key, name)
        raise ApiError(
            409,
            "not_checked_out",
            f"{name} is not checked out by this device: check it out again and sync, "
            "and the same changes go through.",
            category=key,
        )
    if renew:
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
