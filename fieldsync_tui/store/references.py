"""Which local records point at a record, and moving those pointers to a new id.

A record that leaves the store while others still point at it locally would
make their changes fail on the server; a record that gets a new id (created
again with a temporary one) must take the pointers of the editor's work
with it. Both questions are answered here, from the schema's foreign keys
and many-to-many fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .models import Conflict, Record
from .schema import Schema


def _points_at(value: Any, pk: str, many: bool) -> bool:
    if many and isinstance(value, list):
        return any(str(v) == pk for v in value)
    return value is not None and str(value) == pk


def _candidates(schema: Schema, label: str, pk: str) -> Iterator[tuple[Record, list[str]]]:
    """(record, names of its fields pointing at label/pk) for live local records."""
    fields = schema.referring_fields(label)
    for other_label in {model.label for model, _ in fields}:
        names = [(f.name, f.many) for model, f in fields if model.label == other_label]
        rows = Record.objects.filter(model=other_label, deleted=False, values__icontains=pk)
        for other in rows:
            hits = [name for name, many in names if _points_at(other.values.get(name), pk, many)]
            if hits:
                yield other, hits


def referring_records(schema: Schema, label: str, pk: str) -> list[Record]:
    """Local records whose current values point at the record `label` `pk`."""
    return [record for record, _ in _candidates(schema, label, str(pk))]


def _replaced(value: Any, old: str, new: Any) -> Any:
    if isinstance(value, list):
        return [new if str(v) == old else v for v in value]
    return new if value is not None and str(value) == old else value


def rewrite_references(
    schema: Schema, label: str, old: str, new: Any, *, unsent_only: bool = True
) -> list[Record]:
    """Point the editor's own work at `new` instead of `old`; returns the records changed.

    Only records with unsent edits (and open conflicts' "mine") are rewritten:
    a record the editor did not touch shows the server's values, and the
    server tells what became of its pointers. A temporary id the server has
    just replaced (`unsent_only=False`) is rewritten wherever it is, since
    only this store ever held it.
    """
    old = str(old)
    changed = []
    for record, names in _candidates(schema, label, old):
        if unsent_only and not (record.pending or record.conflicted):
            continue
        for name in names:
            record.values[name] = _replaced(record.values[name], old, new)
        Record.objects.filter(pk=record.pk).update(values=record.values)
        changed.append(record)
    pointing: dict[str, set[str]] = {}
    for model, f in schema.referring_fields(label):
        pointing.setdefault(model.label, set()).add(f.name)
    open_conflicts = Conflict.objects.filter(
        resolved_at__isnull=True, record__model__in=list(pointing), mine__icontains=old
    ).select_related("record")
    for conflict in open_conflicts:
        names = pointing[conflict.record.model]
        mine = {
            name: _replaced(value, old, new) if name in names else value
            for name, value in conflict.mine.items()
        }
        if mine != conflict.mine:
            conflict.mine = mine
            conflict.save(update_fields=["mine"])
    return changed
