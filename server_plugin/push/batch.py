"""A pushed batch, applied in one transaction: the order of things, in one place.

1. Changes already answered are found by their receipts (receipts.py) and
   answered from them: a retried batch applies nothing twice.
2. The others are read against the registry (parse.py): a request that is
   not a push of this site's models is refused (400) before anything is
   written. Their receipts are claimed.
3. Each change, in order: rights (rights.py), its key and references made
   permanent (temporary ids), the record read (rows.py), the outcome
   decided (decide.py, pure) and written (write.py). A problem of the change
   alone is answered `rejected`; the others stand.
4. The batch's writes are tracked, results completed, history and receipts
   recorded.

A change is refused, nearly always, before it writes anything (its values,
rights, `full_clean()`), so the batch runs first without a savepoint per
change (two round trips each on PostgreSQL). A change refused after its
write began (the database's own refusal, an `IntegrityError`) cannot be
undone alone there: the whole batch is rolled back and run again with a
savepoint around each change's write. Either way, what a change wrote stands
or is gone with it; nothing is applied twice (docs/decisions.md).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, transaction

from .. import stored_files, uploads
from ..models import Device, ReviewItem
from ..protocol import wire
from ..registry import SyncedModel, get_registry
from ..tracking import acting_as, collecting, current_author, feeds_locked_here
from . import receipts
from .decide import Edit, Server, decide
from .parse import PushedChange, parse_change
from .rejected import FieldErrors, Rejected, first_error
from .rights import WriteRights
from .rows import BatchRows
from .write import Writer, assign_values

_DEADLOCK_RETRIES = 3


def push(device: Device, changes: list[wire.Change], reviewer=None) -> list[dict]:
    """Apply a batch; returns one result (ChangeResult JSON) per change, in order.

    With `reviewer` (a chief editor accepting queued updates) the review
    policy and the checkout requirement are set aside: the decision is made.
    """
    careful = False  # a savepoint around each change's write
    deadlocks = 0
    while True:
        try:
            with (
                stored_files.removed_on_failure(),  # files a rolled-back batch stored
                transaction.atomic(),
                acting_as(device.user, device),
                feeds_locked_here(),
                collecting() as collector,
            ):
                return _Batch(device, reviewer, collector, careful=careful).apply(changes)
        except _RefusedAfterWriting:
            careful = True  # rolled back whole: run it again, each write undoable alone
        except OperationalError as error:
            # PostgreSQL aborts one of two batches that lock categories in
            # opposite orders; the whole batch was rolled back, so run it again.
            deadlocks += 1
            if "deadlock" not in str(error).lower() or deadlocks == _DEADLOCK_RETRIES:
                raise


class _RefusedAfterWriting(Exception):
    """A change was refused once its write had begun, outside a savepoint."""


def _attached_contents(pending: list[PushedChange], answers: dict) -> set[str]:
    """The sha256 of the file contents that changes applied or merged named."""
    found = set()
    for pushed in pending:
        result = answers.get(pushed.id)
        if result is None or result.status not in (wire.APPLIED, wire.MERGED):
            continue
        for name, value in pushed.change.values.items():
            if isinstance(value, dict) and pushed.synced.types[name].kind == "file":
                found.add(value.get("sha256"))
    return found


class _Batch:
    def __init__(self, device: Device, reviewer=None, collector=None, *, careful=False):
        self.device = device
        self.careful = careful
        self.reviewer = reviewer
        self.collector = collector
        self.registry = get_registry()
        self.rights = WriteRights(device, self.registry, reviewer=reviewer)

    def apply(self, changes: list[wire.Change]) -> list[dict]:
        answered = receipts.recorded(self.device, changes)
        pending = [
            parse_change(f"changes[{index}]", change, self.registry)
            for index, change in enumerate(changes)
            if change.id not in answered
        ]
        self.rows = BatchRows(pending)
        self.writer = Writer(self.rows, self.rights, self.collector)
        answered.update(receipts.claim(self.device, pending))
        answers: dict[str, wire.ChangeResult] = {}
        for pushed in pending:
            if pushed.id not in answered:
                answers[pushed.id] = self._apply_one(pushed)
        self.writer.complete()
        self.writer.save_history()
        self.rights.renew_leases()
        waiting = {i for i, result in answers.items() if result.status == wire.NEEDS_FILES}
        receipts.record({i: result for i, result in answers.items() if i not in waiting})
        receipts.release(waiting)  # sent again, frozen, once its files are uploaded
        attached = _attached_contents(pending, answers)
        if attached:  # their uploads are stored now: remove them once this commits
            transaction.on_commit(lambda: uploads.discard_stored(attached))
        return [
            answers[c.id].to_json() if c.id in answers else answered[c.id].result for c in changes
        ]

    def _apply_one(self, pushed: PushedChange) -> wire.ChangeResult:
        synced, change = pushed.synced, pushed.change
        # The record's key as the wire writes it (a UUID in its canonical spelling).
        wire_pk = change.pk if pushed.pk is None else synced.wire_pk(pushed.pk)
        result = wire.ChangeResult(
            id=change.id, status=wire.REJECTED, model=synced.label, pk=wire_pk
        )
        author = current_author()
        author.hlc, author.edit_kind = change.hlc or "", change.edit_kind or "minor"
        mark = self.collector.mark() if self.collector is not None else set()
        self.writer.start_change()
        self.rights.start_change()
        try:
            # A change refused half-way leaves nothing behind, not even a file it stored.
            with stored_files.removed_on_failure():
                self.rights.require_model(synced, change)
                if pushed.value_errors:
                    raise Rejected(pushed.value_errors)
                pk = self._pk(pushed, result)
                values = self._resolve_references(synced, change.values)
                if pk is not None and self.rows.stale(synced, pk):
                    # The batch's writes so far are tracked, then the record read
                    # again; outside this change's savepoint, as they stand whatever
                    # befalls this change.
                    self.writer.complete()
                    self.rows.reread(synced, pk)
                mark = self.collector.mark() if self.collector is not None else set()
                with self._undone_if_refused():
                    if self.rows.policy(synced, pk) == wire.POLICY_REVIEW and not self.reviewer:
                        finished = self._queue_for_review(pushed, pk, values, result)
                    else:
                        finished = self._decide_and_write(pushed, pk, values, result)
            self.writer.change_done()
            self.rights.change_stood()
            return finished
        except Rejected as rejection:
            if self.collector is not None:
                self.collector.forget_since(mark)
            result.status = wire.REJECTED
            result.errors = rejection.errors
            result.message = rejection.message or first_error(rejection.errors)
            return result
        except stored_files.NeedsFiles as needed:
            if self.collector is not None:
                self.collector.forget_since(mark)
            result.status, result.files = wire.NEEDS_FILES, needed.digests
            result.message = "upload the change's files first, then send it again"
            return result

    @contextmanager
    def _undone_if_refused(self):
        """Where a change writes: a savepoint when careful; else a refusal after
        the write began rolls the whole batch back, to be run carefully."""
        if self.careful:
            with transaction.atomic():
                yield
            return
        try:
            yield
        except (Rejected, stored_files.NeedsFiles):
            if self.writer.writing:
                raise _RefusedAfterWriting from None
            raise

    def _decide_and_write(self, pushed: PushedChange, pk, values: dict, result):
        synced, change = pushed.synced, pushed.change
        instance = None
        if pk is not None:  # a creation may name a record created again meanwhile
            instance = self.rows.instance(synced, pk)
        if instance is not None:
            key = synced.category_key_of(instance)
            self.rights.require_category(key, synced, change, instance)
        elif change.op == wire.CREATE:
            instance = synced.model() if pk is None else synced.model(pk=pk)
        edit = Edit(
            op=change.op,
            values=values,
            base_version=change.base_version,
            base_values=change.base_values,
            edit_kind=change.edit_kind,
            hlc=change.hlc,
        )
        server = self.rows.server(synced, pk) if pk is not None else Server(values=None)
        outcome = decide(edit, server, self.rows.policy(synced, pk), synced.types)
        if outcome.status == wire.REJECTED:
            raise Rejected({"pk": [_never_here(synced)]})
        return self.writer.write(pushed, outcome, instance, result)

    # -- keys: temporary ids made permanent -------------------------------------------

    def _pk(self, pushed: PushedChange, result: wire.ChangeResult):
        if pushed.temp_pk is None:
            return pushed.pk
        if pushed.change.op == wire.CREATE:
            result.temp_pk = pushed.temp_pk
            return None
        return self._permanent_pk(pushed.synced, pushed.temp_pk, "pk")

    def _permanent_pk(self, synced: SyncedModel, temp_pk: str, field_name: str):
        # A key to a multi-table parent may name a new row of a child (a note's
        # artefact: a painting created offline).
        labels = [kind.label for kind in self.registry.kinds_of(synced.model)] or [synced.label]
        for label in labels:
            made_here = self.writer.temp_pks.get((label, temp_pk))
            if made_here is not None:
                return made_here
        found = receipts.created_with(self.device, temp_pk, labels)
        if found is None:
            raise Rejected({field_name: [NEVER_CREATED]})
        return synced.model._meta.pk.to_python(found)

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

    # -- review ---------------------------------------------------------------------

    def _queue_for_review(self, pushed: PushedChange, pk, values, result) -> wire.ChangeResult:
        """Nothing is applied: the update waits in the admin for a chief editor."""
        synced, change = pushed.synced, pushed.change
        instance = synced.model._default_manager.filter(pk=pk).first() if pk is not None else None
        if change.op != wire.CREATE and instance is None:
            raise Rejected({"pk": [_never_here(synced)]})
        key = None
        if instance is not None:
            key = synced.category_key_of(instance)
            self.rights.require_category(key, synced, change, instance)
        probe = synced.model._default_manager.get(pk=pk) if instance else synced.model()
        if change.op != wire.DELETE:
            try:  # values checked now (files held, not yet stored), applied later
                m2m = assign_values(synced, probe, values, store_files=False)
            except FieldErrors as error:
                raise Rejected(error.errors) from None
            key = self.rights.category_of(synced, change, probe, m2m)
        ReviewItem.objects.create(
            change_id=change.id,
            device=self.device,
            editor=self.device.user,
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


# What a rejection says of a record it cannot name (the site has no such row).
NEVER_CREATED = (
    "refers to a new record the central site never created (its creation was refused, "
    "or not sent yet)"
)


def _never_here(synced: SyncedModel) -> str:
    return f"this {synced.model._meta.verbose_name} does not exist on the central site"
