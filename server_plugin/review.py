"""The chief editor's decisions on queued offline updates.

Accepting applies the editor's submitted values (or the chief's edited ones)
through the push path itself — same conversion, validation, tracking and
history — on top of the record's current version: the chief has decided.
Rejecting records the reason, which the editor's client shows on its next
sync. Either way the outcome is stored on the item for the client to fetch.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from .models import ReviewItem
from .protocol import merge, wire
from .push.receipts import canonical_ids
from .registry import get_registry
from .tracking import current_versions


class ReviewError(Exception):
    pass


def _synced(item: ReviewItem):
    synced = get_registry().for_model(item.content_type.model_class())
    if synced is None:
        raise ReviewError(f"{item.content_type} is no longer synced")
    return synced


def current_values(item: ReviewItem) -> dict | None:
    synced = _synced(item)
    instance = synced.model._default_manager.filter(pk=item.object_pk).first()
    if item.op == wire.CREATE or instance is None:
        return None
    return synced.values_of(instance)


def proposed_merge(item: ReviewItem) -> dict:
    """Submitted values merged three-way with the current ones (conflicts: the
    suggestion if there is one, else the submitted value): the edit form's start."""
    current = current_values(item)
    if current is None:
        return dict(item.values)
    synced = _synced(item)
    merged = merge.three_way_merge(item.base_values, item.values, current, synced.types)
    values = {**current, **merged.values}
    for name, conflict in merged.conflicts.items():
        values[name] = conflict.suggestion if conflict.suggestion is not None else conflict.mine
    return values


def accept(item: ReviewItem, chief, values: dict | None = None) -> dict:
    """Apply the update (or `values`, the chief's edit of it); returns the result."""
    from .push import push  # the one push path

    if item.status != ReviewItem.PENDING:
        raise ReviewError(f"this update was already {item.status}")
    synced = _synced(item)
    chosen = dict(item.values if values is None else values)
    pk = item.object_pk
    base_version = None
    base_values = {}
    if item.op != wire.CREATE:
        version, _ = current_versions(synced, [pk]).get(str(pk), (0, False))
        base_version = version
        current = current_values(item) or {}
        base_values = {name: current.get(name) for name in chosen}
    change = wire.Change(
        id=str(uuid.uuid4()),  # a decision is a change of its own, with its own receipt
        op=item.op,
        model=synced.label,
        pk=pk if wire.is_temp_pk(pk) else synced.wire_pk(synced.model._meta.pk.to_python(pk)),
        values=chosen if item.op != wire.DELETE else {},
        base_version=base_version,
        base_values=base_values,
        edit_kind="major",
    )
    with transaction.atomic():
        (result,) = push(item.device, [change], reviewer=chief)
        if result["status"] == wire.REJECTED:
            raise ReviewError(result.get("message") or "the values are not valid")
        if result.get("temp_pk") is None and wire.is_temp_pk(item.object_pk):
            result["temp_pk"] = item.object_pk
        _decide(item, ReviewItem.ACCEPTED, chief, result=result)
    return result


def reject(item: ReviewItem, chief, reason: str) -> None:
    if item.status != ReviewItem.PENDING:
        raise ReviewError(f"this update was already {item.status}")
    if not reason.strip():
        raise ReviewError("say why: the editor sees the reason")
    _decide(item, ReviewItem.REJECTED, chief, reason=reason.strip())


def _decide(item: ReviewItem, status: str, chief, *, result=None, reason: str = "") -> None:
    item.status, item.decided_by, item.decided_at = status, chief, timezone.now()
    item.result, item.reason = result, reason
    item.save(update_fields=["status", "decided_by", "decided_at", "result", "reason"])


def outcomes(device, change_ids: list[str]) -> dict:
    """What became of a device's queued updates: change id (canonical) -> outcome."""
    found = {}  # found by the one spelling receipts use
    for item in ReviewItem.objects.filter(device=device, change_id__in=canonical_ids(change_ids)):
        outcome = {"status": item.status}
        if item.status == ReviewItem.REJECTED:
            outcome["reason"] = item.reason
            outcome["decided_by"] = item.decided_by.get_username() if item.decided_by else ""
        if item.status == ReviewItem.ACCEPTED:
            outcome["result"] = {**(item.result or {}), "id": str(item.change_id)}
            outcome["decided_by"] = item.decided_by.get_username() if item.decided_by else ""
        found[str(item.change_id)] = outcome
    return found
