"""Each queued change's tries and last error: what the queue shows for a change
that has not gone yet ("3 tries, last 10:45: offline: … timed out").

A sync counts one try for every change it meant to send: the ones it sent (counted
when frozen, engine._push_batch) and, when it failed before reaching them (the
link was down at its first request), all the others still queued. Every failure
leaves its words on each of them, so the editor sees why nothing went.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from ..store.models import Account, PendingChange
from .transport import AuthFailed, Offline, Refused, TransportError


def failure_text(error: TransportError) -> str:
    """A failure as the queue shows it: "offline: cannot reach … (timed out)"."""
    if isinstance(error, Offline):
        return f"offline: {error}"
    if isinstance(error, AuthFailed):
        return f"not logged in: {error}"
    if isinstance(error, Refused):
        return f"refused: {error.detail}"
    return str(error)


def record_failure(error: TransportError, started: datetime) -> None:
    """A sync (or check-in) that began at `started` failed with `error`: every queued
    change has one more try (unless it was sent, and counted, in this one) and this
    error as its last; an Offline error also marks the folder offline, so the next
    sync tries once, quickly."""
    now = timezone.now()
    queued = PendingChange.objects.filter(state=PendingChange.QUEUED)
    queued.filter(Q(last_try_at__lt=started) | Q(last_try_at__isnull=True)).update(
        attempts=F("attempts") + 1, last_try_at=now
    )
    queued.update(last_error=failure_text(error))
    if isinstance(error, Offline):
        Account.objects.update(online=False, last_online_check=now)
