"""Failed logins, counted in the database so that every app server sees one count.

``POST v1/auth/token`` is refused with 429 (``Retry-After`` and a JSON body)
once a username has had ``LOGIN_FAILURES_PER_USERNAME`` failures, or a client
address ``LOGIN_FAILURES_PER_ADDRESS``, within the last
``LOGIN_FAILURE_WINDOW_SECONDS``. The count comes *before* the password is
checked: a refused try costs an indexed count, not a password hash (about a
second of CPU with Django's default hasher, which is what let 16 concurrent
wrong logins starve everyone else).

Each try first writes its rows (one per username, one per address) and then
counts: two app servers racing on one key both see both rows, so no more than
the limit ever get through a window. A success removes its own rows and the
username's failures (the user proved who they are); a refused try removes its
own, so hammering does not push the wait further. No username is stored in
clear: a key is a hash.

Throttling by key cannot stop many usernames from many addresses, so each
process also checks at most ``LOGIN_CONCURRENT_CHECKS`` passwords at once
and answers any login beyond that 429 with a wait of one second, at once:
a login flood never holds the threads and cores authenticated requests need.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import authenticate as django_authenticate
from django.utils import timezone

from .conf import setting
from .errors import ApiError
from .models import LoginAttempt


class Throttled(ApiError):
    """429, with the wait in the body and in ``Retry-After``."""

    def __init__(self, retry_after: int, detail: str):
        super().__init__(429, "too_many_attempts", detail, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Counted:
    """One key's failures in the window: when each happened, oldest first, and its limit."""

    key: str
    limit: int
    times: list[datetime]


def wait_seconds(counted: list[Counted], window: timedelta, now: datetime) -> int | None:
    """How long until a try is allowed (None: it is allowed now).

    `times` exclude the try being decided. A key allows it while fewer than
    `limit` failures are in the window; else it must wait until enough of the
    oldest leave the window.
    """
    waits = []
    for key in counted:
        excess = len(key.times) - key.limit
        if excess >= 0:
            waits.append((key.times[excess] + window - now).total_seconds())
    if not waits:
        return None
    return max(1, math.ceil(max(waits)))


def username_key(username: str) -> str:
    """Usernames count case-insensitively (a backend may match them so), hashed."""
    return "u:" + hashlib.sha256(username.strip().casefold().encode()).hexdigest()


def address_key(address: str) -> str:
    """An IPv4 address, or an IPv6 /64 network (what one client usually holds)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "a:unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.7 is the IPv4 client it maps
            return f"a:{ip.ipv4_mapped}"
        return f"a:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"a:{ip}"


def client_address(request) -> str:
    """REMOTE_ADDR, or behind a proxy the last entry of LOGIN_ADDRESS_HEADER (the
    one the nearest proxy added, which a client cannot forge)."""
    if request is None:
        return ""
    header = setting("LOGIN_ADDRESS_HEADER")
    raw = request.META.get(header, "") if header else request.META.get("REMOTE_ADDR", "")
    return raw.split(",")[-1].strip()


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def checking_slots(count: int) -> threading.BoundedSemaphore:
    """This process's password checks under way, at most `count` at once. Not a
    count to share between servers (that is the table): a guard of this process's
    threads and cores, so a flood of logins waits for none of them."""
    with _slots_lock:
        return _slots.setdefault(count, threading.BoundedSemaphore(count))


def check_password(request, username: str, password: str):
    return django_authenticate(request, username=username, password=password)


def authenticate(request, username: str, password: str):
    """The user, or None for wrong credentials; raises Throttled before any password
    is checked when the username or the address has failed too often."""
    now = timezone.now()
    window = timedelta(seconds=setting("LOGIN_FAILURE_WINDOW_SECONDS"))
    limits = {
        username_key(username): setting("LOGIN_FAILURES_PER_USERNAME"),
        address_key(client_address(request)): setting("LOGIN_FAILURES_PER_ADDRESS"),
    }
    LoginAttempt.objects.filter(at__lte=now - window).delete()
    mine = [LoginAttempt.objects.create(key=key, at=now).pk for key in limits]
    wait = wait_seconds(_count(limits, now - window, mine), window, now)
    if wait is not None:
        LoginAttempt.objects.filter(pk__in=mine).delete()
        raise Throttled(wait, f"Too many failed logins; try again in {_in_words(wait)}.")
    slots = checking_slots(setting("LOGIN_CONCURRENT_CHECKS"))
    if not slots.acquire(blocking=False):
        LoginAttempt.objects.filter(pk__in=mine).delete()
        raise Throttled(1, "The server is busy checking other logins; try again in 1 second.")
    try:
        user = check_password(request, username, password)
    except BaseException:
        LoginAttempt.objects.filter(pk__in=mine).delete()
        raise
    finally:
        slots.release()
    if user is not None and user.is_active:
        LoginAttempt.objects.filter(pk__in=mine).delete()
        LoginAttempt.objects.filter(key=username_key(username)).delete()
        return user
    return None  # the rows stay: they are this failure


def _count(limits: dict[str, int], since: datetime, mine: list[int]) -> list[Counted]:
    """Each key's failures in the window, oldest first, this try's own rows left out."""
    rows = (
        LoginAttempt.objects.filter(key__in=list(limits), at__gt=since)
        .exclude(pk__in=mine)
        .order_by("at", "pk")
        .values_list("key", "at")
    )
    times: dict[str, list[datetime]] = {key: [] for key in limits}
    for key, at in rows:
        times[key].append(at)
    return [Counted(key, limit, times[key]) for key, limit in limits.items()]


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
