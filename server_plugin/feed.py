"""Reading a category's change feed: what changed since a client's cursor.

One query for the page of side-table entries, then one query per model for
the live records (many-to-many values prefetched), serialized with Django's
serializers. The cost grows with the number of changes since the cursor,
never with the size of the category.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .access import has_model_permission
from .models import TrackedRow
from .registry import SyncedModel, get_registry


@dataclass(frozen=True)
class StoredRecord:
    """A row as the database holds it now, and its values as the wire carries them."""

    instance: models.Model
    pk: object  # as the wire carries it
    values: dict


def stored_records(
    synced: SyncedModel, pks: Iterable, *, with_category: bool = False
) -> dict[str, StoredRecord]:
    """str(pk) -> the row as stored, for rows of one model: one query (and one
    per many-to-many field), whatever the number of rows.

    The feed and the answers to a push read rows through here, so an editor
    who pushed holds exactly what the others pull. `with_category` joins the
    foreign keys of the category path, so finding each row's category costs
    no further query.
    """
    queryset = synced.model._default_manager.filter(pk__in=list(pks))
    hops = (synced.category_path or "").split("__")[:-1]
    if with_category and hops:
        queryset = queryset.select_related("__".join(hops))
    instances = list(queryset)
    return {
        str(item["pk"]): StoredRecord(instance, item["pk"], item["fields"])
        for instance, item in zip(instances, synced.serialize(instances), strict=True)
    }


def read_feed(
    user,
    category_key: str,
    since: int,
    limit: int,
    count: bool = False,
    models: Collection[SyncedModel] | None = None,
) -> dict:
    """A page of a feed after `since`, as the user may read it.

    Entries of models the user may not view are left out, and the answer's
    ``withheld`` names those models: the cursor moves past them. `models`
    restricts the page to those models' entries, so a client whose rights
    widened fetches what it was not given, from position 0, without
    reading the rest again.
    """
    entries = TrackedRow.objects.filter(category_key=category_key, position__gt=since)
    if models is not None:
        entries = entries.filter(
            content_type__in=[ContentType.objects.get_for_model(m.model) for m in models]
        )
    rows = list(
        entries.order_by("position").values_list(
            "content_type_id", "object_pk", "version", "deleted", "position"
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]

    registry = get_registry()
    models_by_ct: dict[int, SyncedModel | None] = {}
    withheld: set[str] = set()
    for ct_id in {row[0] for row in rows}:
        synced = registry.for_model(ContentType.objects.get_for_id(ct_id).model_class())
        readable = synced is not None and has_model_permission(user, synced, "view")
        models_by_ct[ct_id] = synced if readable else None
        if synced is not None and not readable:
            withheld.add(synced.label)

    live_pks: dict[int, list[str]] = defaultdict(list)
    for ct_id, pk, _version, deleted, _position in rows:
        if not deleted and models_by_ct[ct_id] is not None:
            live_pks[ct_id].append(pk)
    serialized: dict[tuple[int, str], StoredRecord] = {}
    for ct_id, pks in live_pks.items():
        for pk, record in stored_records(models_by_ct[ct_id], pks).items():
            serialized[(ct_id, pk)] = record

    changes = []
    for ct_id, pk, version, _deleted, _position in rows:
        synced = models_by_ct[ct_id]
        if synced is None:
            continue
        record = serialized.get((ct_id, pk))
        if record is None:  # a tombstone, or a row deleted without signals
            changes.append(
                {
                    "model": synced.label,
                    "pk": synced.wire_pk(synced.model._meta.pk.to_python(pk)),
                    "version": version,
                    "deleted": True,
                }
            )
        else:
            changes.append(
                {
                    "model": synced.label,
                    "pk": record.pk,
                    "version": version,
                    "fields": record.values,
                }
            )
    answer = {
        "changes": changes,
        "cursor": rows[-1][4] if rows else since,
        "more": more,
    }
    if withheld:
        answer["withheld"] = sorted(withheld)
    if count:
        answer["remaining"] = entries.count()
    return answer
