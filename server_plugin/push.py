"""Applying a pushed batch of changes: the merge rules, in one place.

A batch runs in one transaction. Each change is first looked up among the
recorded receipts (a retried batch is answered from them and applies nothing
twice); otherwise its receipt is claimed first (so a copy of the batch sent at
the same moment waits, then reads the answer) and the change applied:

- same base version as the server's: apply (fast-forward);
- the server moved: merge field by field (merge.py); a clean merge is
  applied, anything else is a conflict answered with the server's state;
- invalid values, a missing right (a model permission, a category grant, a
  model the site made read-only), a parent or a category deleted centrally
  meanwhile: rejected with the reason, nothing written, the other changes of
  the batch unaffected. Rights and rows change while an editor is offline;
  one such change must never hold back the others.

Problems with the request itself (unknown model or field, a malformed key)
and a lease this device no longer holds on the category a change says it is
in raise ApiError, which rolls the whole batch back: a 4xx, nothing written,
and the same batch applies once the device checks the category out again
(docs/decisions.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from . import feed, history, policies
from .access import may_see_category, model_permission_refusal
from .bulk import update_rows
from .checkouts import require_checkout
from .errors import ApiError, bad_request
from .models import ChangeReceipt, Device, RecordFlag, RecordVersion, ReviewItem, TrackedRow
from .protocol import merge, wire
from .protocol.fields import FieldValueError
from .registry import REFERENCE_KEY, SyncedModel, get_registry
from .tracking import (
    acting_as,
    collecting,
    current_author,
    feeds_locked_here,
    lock_feeds,
    own_rows,
)

_DEADLOCK_RETRIES = 3


def push(device: Device, changes: list[wire.Change], reviewer=None) -> list[dict]:
    """Apply a batch; returns one result (ChangeResult JSON) per change, in order.

    With `reviewer` (a chief editor accepting queued updates) the review
    policy and the checkout requirement are set aside: the decision is made.
    """
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            with (
                transaction.atomic(),
                acting_as(device.user, device),
                feeds_locked_here(),
                collecting() as collector,
            ):
                return _Batch(device, reviewer, collector).apply(changes)
        except OperationalError as error:
            # PostgreSQL aborts one of two batches that lock categories in
            # opposite orders; the whole batch was rolled back, so run it again.
            if "deadlock" not in str(error).lower() or attempt == _DEADLOCK_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


@dataclass
class _Outcome:
    status: str
    instance: models.Model | None = None
    to_write: dict | None = None
    conflicts: dict | None = None
    note: str = ""  # why the server's version was replaced, for its history entry
    lost: dict | None = None  # an offline edit the policy decided against, kept in history
    lost_fields: tuple = ()  # the fields of that edit which lost
    told: str = ""  # what the losing editor is told


class FieldErrors(Exception):
    """Values a record cannot take: field name -> messages."""

    def __init__(self, errors: dict):
        super().__init__(_first_error(errors))
        self.errors = errors


class _Rejected(Exception):
    def __init__(self, errors: dict, message: str = ""):
        super().__init__(message or "rejected")
        self.errors = errors
        self.message = message


@dataclass
class _Known:
    """What a batch reads once, up front, about the records its changes touch."""

    instances: dict  # str(pk) -> the row, locked for this transaction
    rows: dict  # str(pk) -> its side-table entries
    theirs: dict  # str(pk) -> its current values, as the wire carries them
    flags: dict  # str(pk) -> a policy flag of the single record


class _Batch:
    def __init__(self, device: Device, reviewer=None, collector=None):
        self.device = device
        self.user = device.user
        self.reviewer = reviewer
        self.collector = collector
        self.registry = get_registry()
        self.checked_out: set[str] = set()
        self.changes: list[wire.Change] = []
        self.known: dict[str, _Known] = {}
        self.touched: set = set()  # (label, str pk) written earlier in this batch
        self.temp_pks: dict = {}  # (label, temp pk) -> permanent pk, made in this batch
        self.written: list = []  # (result, synced, instance) whose version comes at the end
        self.kept: list = []  # versions to keep in history, saved at the end of the batch
        self.kept_now: list = []  # those of the change being applied

    def apply(self, changes: list[wire.Change]) -> list[dict]:
        self.changes = changes
        receipts = {
            str(receipt.change_id): receipt
            for receipt in ChangeReceipt.objects.filter(change_id__in=[c.id for c in changes])
        }
        for where, change in _indexed(changes):
            receipt = receipts.get(change.id)
            if receipt is not None and receipt.device_id != self.device.pk:
                raise ApiError(
                    409,
                    "duplicate_change_id",
                    "This change id was already used by another device.",
                    where=f"{where}.id",
                )
            if receipt is None:
                self._check_request(where, change)
        receipts.update(self._claim([c for c in changes if c.id not in receipts]))
        answers: dict[str, wire.ChangeResult] = {}
        for where, change in _indexed(changes):
            receipt = receipts.get(change.id)
            if receipt is None:
                answers[change.id] = self._apply_one(where, change)
        self._complete_written()
        RecordVersion.objects.bulk_create(self.kept, batch_size=500)
        self._record_answers(answers)
        return [
            answers[c.id].to_json() if c.id in answers else receipts[c.id].result for c in changes
        ]

    def _claim(self, changes: list[wire.Change]) -> dict:
        """Write the receipts before applying: a copy of this batch running at the
        same moment waits on them, then is answered from them. Returns the ones
        another copy answered meanwhile (the rest are ours to apply)."""
        if not changes:
            return {}
        ChangeReceipt.objects.bulk_create(
            [
                ChangeReceipt(
                    change_id=c.id,
                    device=self.device,
                    model_label=c.model,
                    object_pk=str(c.pk),
                    status="",
                    result={},
                )
                for c in changes
            ],
            ignore_conflicts=True,
        )
        answered = ChangeReceipt.objects.filter(change_id__in=[c.id for c in changes]).exclude(
            status=""
        )
        return {str(receipt.change_id): receipt for receipt in answered}

    def _record_answers(self, answers: dict) -> None:
        claimed = list(ChangeReceipt.objects.filter(change_id__in=list(answers), status=""))
        for receipt in claimed:
            result = answers[str(receipt.change_id)]
            receipt.model_label, receipt.object_pk = result.model, str(result.pk)
            receipt.temp_pk, receipt.status = result.temp_pk, result.status
            receipt.result = result.to_json()
        update_rows(
            ChangeReceipt, claimed, ["model_label", "object_pk", "temp_pk", "status", "result"]
        )

    def _complete_written(self) -> None:
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

    # -- what the batch knows of the records it touches ----------------------

    def _known_of(self, synced: SyncedModel) -> _Known:
        """Read (and lock) the batch's records of one model at once, feeds first."""
        if synced.label in self.known:
            return self.known[synced.label]
        pk_field = synced.model._meta.pk
        pks = set()
        for change in self.changes:
            if change.model.lower() == synced.label and not wire.is_temp_pk(change.pk):
                try:
                    pks.add(str(pk_field.to_python(change.pk)))
                except ValidationError:
                    continue
        known = _Known({}, {}, {}, {})
        content_type = ContentType.objects.get_for_model(synced.model)
        for chunk in _chunks(sorted(pks)):
            rows = TrackedRow.objects.filter(content_type=content_type, object_pk__in=chunk)
            for row in rows.select_related("changed_by", "changed_by_device"):
                known.rows.setdefault(row.object_pk, []).append(row)
        # Feed lock first, then the rows: the same order as every other writer.
        lock_feeds({row.category_key for rows in known.rows.values() for row in rows
                    if not row.deleted})  # fmt: skip
        for chunk in _chunks(sorted(pks)):
            # A row a registered multi-table child owns is the child's record, not this one's.
            locked = own_rows(synced).select_for_update().filter(pk__in=chunk)
            known.instances.update({str(obj.pk): obj for obj in locked})
        for item in synced.serialize(list(known.instances.values())):
            known.theirs[str(item["pk"])] = item["fields"]
        flags = RecordFlag.objects.filter(content_type=content_type, object_pk__in=list(pks))
        known.flags = dict(flags.values_list("object_pk", "policy"))
        self.known[synced.label] = known
        return known

    def _fresh(self, synced: SyncedModel, pk) -> None:
        """A record written earlier in this batch: track that write and re-read it."""
        if (synced.label, str(pk)) not in self.touched:
            return
        self._complete_written()
        known = self._known_of(synced)
        instance = own_rows(synced).select_for_update().filter(pk=pk).first()
        content_type = ContentType.objects.get_for_model(synced.model)
        known.rows[str(pk)] = list(
            TrackedRow.objects.filter(content_type=content_type, object_pk=str(pk))
        )
        known.instances.pop(str(pk), None)
        known.theirs.pop(str(pk), None)
        if instance is not None:
            known.instances[str(pk)] = instance
            known.theirs[str(pk)] = synced.values_of(instance)
        self.touched.discard((synced.label, str(pk)))

    def _version(self, synced: SyncedModel, pk) -> int:
        rows = self._known_of(synced).rows.get(str(pk), [])
        return max((row.version for row in rows), default=0)

    def _live_row(self, synced: SyncedModel, pk) -> TrackedRow | None:
        rows = self._known_of(synced).rows.get(str(pk), [])
        return next((row for row in rows if not row.deleted), None)

    def _policy(self, synced: SyncedModel, pk) -> str:
        if pk is None:
            return synced.policy
        return self._known_of(synced).flags.get(str(pk)) or synced.policy

    # -- checks that fail the whole request -------------------------------

    def _synced(self, where: str, label: str) -> SyncedModel:
        synced = self.registry.get(label)
        if synced is None:
            raise bad_request(f"unknown model {label!r}", where=f"{where}.model")
        return synced

    def _check_request(self, where: str, change: wire.Change) -> None:
        synced = self._synced(where, change.model)
        for part in ("values", "base_values"):
            unknown = sorted(set(getattr(change, part)) - set(synced.field_names))
            if unknown:
                raise bad_request(
                    f"{synced.label} has no synced field {', '.join(map(repr, unknown))}",
                    where=f"{where}.{part}",
                )
        if wire.is_temp_pk(change.pk):
            if change.op == wire.CREATE and not synced.integer_pk:
                raise bad_request(
                    f"{synced.label} has a {synced.model._meta.pk.get_internal_type()} primary "
                    "key: create it with its final id, not a temporary one",
                    where=f"{where}.pk",
                )
        elif change.op == wire.CREATE and synced.integer_pk:
            raise bad_request(
                f"{synced.label} has an integer primary key: create it with a temporary id "
                f"'{wire.TEMP_PK_PREFIX}<uuid>'",
                where=f"{where}.pk",
            )
        else:
            try:
                synced.model._meta.pk.to_python(change.pk)
            except ValidationError:
                problem = f"{change.pk!r} is not a valid primary key"
                raise bad_request(problem, where=f"{where}.pk") from None

    # -- checks that reject one change ----------------------------------------

    def _require_rights(self, synced: SyncedModel, change: wire.Change) -> None:
        """A model clients may write, and the user's Django permission for the
        operation: rights that may have narrowed since the edit was made."""
        if not synced.writable:
            raise _Rejected({"__all__": [f"{synced.label} is read-only reference data."]})
        refusal = model_permission_refusal(self.user, synced, change.op)
        if refusal is not None:
            raise _Rejected({"__all__": [refusal]})

    def _require_writable_category(
        self, key: str | None, synced: SyncedModel, change: wire.Change, instance=None
    ) -> None:
        """This device may write to category `key` (where the record is, or goes).

        A lost grant, a category deleted centrally, or a category the change does
        not say it is in (the record moved there centrally) rejects the change
        alone. A lease this device no longer holds on the category the change
        says it is in refuses the batch (409): checking out again lets the
        same changes through, which a rejection would not.
        """
        if key is None or synced.is_reference or key == REFERENCE_KEY or key in self.checked_out:
            return
        if self.reviewer is not None:
            return  # a chief editor's decision needs no lease
        if not may_see_category(self.user, key):
            raise _Rejected({"__all__": [f"You have no grant for category {key}."]})
        try:
            require_checkout(self.device, key)
        except ApiError:
            if not self._category_exists(key):
                raise self._parent_gone(synced, instance) or _Rejected(
                    {"__all__": [f"category {key} no longer exists on the central site"]}
                ) from None
            if change.category is not None and str(change.category) != key:
                noun = synced.model._meta.verbose_name
                raise _Rejected(
                    {"__all__": [f"this {noun} is in category {key} on the central site, "
                                 "which this device has not checked out"]}
                ) from None  # fmt: skip
            raise
        self.checked_out.add(key)

    def _category_exists(self, key: str) -> bool:
        category_model = self.registry.category_model
        try:
            return category_model._default_manager.filter(pk=key).exists()
        except (ValueError, TypeError, ValidationError):
            return False

    def _category_or_reject(
        self, synced: SyncedModel, change: wire.Change, instance, m2m: dict | None = None
    ) -> str | None:
        """The category a record with these values belongs to, checked writable; a
        categorised record whose path leads nowhere is rejected, naming the field."""
        key = synced.category_key_of(instance, m2m)
        if key is None and not synced.is_reference:
            hop = synced.category_path.split("__")[0]
            raise self._parent_gone(synced, instance) or _Rejected(
                {hop: ["must lead to a category; these values lead to none"]}
            )
        self._require_writable_category(key, synced, change, instance)
        return key

    @staticmethod
    def _parent_gone(synced: SyncedModel, instance) -> _Rejected | None:
        """The first hop of the category path checked as full_clean() checks it, in
        Django's words ("station instance with id 6 is not a valid choice."): the
        row it names was deleted centrally while the editor was offline."""
        if instance is None or synced.category_path is None:
            return None
        hop = synced.category_path.split("__")[0]
        others = [f.name for f in synced.model._meta.fields if f.name != hop]
        try:
            instance.clean_fields(exclude=others)
        except ValidationError as error:
            return _Rejected(_error_dict(error))
        return None

    # -- one change -------------------------------------------------------

    def _apply_one(self, where: str, change: wire.Change) -> wire.ChangeResult:
        synced = self._synced(where, change.model)
        result = wire.ChangeResult(
            id=change.id, status=wire.REJECTED, model=synced.label, pk=change.pk
        )
        author = current_author()
        author.hlc, author.edit_kind = change.hlc or "", change.edit_kind or "minor"
        mark = self.collector.mark() if self.collector is not None else set()
        self.kept_now = []
        try:
            # A savepoint per change: a change rejected half-way (after its
            # history entry, say) leaves nothing behind; the others stand.
            with transaction.atomic():
                self._require_rights(synced, change)
                pk = self._resolve_pk(synced, change, result)
                values = self._resolve_references(synced, change.values)
                if pk is not None:
                    self._fresh(synced, pk)  # may track the batch's writes so far
                mark = self.collector.mark() if self.collector is not None else set()
                policy = self._policy(synced, pk)
                if policy == wire.POLICY_REVIEW and self.reviewer is None:
                    return self._queue_for_review(synced, change, pk, values, result)
                if change.op == wire.CREATE:
                    outcome = self._create(synced, pk, values)
                elif change.op == wire.UPDATE:
                    outcome = self._update(synced, pk, change, values)
                else:
                    outcome = self._delete(synced, pk, change)
                finished = self._finish(synced, change, outcome, result)
            self.kept += self.kept_now
            self._note_written_alongside()
            return finished
        except _Rejected as rejection:
            if self.collector is not None:
                self.collector.forget_since(mark)
            result.status = wire.REJECTED
            result.errors = rejection.errors
            result.message = rejection.message or _first_error(rejection.errors)
            return result

    def _resolve_pk(self, synced: SyncedModel, change: wire.Change, result: wire.ChangeResult):
        if not wire.is_temp_pk(change.pk):
            return synced.model._meta.pk.to_python(change.pk)
        if change.op == wire.CREATE:
            result.temp_pk = change.pk
            return None
        return self._permanent_pk(synced, change.pk, "pk")

    def _permanent_pk(self, synced: SyncedModel, temp_pk: str, field_name: str):
        # A key to a multi-table parent may name a new row of a child (a note's
        # artefact: a painting created offline).
        labels = [kind.label for kind in self.registry.kinds_of(synced.model)] or [synced.label]
        for label in labels:
            made_here = self.temp_pks.get((label, temp_pk))
            if made_here is not None:
                return made_here
        receipt = (
            ChangeReceipt.objects.filter(
                device=self.device,
                temp_pk=temp_pk,
                model_label__in=labels,
                status__in=(wire.APPLIED, wire.MERGED),
            )
            .values_list("object_pk", flat=True)
            .first()
        )
        if receipt is None:
            raise _Rejected({field_name: [f"refers to {temp_pk}, a record that was not created"]})
        return synced.model._meta.pk.to_python(receipt)

    def _resolve_references(self, synced: SyncedModel, values: dict) -> dict:
        """Temporary ids in foreign keys and many-to-many values -> permanent ones."""
        resolved = dict(values)
        for name, value in values.items():
            field = synced.field(name)
            if not field.is_relation:
                continue
            target = self.registry.for_model(field.related_model)
            if target is None:
                continue
            if field.many_to_many and isinstance(value, list):
                resolved[name] = [
                    self._permanent_pk(target, v, name) if wire.is_temp_pk(v) else v for v in value
                ]
            elif wire.is_temp_pk(value):
                resolved[name] = self._permanent_pk(target, value, name)
        return resolved

    def _locked_instance(self, synced: SyncedModel, pk) -> models.Model | None:
        return self._known_of(synced).instances.get(str(pk))

    def _create(self, synced: SyncedModel, pk, values: dict) -> _Outcome:
        instance = synced.model() if pk is None else synced.model(pk=pk)
        return _Outcome(wire.APPLIED, instance, values)

    def _update(self, synced: SyncedModel, pk, change: wire.Change, values: dict) -> _Outcome:
        instance = self._locked_instance(synced, pk)
        version = self._version(synced, pk)
        if instance is None:
            if version == 0:
                raise _Rejected({"pk": [f"no {synced.label} with id {pk}"]})
            conflicts = {
                name: merge.FieldConflict(change.base_values.get(name), value, None).to_json()
                for name, value in values.items()
            }
            return _Outcome(wire.CONFLICT, None, None, conflicts)
        self._require_writable_category(synced.category_key_of(instance), synced, change, instance)
        if change.base_version == version:
            return _Outcome(wire.APPLIED, instance, values)
        theirs = self._known_of(synced).theirs[str(pk)]
        merged = merge.three_way_merge(change.base_values, values, theirs, synced.types)
        if merged.clean:
            return _Outcome(wire.MERGED, instance, merged.values)
        decision = policies.decide(self._policy(synced, pk), change, self._live_row(synced, pk))
        if decision.winner == policies.ASK:
            conflicts = {name: c.to_json() for name, c in merged.conflicts.items()}
            return _Outcome(wire.CONFLICT, instance, None, conflicts)
        outcome = _Outcome(
            wire.MERGED, instance, policies.resolved_values(decision, merged), note=decision.note
        )
        if decision.winner == policies.THEIRS:
            outcome.lost = {
                **theirs,
                **merge.changed_fields(change.base_values, values, synced.types),
            }
            outcome.lost_fields = tuple(sorted(merged.conflicts))
            outcome.told = decision.told
        return outcome

    def _delete(self, synced: SyncedModel, pk, change: wire.Change) -> _Outcome:
        instance = self._locked_instance(synced, pk)
        if instance is None:
            return _Outcome(wire.APPLIED, None)  # already gone: deleting twice is fine
        self._require_writable_category(synced.category_key_of(instance), synced, change, instance)
        version = self._version(synced, pk)
        if change.base_version != version:
            # Deleting would silently drop an edit the editor never saw, unless
            # the policy says the offline side wins (the edit stays in history).
            decision = policies.decide(self._policy(synced, pk), change, self._live_row(synced, pk))
            if decision.winner != policies.MINE:
                return _Outcome(wire.CONFLICT, instance, None, {})
            return _Outcome(wire.APPLIED, instance, None, note=decision.note)
        return _Outcome(wire.APPLIED, instance, None)

    def _queue_for_review(self, synced, change, pk, values, result) -> wire.ChangeResult:
        """Nothing is applied: the update waits in the admin for a chief editor."""
        instance = synced.model._default_manager.filter(pk=pk).first() if pk is not None else None
        if change.op != wire.CREATE and instance is None:
            raise _Rejected({"pk": [f"no {synced.label} with id {pk}"]})
        key = None
        if instance is not None:
            key = synced.category_key_of(instance)
            self._require_writable_category(key, synced, change, instance)
        probe = synced.model._default_manager.get(pk=pk) if instance else synced.model()
        if change.op != wire.DELETE:
            try:
                m2m = assign_values(synced, probe, values)  # values checked now, applied later
            except FieldErrors as error:
                raise _Rejected(error.errors) from None
            key = self._category_or_reject(synced, change, probe, m2m)
        ReviewItem.objects.create(
            change_id=change.id,
            device=self.device,
            editor=self.user,
            content_type=ContentType.objects.get_for_model(synced.model),
            object_pk=str(change.pk if pk is None else pk),
            category_key=key or "",
            op=change.op,
            base_version=change.base_version,
            base_values=change.base_values,
            values=values,
        )
        result.status = wire.REVIEW
        result.message = "waiting for a chief editor's review"
        if instance is not None:
            result.pk = synced.wire_pk(instance.pk)
        return result

    # -- writing ------------------------------------------------------------

    def _finish(self, synced, change, outcome: _Outcome, result: wire.ChangeResult):
        instance = outcome.instance
        known = self._known_of(synced)
        if instance is not None and instance.pk is not None:
            result.pk = synced.wire_pk(instance.pk)
        if outcome.status == wire.CONFLICT:
            result.status = wire.CONFLICT
            result.conflicts = outcome.conflicts or {}
            result.message = "changed on the server since your base version"
            if instance is None:
                result.deleted = True
                result.message = "deleted on the server"
            else:
                result.values = known.theirs[str(instance.pk)]
            result.version = self._version(synced, result.pk) or None
            return result

        if change.op == wire.DELETE:
            if instance is not None:
                self._keep(synced, instance, outcome.note or "deleted through sync")
                try:
                    instance.delete()
                except (ProtectedError, RestrictedError) as error:
                    raise _Rejected({"__all__": [str(error.args[0])]}) from None
                self._wrote(synced, result.pk)
            result.status, result.deleted = wire.APPLIED, True
            result.version = self._version(synced, result.pk) or None
            self.written.append((result, synced, None))
            return result

        if outcome.lost is not None:
            # Kept, and told: the editor learns which edit lost and where it is kept.
            result.lost = list(outcome.lost_fields)
            result.message = (
                f"your edit of {', '.join(outcome.lost_fields)} {outcome.told}; "
                "it is kept in the record's history on the central site"
            )
            self.kept_now.append(
                history.lost_edit(
                    synced,
                    instance.pk,
                    outcome.lost,
                    change.base_version,
                    self.device,
                    outcome.note,
                )
            )
        if change.op == wire.UPDATE and not outcome.to_write:
            # Nothing left to write (e.g. the other side won): the record stays as it is.
            result.status = outcome.status
            result.values = known.theirs[str(instance.pk)]
            result.version = self._version(synced, instance.pk)
            result.category = synced.category_key_of(instance)
            return result
        updating = instance.pk is not None and not instance._state.adding
        if updating:
            self._keep(synced, instance, outcome.note or "replaced through sync")
        try:
            m2m = assign_values(synced, instance, outcome.to_write or {})
        except FieldErrors as error:
            raise _Rejected(error.errors) from None
        # The category the row will be in, many-to-many values included (FlatPage.sites):
        # a row of a categorised model left in none would leave every feed unseen.
        key = self._category_or_reject(synced, change, instance, m2m)
        try:
            # An update checks the fields it changes; a new record checks them all.
            unchanged = [
                f.name for f in synced.model._meta.fields if f.name not in (outcome.to_write or {})
            ]
            instance.full_clean(exclude=unchanged if updating else None)
        except ValidationError as error:
            raise _Rejected(_error_dict(error)) from None
        lock_feeds([key])
        try:  # the change's savepoint undoes a refused write
            # A new record is inserted, never an UPDATE of a row with its key that
            # appeared since full_clean() (a natural key taken meanwhile).
            instance.save(force_insert=not updating)
            for name, ids in m2m.items():
                getattr(instance, name).set(ids)
        except IntegrityError as error:
            raise _Rejected({"__all__": [f"the database refused it: {error}"]}) from None
        result.status = outcome.status
        result.pk = synced.wire_pk(instance.pk)
        if result.temp_pk:
            self.temp_pks[(synced.label, result.temp_pk)] = instance.pk
        self._wrote(synced, instance.pk)
        self.written.append((result, synced, instance))
        return result

    def _keep(self, synced: SyncedModel, instance: models.Model, note: str) -> None:
        """Keep the version about to be replaced in the record's history."""
        pk = str(instance.pk)
        row = max(self._known_of(synced).rows.get(pk, []), key=lambda r: r.version, default=None)
        kept = history.keep_version(
            synced,
            instance,
            note,
            row=row,
            values=self._known_of(synced).theirs.get(pk),
            save=False,
        )
        if kept is not None:
            self.kept_now.append(kept)

    def _wrote(self, synced: SyncedModel, pk) -> None:
        self.touched.add((synced.label, str(pk)))

    def _note_written_alongside(self) -> None:
        """Rows a change wrote besides its own (a cascade of its delete, the host's
        signals) are read afresh when a later change of the batch touches them:
        the copies read up front may be gone or stale."""
        if self.collector is not None:
            self.touched.update(self.collector.pending)


