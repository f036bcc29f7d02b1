"""The history of synced records: every version that sync replaces is kept.

A version is kept when a push (or a review decision, or a restore) replaces
or deletes it, and an offline edit that lost under `last-writer` or
`major-minor` is kept too — so "overwritten" never means "gone".
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from . import stored_files
from .models import RecordVersion, TrackedRow
from .registry import SyncedModel
from .tracking import acting_as, collect_writes


def keep_version(
    synced: SyncedModel,
    instance: models.Model,
    note: str,
    row: TrackedRow | None = None,
    values: dict | None = None,
    save: bool = True,
) -> RecordVersion | None:
    """Keep the record's current version before something replaces it.

    `row` (its newest side-table entry) and `values` (its wire values) may be
    passed by a caller that has them already (a push batch reads them once,
    and saves what it keeps in one statement with ``save=False``).
    """
    content_type = ContentType.objects.get_for_model(synced.model)
    if row is None:
        row = (
            TrackedRow.objects.filter(content_type=content_type, object_pk=str(instance.pk))
            .order_by("-version")
            .first()
        )
    if row is None:
        return None
    kept = RecordVersion(
        content_type=content_type,
        object_pk=str(instance.pk),
        version=row.version,
        values=values if values is not None else synced.values_of(instance),
        changed_by=row.changed_by,
        device=row.changed_by_device,
        changed_at=row.changed_at,
        note=note,
    )
    if save:
        kept.save()
    return kept


def lost_edit(synced: SyncedModel, pk, values: dict, version: int, device, note: str):
    """An offline edit the policy decided against, to keep (unsaved)."""
    return RecordVersion(
        content_type=ContentType.objects.get_for_model(synced.model),
        object_pk=str(pk),
        version=version or 0,
        values=values,
        changed_by=device.user if device else None,
        device=device,
        changed_at=timezone.now(),
        note=note,
    )


def versions_of(synced: SyncedModel, pk):
    return RecordVersion.objects.filter(
        content_type=ContentType.objects.get_for_model(synced.model), object_pk=str(pk)
    )


class RestoreError(Exception):
    pass


def restore(kept: RecordVersion, user) -> models.Model:
    """Write a kept version back through the ORM, so it is tracked like any edit."""
    from .push import FieldErrors, assign_values  # the same conversion and checks as a push
    from .registry import get_registry

    synced = get_registry().for_model(kept.content_type.model_class())
    if synced is None:
        raise RestoreError(f"{kept.content_type} is no longer synced")
    with stored_files.removed_on_failure(), transaction.atomic():
        instance = (
            synced.model._default_manager.select_for_update().filter(pk=kept.object_pk).first()
        )
        if instance is None:
            instance = synced.model(pk=synced.model._meta.pk.to_python(kept.object_pk))
        else:
            keep_version(synced, instance, f"replaced by restoring version {kept.version}")
        try:  # its files too: their content is kept while a version names it
            m2m = assign_values(synced, instance, kept.values)
        except FieldErrors as error:
            raise RestoreError(str(error)) from None
        except stored_files.NeedsFiles:
            raise RestoreError("the site no longer holds a file of this version") from None
        instance.full_clean()
        with acting_as(user), collect_writes():
            instance.save()
            for name, ids in m2m.items():
                getattr(instance, name).set(ids)
    return instance
