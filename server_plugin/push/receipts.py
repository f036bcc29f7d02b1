"""Receipts: the recorded answer to every pushed change, claimed and found by its id.

A change is applied at most once. Its receipt is claimed in the transaction
that applies it (so a copy of the batch sent at the same moment waits on it,
then reads the answer) and completed with the answer; a retried or replayed
change (a lost answer, a bundle uploaded twice) is answered from it.

A receipt is found by the change id's canonical spelling (`canonical`): the
wire accepts no other, and every lookup here spells it the same way, so one
change can never pass as two. An id another device used is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ..bulk import update_rows
from ..errors import ApiError
from ..models import ChangeReceipt, Device
from ..protocol import wire
from .parse import PushedChange


def canonical(change_id: str) -> str:
    """The one spelling receipts are kept and found under."""
    return str(uuid.UUID(change_id))


def recorded(device: Device, changes: list[wire.Change]) -> dict[str, ChangeReceipt]:
    """The receipts of changes already answered: canonical id -> receipt.

    ApiError 409 when one of the ids is another device's.
    """
    found = _receipts([c.id for c in changes])
    _refuse_others(device, [(f"changes[{i}]", c) for i, c in enumerate(changes)], found)
    return {key: receipt for key, receipt in found.items() if receipt.status}


def claim(device: Device, pending: list[PushedChange]) -> dict[str, ChangeReceipt]:
    """Write these changes' receipts before applying them; returns the ones a copy
    of the batch answered meanwhile (the rest are ours to apply)."""
    if not pending:
        return {}
    ChangeReceipt.objects.bulk_create(
        [
            ChangeReceipt(
                change_id=canonical(p.id),
                device=device,
                model_label=p.synced.label,
                object_pk=str(p.change.pk),
                status="",
                result={},
            )
            for p in pending
        ],
        ignore_conflicts=True,
    )
    found = _receipts([p.id for p in pending])
    # A claim another device made at the same moment is refused like a recorded one.
    _refuse_others(device, [(p.where, p.change) for p in pending], found)
    return {key: receipt for key, receipt in found.items() if receipt.status}


def record(answers: dict[str, wire.ChangeResult]) -> None:
    """Complete the claimed receipts with their answers (keyed by change id)."""
    by_key = {canonical(change_id): result for change_id, result in answers.items()}
    claimed = list(ChangeReceipt.objects.filter(change_id__in=list(by_key), status=""))
    for receipt in claimed:
        result = by_key[str(receipt.change_id)]
        receipt.model_label, receipt.object_pk = result.model, str(result.pk)
        receipt.temp_pk, receipt.status = result.temp_pk, result.status
        receipt.result = result.to_json()
    update_rows(ChangeReceipt, claimed, ["model_label", "object_pk", "temp_pk", "status", "result"])


def release(change_ids) -> None:
    """Drop the claims of changes answered without a receipt (needs_files)."""
    keys = [canonical(change_id) for change_id in change_ids]
    if keys:
        ChangeReceipt.objects.filter(change_id__in=keys, status="").delete()


def created_with(device: Device, temp_pk: str, labels: Iterable[str]) -> str | None:
    """The permanent key of the record this device created with `temp_pk`, if it did."""
    return (
        ChangeReceipt.objects.filter(
            device=device,
            temp_pk=temp_pk,
            model_label__in=list(labels),
            status__in=(wire.APPLIED, wire.MERGED),
        )
        .values_list("object_pk", flat=True)
        .first()
    )


def results(device: Device, change_ids: Iterable) -> dict[str, dict]:
    """The recorded answers (ChangeResult JSON) to a device's changes: id -> result.

    Ids that are not UUIDs, or not this device's, have none.
    """
    keys = canonical_ids(change_ids)
    found = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        answered = ChangeReceipt.objects.filter(device=device, change_id__in=chunk)
        found.update({str(r.change_id): r.result for r in answered.exclude(status="")})
    return found


def canonical_ids(change_ids: Iterable) -> list[str]:
    """The canonical spelling of each id that is a UUID (a file's list may hold anything)."""
    keys = []
    for change_id in change_ids:
        if isinstance(change_id, str) and len(change_id) <= 100:
            try:
                keys.append(canonical(change_id))
            except ValueError:
                continue
    return keys


def _receipts(change_ids: list[str]) -> dict[str, ChangeReceipt]:
    keys = [canonical(i) for i in change_ids]
    found = {}
    for start in range(0, len(keys), 500):
        for receipt in ChangeReceipt.objects.filter(change_id__in=keys[start : start + 500]):
            found[str(receipt.change_id)] = receipt
    return found


def _refuse_others(device: Device, changes: list[tuple[str, wire.Change]], found: dict) -> None:
    for where, change in changes:
        receipt = found.get(canonical(change.id))
        if receipt is not None and receipt.device_id != device.pk:
            raise ApiError(
                409,
                "duplicate_change_id",
                "This change id was already used by another device.",
                where=f"{where}.id",
            )