def assign_values(synced: SyncedModel, instance: models.Model, values: dict) -> dict:
    """Set wire values on an instance; returns the many-to-many ids to set after saving.

    Each value is read by its row of the field table first (its JSON type and
    format: a datetime without an offset is refused, a decimal stays exact),
    then by the Django field. Raises FieldErrors naming each field that cannot
    take its value. Shared by pushes, review decisions and restores, so all
    convert values alike.
    """
    errors: dict[str, list[str]] = {}
    m2m: dict[str, list] = {}
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
                _keep_file_name(field, instance, read)
            else:
                setattr(instance, field.attname, field.to_python(_for_site(field, read)))
        except FieldValueError as error:
            errors[name] = [str(error)]
        except ValidationError as error:
            errors[name] = list(error.messages)
    if errors:
        raise FieldErrors(errors)
    return m2m


def _existing_keys(field: models.ManyToManyField, keys: list) -> list:
    target_pk = field.related_model._meta.pk
    ids = [target_pk.to_python(key) for key in keys]
    found = field.related_model._default_manager.filter(pk__in=ids).count()
    if found != len(set(ids)):
        raise ValidationError("refers to a record that does not exist")
    return ids


def _keep_file_name(field: models.FileField, instance: models.Model, name) -> None:
    """File content does not sync yet: a client may keep a file or send none, not
    name another one (a path it typed would be stored as given)."""
    current = getattr(instance, field.attname).name or ""
    if (name or "") not in (current, ""):
        raise ValidationError("files cannot be attached from a client yet; this field is kept")
    if not name and current and not instance._state.adding:
        raise ValidationError("files cannot be removed from a client yet; this field is kept")


def _for_site(field: models.Field, value):
    """An instant as the site stores it: naive in its own time zone when USE_TZ is off."""
    if isinstance(value, datetime.datetime) and not settings.USE_TZ and timezone.is_aware(value):
        return timezone.make_naive(value)
    return value


def _error_dict(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            name: list(ValidationError(msgs).messages) for name, msgs in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}


def _first_error(errors: dict) -> str:
    for name, messages in errors.items():
        if messages:
            return messages[0] if name == "__all__" else f"{name}: {messages[0]}"
    return "rejected"


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _indexed(changes: list[wire.Change]):
    return ((f"changes[{index}]", change) for index, change in enumerate(changes))
