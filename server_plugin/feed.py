"""Reading a category's change feed: what changed since a client's cursor.

One query for the page of side-table entries, then one query per model for
the live records (many-to-many values prefetched), serialized with Django's
serializers. The cost grows with the number of changes since the cursor,
never with the size of the category.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType

from .access import has_model_permission
from .models import TrackedRow
from .registry import SyncedModel, get_registry


def read_feed(user, category_key: str, since: int, limit: int, count: bool = False) -> dict:
    rows = list(
        TrackedRow.objects.filter(category_key=category_key, position__gt=since)
        .order_by("position")
        .values_list("content_type_id", "object_pk", "version", "deleted", "position")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]

    registry = get_registry()
    models_by_ct: dict[int, SyncedModel | None] = {}
    for ct_id in {row[0] for row in rows}:
        synced = registry.for_model(ContentType.objects.get_for_id(ct_id).model_class())
        readable = synced is not None and has_model_permission(user, synced, "view")
        models_by_ct[ct_id] = synced if readable else None

    live_pks: dict[int, list[str]] = defaultdict(list)
    for ct_id, pk, _version, deleted, _position in rows:
        if not deleted and models_by_ct[ct_id] is not None:
            live_pks[ct_id].append(pk)
    serialized: dict[tuple[int, str], dict] = {}
    for ct_id, pks in live_pks.items():
        synced = models_by_ct[ct_id]
        queryset = synced.model._default_manager.filter(pk__in=pks)
        for item in synced.serialize(queryset):
            serialized[(ct_id, str(item["pk"]))] = item

    changes = []
    for ct_id, pk, version, _deleted, _position in rows:
        synced = models_by_ct[ct_id]
        if synced is None:
            continue
        item = serialized.get((ct_id, pk))
        if item is None:  # a tombstone, or a row deleted without signals
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
                    "pk": item["pk"],
                    "version": version,
                    "fields": item["fields"],
                }
            )
    answer = {
        "changes": changes,
        "cursor": rows[-1][4] if rows else since,
        "more": more,
    }
    if count:
        answer["remaining"] = TrackedRow.objects.filter(
            category_key=category_key, position__gt=since
        ).count()
    return answer
