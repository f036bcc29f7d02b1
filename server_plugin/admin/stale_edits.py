"""A change form saved over a newer version is refused, never silently applied.

The admin saves the whole form it read: an editor's sync that lands between
the chief's opening of the form and the save would be replaced by the form's
old values, with no conflict and nothing kept. The form carries the version
it was opened at (a hidden input of the mixin's template); the save checks it
under the record's feed lock, the order every writer takes, and refuses when
the record moved on, saying who changed it.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from ..models import TrackedRow
from ..registry import get_registry
from ..tracking import lock_feeds

VERSION_FIELD = "_fieldsync_version"


def latest_row(model, pk) -> TrackedRow | None:
    synced = get_registry().for_model(model)
    if synced is None or pk is None:
        return None
    content_type = ContentType.objects.get_for_model(synced.model)
    rows = TrackedRow.objects.filter(content_type=content_type, object_pk=str(pk))
    return rows.select_related("changed_by", "changed_by_device").order_by("-version").first()


def version_of(model, pk) -> int:
    row = latest_row(model, pk)
    return row.version if row else 0


def stale_message(model, row: TrackedRow) -> str:
    who = ""
    if row.changed_by is not None:
        device = f" on {row.changed_by_device.name}" if row.changed_by_device else ""
        who = f" by {row.changed_by.get_username()}{device}"
    return (
        f"This {model._meta.verbose_name} changed since you opened it (now version "
        f"{row.version}{who}). Saving would overwrite that change: reload the page to see "
        "it, then make your edit again."
    )


def guarded(form_class, model, seen: str | None):
    """`form_class` refusing to save over a version newer than `seen`."""

    class GuardedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            if seen is None or not seen.isdigit() or self.instance.pk is None:
                return cleaned  # a form opened without the mixin's template
            row = latest_row(model, self.instance.pk)
            if row is not None:
                lock_feeds({row.category_key})
                row = latest_row(model, self.instance.pk)  # again, under the lock
            if row is not None and row.version != int(seen):
                raise ValidationError(stale_message(model, row), code="stale")
            return cleaned

    return GuardedForm
