"""Writing what the decision said: the record, its many-to-many values, its history.

Every write goes through the model (`full_clean()`, then `save()` or
`delete()`), so the host's validators, signals and custom `save()` run as for
any edit; the version replaced is kept in the record's history first. After
the batch's writes are tracked (`complete`), each result carries the
record's version and its values read back from the database: what the
pushing editor holds is what every other editor pulls.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from .. import feed, history, stored_files
from ..models import RecordVersion
from ..protocol import files, wire
from ..protocol.fields import FieldValueError
from ..registry import SyncedModel
from ..tracking import lock_feeds
from .decide import Outcome
from .parse import PushedChange
from .rejected import FieldErrors, Rejected, error_dict
from .rights import WriteRights
from .rows import BatchRows


class Writer:
    def __init__(self, rows: BatchRows, rights: WriteRights, collector=None):
        self.rows = rows
        self.rights = rights
        self.collector = collector
        self.device = rights.device
        self.temp_pks: dict = {}  # (label, temp pk) -> permanent pk, made in this batch
        self.written: list = []  # (result, synced, instance) whose version comes at the end
        self.kept: list = []  # versions to keep in history, saved at the end of the batch
        self.kept_now: list = []  # those of the change being applied
        self.writing = False  # the change being applied has begun writing its record

    # -- one change ---------------------------------------------------------------

    def start_change(self) -> None:
        self.kept_now = []
        self.writing = False

    def change_done(self) -> None:
        """The change's savepoint held: keep its history entries, and note the rows
        it wrote besides its own (a cascade, the host's signals) as stale."""
        self.kept += self.kept_now
        if self.collector is not None:
            self.rows.touched.update(self.collector.pending)

    def write(
        self, pushed: PushedChange, outcome: Outcome, instance, result: wire.ChangeResult
    ) -> wire.ChangeResult:
        """Write an applied or merged outcome (or answer a conflict); returns the result."""
        synced, change = pushed.synced, pushed.change
        if instance is not None and instance.pk is not None:
            result.pk = synced.wire_pk(instance.pk)
        if outcome.status == wire.CONFLICT:
            return self._conflict(synced, outcome, instance, result)
        if change.op == wire.DELETE:
            return self._delete(synced, outcome, instance, result)
        if outcome.lost is not None:
            self._keep_lost(synced, change, outcome, instance, result)
        if change.op == wire.UPDATE and not outcome.to_write:
            # Nothing left to write (e.g. the other side won): the record stays as it is.
            result.status = outcome.status
            result.values = self.rows.theirs(synced, instance.pk)
            result.version = self.rows.version(synced, instance.pk)
            result.category = synced.category_key_of(instance)
            return result
        return self._save(pushed, outcome, instance, result)

    def _conflict(self, synced, outcome: Outcome, instance, result) -> wire.ChangeResult:
        result.status = wire.CONFLICT
        result.conflicts = outcome.conflicts or {}
        result.message = "changed on the server since your base version"
        if instance is None:
            result.deleted = True
            result.message = "deleted on the server"
        else:
            result.values = self.rows.theirs(synced, instance.pk)
        result.version = self.rows.version(synced, result.pk) or None
        return result

    def _delete(self, synced, outcome: Outcome, instance, result) -> wire.ChangeResult:
        if instance is not None:
            self.keep(synced, instance, outcome.note or "deleted through sync")
            self.writing = True
            try:
                instance.delete()
            except (ProtectedError, RestrictedError) as error:
                raise Rejected({"__all__": [str(error.args[0])]}) from None
            except IntegrityError as error:
                raise Rejected({"__all__": [f"the database refused it: {error}"]}) from None
            self.rows.wrote(synced, result.pk)
        result.status, result.deleted = wire.APPLIED, True
        result.version = self.rows.version(synced, result.pk) or None
        self.written.append((result, synced, None))
        return result

    def _keep_lost(self, synced, change, outcome: Outcome, instance, result) -> None:
        """Kept, and told: the editor learns which edit lost and where it is kept."""
        result.lost = list(outcome.lost_fields)
        result.message = (
            f"your edit of {', '.join(outcome.lost_fields)} {outcome.told}; "
            "it is kept in the record's history on the central site"
        )
        self.kept_now.append(
            history.lost_edit(
                synced, instance.pk, outcome.lost, change.base_version, self.device, outcome.note
            )
        )

    def _save(self, pushed: PushedChange, outcome: Outcome, instance, result):
        synced, change = pushed.synced, pushed.change
        updating = instance.pk is not None and not instance._state.adding
        if updating:
            self.keep(synced, instance, outcome.note or "replaced through sync")
        try:
            m2m = assign_values(synced, instance, outcome.to_write or {})
        except FieldErrors as error:
            raise Rejected(error.errors) from None
        # The category the row will be in, many-to-many values included (FlatPage.sites):
        # a row of a categorised model left in none would leave every feed unseen.
        key = self.rights.category_of(synced, change, instance, m2m)
        try:
            # An update checks the fields it changes; a new record checks them all.
            unchanged = [
                f.name for f in synced.model._meta.fields if f.name not in (outcome.to_write or {})
            ]
            instance.full_clean(exclude=unchanged if updating else None)
        except ValidationError as error:
            raise Rejected(error_dict(error)) from None
        lock_feeds([key])
        self.writing = True
        try:  # a refused write is undone (batch.py: `_undone_if_refused`)
            # A new record is inserted, never an UPDATE of a row with its key that
            # appeared since full_clean() (a natural key taken meanwhile).
            instance.save(force_insert=not updating)
            for name, ids in m2m.items():
                getattr(instance, name).set(ids)
        except IntegrityError as error:
            raise Rejected({"__all__": [f"the database refused it: {error}"]}) from None
        result.status = outcome.status
        result.pk = synced.wire_pk(instance.pk)
        if result.temp_pk:
            self.temp_pks[(synced.label, result.temp_pk)] = instance.pk
        self.rows.wrote(synced, instance.pk)
        self.written.append((result, synced, instance))
        return result

    def keep(self, synced: SyncedModel, instance: models.Model, note: str) -> None:
        """Keep the version about to be replaced in the record's history."""
        kept = history.keep_version(
            synced,
            instance,
            note,
            row=self.rows.latest_row(synced, instance.pk),
            values=self.rows.theirs(synced, instance.pk),
            save=False,
        )
        if kept is not None:
            self.kept_now.append(kept)

    # -- the whole batch --------------------------------------------------------------

    def complete(self) -> None:
        """Versions and values of everything written, for the whole batch.

        The values are read back from the database once the batch's writes
        are tracked, not taken from the instances saved: the host's own
        signals, a custom ``save()`` or the database may have written more,
        and the pushing editor must hold what every other editor pulls.
        """
        versions = self.collector.flush() if self.collector is not None else {}
        by_model: dict = {}
        for _result, synced, instance in self.written:
            if instance is not None:
                by_model.setdefault(synced, set()).add(instance.pk)
        stored = {}
        for synced, pks in by_model.items():
            for pk, record in feed.stored_records(synced, pks, with_category=True).items():
                stored[(synced.label, pk)] = record
        for result, synced, instance in self.written:
            key = (synced.label, str(result.pk))
            result.version = versions.get(key, result.version)
            if instance is None:
                continue
            record = stored.get(key)
            if record is None:  # what the save set off deleted it
                result.values, result.category, result.deleted = None, None, True
            else:
                result.values = record.values
                result.category = synced.category_key_of(record.instance)

    def save_history(self) -> None:
        RecordVersion.objects.bulk_create(self.kept, batch_size=500)


def assign_values(
    synced: SyncedModel, instance: models.Model, values: dict, *, store_files: bool = True
) -> dict:
    """Set wire values on an instance; returns the many-to-many ids to set after saving.

    Each value is read by its row of the field table first (its JSON type and
    format: a datetime without an offset is refused, a decimal stays exact),
    then by the Django field. Raises FieldErrors naming each field that cannot
    take its value, else NeedsFiles naming the contents the site does not
    hold. A file's content is stored in the field's storage as it is set
    (stored_files.attach); `store_files=False` only checks that the site holds
    it. Shared by pushes, review decisions and restores, so all convert values
    alike.
    """
    errors: dict[str, list[str]] = {}
    m2m: dict[str, list] = {}
    missing: list[str] = []
    for name, value in values.items():
        field = synced.field(name)
        try:
            read = synced.types[name].check(value)
            if field.many_to_many:
                m2m[name] = _existing_keys(field, read or [])
            elif field.is_relation:
                converted = None if read is None else field.target_field.to_python(read)
                setattr(instance, field.attname, converted)
            elif isinstance(field, models.FileField):
                _set_file(field, instance, read, store_files)
            else:
                setattr(instance, field.attname, field.to_python(_for_site(field, read)))
        except FieldValueError as error:
            errors[name] = [str(error)]
        except ValidationError as error:
            errors[name] = list(error.messages)
        except stored_files.NeedsFiles as needed:
            missing += needed.digests
    if errors:
        raise FieldErrors(errors)
    if missing:
        raise stored_files.NeedsFiles(missing)
    return m2m


def _existing_keys(field: models.ManyToManyField, keys: list) -> list:
    target_pk = field.related_model._meta.pk
    ids = [target_pk.to_python(key) for key in keys]
    distinct = list(set(ids))
    found = 0
    for start in range(0, len(distinct), 500):
        chunk = distinct[start : start + 500]
        found += field.related_model._default_manager.filter(pk__in=chunk).count()
    if found != len(distinct):
        raise ValidationError("refers to a record that does not exist")
    return ids


def _set_file(field: models.FileField, instance: models.Model, value, store: bool) -> None:
    """A reference attaches its content; "" (or null) is no file, which the
    field's blank and null rules then judge (full_clean)."""
    ref = files.read_ref(value)
    if ref is None:
        setattr(instance, field.attname, None if value is None and field.null else "")
        return
    stored_files.attach(field, instance, ref, store=store)


def _for_site(field: models.Field, value):
    """An instant as the site stores it: naive in its own time zone when USE_TZ is off."""
    if isinstance(value, datetime.datetime) and not settings.USE_TZ and timezone.is_aware(value):
        return timezone.make_naive(value)
    return value
