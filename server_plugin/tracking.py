"""Change tracking: every write to a synced row bumps its version and moves it
to the end of its category's feed, in a side table the host's models never see.

Why the feeds are gap-free: a position is handed out by locking the feed's
`FeedCounter` row (``SELECT ... FOR UPDATE``) inside the writing transaction,
and PostgreSQL holds that lock until the transaction commits. A writer that
wants position N+1 therefore waits until the one holding N has committed or
rolled back, so within one feed transactions commit in position order and a
reader always sees a prefix of the feed: once it has seen N, nothing below N
can appear later. SQLite has a single writer, which gives the same order.
The price is that writers of one category queue behind each other for the
length of their transactions; writers of different categories do not.

Writes through the ORM (and so the admin and the shell) are caught by
signals. ``QuerySet.update()``, ``bulk_create()`` and ``bulk_update()`` send
none: call `track_queryset()` or `track()` after them.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from .bulk import update_rows
from .models import FeedCounter, TrackedRow
from .protocol import hlc
from .registry import SyncedModel, get_registry

_LOOKUP_CHUNK = 500

logger = logging.getLogger(__name__)

_collecting: ContextVar = ContextVar("fieldsync_collecting", default=None)
_locked_feeds: ContextVar[set | None] = ContextVar("fieldsync_locked_feeds", default=None)
_acting: ContextVar = ContextVar("fieldsync_acting", default=None)
_deleting: ContextVar[set | None] = ContextVar("fieldsync_deleting", default=None)


@dataclass
class Author:
    """Who made the writes tracked inside an `acting_as` block, and how."""

    user: object = None
    device: object = None
    hlc: str = ""  # the edit's clock stamp; central writes get a fresh one
    edit_kind: str = ""  # "major"/"minor"; central writes count as major


@contextmanager
def acting_as(user, device=None, stamp: str = "", edit_kind: str = "") -> Iterator[Author]:
    """Record who wrote what is tracked inside the block (user, device, clock, kind)."""
    author = Author(user, device, stamp, edit_kind)
    token = _acting.set(author)
    try:
        yield author
    finally:
        _acting.reset(token)


def current_author() -> Author:
    return _acting.get() or Author()


class WriteCollector:
    """The rows written inside `collect_writes`, tracked in bulk when flushed."""

    def __init__(self):
        self.pending: dict = {}  # (label, pk) -> (instance, (synced, pk) if deleted)
        self.authors: dict = {}  # (label, pk) -> who wrote it, as it was at the write
        self.versions: dict = {}  # (label, pk) -> new version, once flushed

    def mark(self) -> set:
        return set(self.pending)

    def forget_since(self, mark: set) -> None:
        """Drop what was recorded after `mark` (its savepoint was rolled back)."""
        for key in set(self.pending) - mark:
            del self.pending[key]

    def flush(self) -> dict:
        pending, self.pending = self.pending, {}
        authors, self.authors = self.authors, {}
        # A deleted row's pk is gone from the instance by now: it was kept on record.
        live = [inst for inst, gone in pending.values() if gone is None]
        self.versions.update(track(live, authors=authors))
        gone = [gone for _, gone in pending.values() if gone]
        self.versions.update(_track_deleted(gone, authors))
        return self.versions


@contextmanager
def collect_writes() -> Iterator[dict]:
    """Track each row written inside the block once, in bulk, when it ends.

    Saving a record and then its many-to-many values is one change to an
    editor, not two versions. The yielded dict is filled on exit with
    ``(model label, pk) -> new version``. Use inside the writing transaction.
    """
    if _collecting.get() is not None:
        yield {}
        return
    with collecting() as collector:
        yield collector.versions


@contextmanager
def collecting() -> Iterator[WriteCollector]:
    """Like `collect_writes`, handing out the collector itself (push flushes it
    once per batch and forgets what a rejected change had recorded)."""
    collector = WriteCollector()
    token = _collecting.set(collector)
    try:
        yield collector
    finally:
        _collecting.reset(token)
    collector.flush()


@contextmanager
def feeds_locked_here() -> Iterator[set]:
    """A scope whose writer takes the feed locks itself, before writing (push):
    the pre-save hook then has nothing to do, and each lock is taken once."""
    token = _locked_feeds.set(set())
    try:
        yield _locked_feeds.get()
    finally:
        _locked_feeds.reset(token)


def track(
    instances: Iterable[models.Model], *, deleted: bool = False, authors: dict | None = None
) -> dict:
    """Bump the version of each synced instance and move it to its feed's end.

    Public helper for writes that send no signals (``bulk_create``,
    ``bulk_update``). Returns ``(model label, pk) -> new version``.
    """
    registry = get_registry()
    targets: dict[SyncedModel, dict[str, str | None]] = defaultdict(dict)
    if deleted:
        pairs = [(registry.for_model(type(instance)), instance) for instance in instances]
    else:
        pairs = rows_as_tracked(instances)
    for synced, instance in pairs:
        if synced is None or instance.pk is None:
            continue
        try:
            key = None if deleted else synced.category_key_of(instance, strict=True)
        except ObjectDoesNotExist:
            _unresolved(synced, instance)
            continue
        targets[synced][str(instance.pk)] = key
    return track_targets(targets, authors)


def _unresolved(synced: SyncedModel, instance: models.Model) -> None:
    """A row whose category path leads to a row not written yet: ``loaddata``
    with a forward reference (its constraints are checked at the end). It is
    left for ``manage.py fieldsync_track_existing``, which loaddata needs then."""
    logger.warning(
        "fieldsync: %s %s not tracked: its category path %r leads to a row that does not "
        "exist (yet); run `manage.py fieldsync_track_existing --model %s` once it does.",
        synced.label, instance.pk, synced.category_path, synced.label,
    )  # fmt: skip


def _track_deleted(rows: Iterable[tuple[SyncedModel, str]], authors: dict | None = None) -> dict:
    targets: dict[SyncedModel, dict[str, str | None]] = defaultdict(dict)
    for synced, pk in rows:
        targets[synced][pk] = None
    return track_targets(targets, authors)


def track_targets(targets: dict[SyncedModel, dict[str, str | None]], authors=None) -> dict:
    """Track rows known by key: synced model -> {str(pk): category key, None when
    the row is gone or in no category (its live entries become tombstones)}."""
    versions: dict = {}
    if not targets:
        return versions
    with transaction.atomic():
        for synced, wanted in targets.items():
            model_versions, moved = _track_model(synced, wanted, authors or {})
            versions.update(model_versions)
            _retire_parent_entries(synced, [pk for pk, key in wanted.items() if key is not None])
            if moved:
                versions.update(_track_dependents(synced, moved))
    return versions


def _track_dependents(synced: SyncedModel, moved: list[str]) -> dict:
    """Rows that find their category through a moved row move with it (a photo
    follows its article to another section)."""
    versions: dict = {}
    for other in get_registry().category_models():
        hops = other.category_path.split("__")
        if len(hops) < 2 or not _is_a(synced.model, other.model._meta.get_field(hops[0])):
            continue
        related = own_rows(other).select_related(hops[0])
        for chunk in _chunks(moved, _LOOKUP_CHUNK):
            versions.update(track(related.filter(**{f"{hops[0]}__in": chunk})))
    return versions


def track_queryset(queryset: models.QuerySet) -> dict:
    """Track every row of `queryset`; call it after ``queryset.update(...)``.

    Pass a queryset that still matches the rows after the update (filter on
    primary keys when the update changes the filtered fields).
    """
    versions: dict = {}
    with transaction.atomic():
        for chunk in _keyset_chunks(queryset, _LOOKUP_CHUNK * 4):
            versions.update(track(chunk))
    return versions


def _keyset_chunks(queryset: models.QuerySet, size: int) -> Iterator[list]:
    """The rows of `queryset`, `size` at a time in primary-key order: never all in memory."""
    if queryset.query.is_sliced:  # a slice cannot be filtered further; it is small anyway
        yield from _chunks(list(queryset), size)
        return
    rows, last = queryset.order_by("pk"), None
    while True:
        chunk = list((rows if last is None else rows.filter(pk__gt=last))[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def allocate_positions(category_key: str, count: int) -> int:
    """Reserve `count` positions in a feed; the row lock is held to commit."""
    counter, _ = FeedCounter.objects.select_for_update().get_or_create(category_key=category_key)
    first = counter.last_position + 1
    if count:
        counter.last_position += count
        counter.save(update_fields=["last_position"])
    return first


def lock_feeds(keys) -> None:
    """Take the feed locks of `keys` now, in a fixed order (see `_on_pre_save`)."""
    held = _locked_feeds.get()
    for key in sorted({key for key in keys if key is not None}):
        if held is not None and key in held:
            continue
        allocate_positions(key, 0)
        if held is not None:
            held.add(key)


def _track_model(
    synced: SyncedModel, wanted: dict[str, str | None], authors: dict
) -> tuple[dict, list]:
    content_type = ContentType.objects.get_for_model(synced.model)
    existing: dict[str, list[TrackedRow]] = defaultdict(list)
    for chunk in _chunks(sorted(wanted), _LOOKUP_CHUNK):
        rows = TrackedRow.objects.select_for_update().filter(
            content_type=content_type, object_pk__in=chunk
        )
        for row in rows:
            existing[row.object_pk].append(row)

    # Every feed the row leaves gets a tombstone; the feed it is in gets the live entry.
    plan: list[tuple[TrackedRow, bool, int]] = []
    versions = {}
    moved = []
    for pk, key in wanted.items():
        rows = existing.get(pk, [])
        version = max((row.version for row in rows), default=0) + 1
        versions[(synced.label, pk)] = version
        for row in rows:
            if row.category_key != key and not row.deleted:
                plan.append((row, True, version))
                if key is not None:
                    moved.append(pk)
        if key is not None:
            live = next((row for row in rows if row.category_key == key), None)
            if live is None:
                live = TrackedRow(content_type=content_type, object_pk=pk, category_key=key)
            plan.append((live, False, version))

    needed = Counter(row.category_key for row, _, _ in plan)
    next_position = {key: allocate_positions(key, needed[key]) for key in sorted(needed)}
    now, default_author = timezone.now(), current_author()
    for row, tombstone, version in plan:
        author = authors.get((synced.label, row.object_pk), default_author)
        row.position = next_position[row.category_key]
        next_position[row.category_key] += 1
        row.version, row.deleted, row.changed_at = version, tombstone, now
        row.changed_by = author.user if getattr(author.user, "pk", None) else None
        row.changed_by_device = author.device if getattr(author.device, "pk", None) else None
        row.hlc = author.hlc or hlc.tick(row.hlc or None, "central")
        row.edit_kind = author.edit_kind or "major"
    fields = [
        "position", "version", "deleted", "changed_at", "changed_by", "changed_by_device", "hlc",
        "edit_kind",
    ]  # fmt: skip
    update_rows(TrackedRow, [row for row, _, _ in plan if row.pk], fields)
    TrackedRow.objects.bulk_create([row for row, _, _ in plan if not row.pk], batch_size=500)
    return versions, moved


def current_versions(synced: SyncedModel, pks: Iterable) -> dict[str, tuple[int, bool]]:
    """pk -> (version, deleted) for rows the side table knows."""
    content_type = ContentType.objects.get_for_model(synced.model)
    found: dict[str, tuple[int, bool]] = {}
    for chunk in _chunks(sorted({str(pk) for pk in pks}), _LOOKUP_CHUNK):
        rows = TrackedRow.objects.filter(content_type=content_type, object_pk__in=chunk)
        for row in rows.values_list("object_pk", "version", "deleted"):
            pk, version, deleted = row
            known = found.get(pk)
            if known is None or version > known[0] or (version == known[0] and not deleted):
                found[pk] = (version, deleted)
    return found


# -- signals ---------------------------------------------------------------


def _record(instance: models.Model, deleted: bool) -> None:
    if deleted:
        synced = get_registry().for_model(type(instance))
    else:
        synced, instance = _row_as_tracked(instance)
    if synced is None or instance.pk is None:
        return
    collector = _collecting.get()
    if collector is None:
        track([instance], deleted=deleted)
    else:
        collector.authors[(synced.label, str(instance.pk))] = replace(current_author())
        collector.pending[(synced.label, str(instance.pk))] = (
            instance,
            (synced, str(instance.pk)) if deleted else None,
        )


def _live_keys(synced: SyncedModel, pk) -> list[str]:
    content_type = ContentType.objects.get_for_model(synced.model)
    rows = TrackedRow.objects.filter(content_type=content_type, object_pk=str(pk), deleted=False)
    return list(rows.values_list("category_key", flat=True))


def _lock_before_write(instance: models.Model, using: str, *, new_key: bool) -> None:
    """Take the feed locks before the host's row is written, not after.

    Tracking runs after the write, when the row is already locked. Two
    transactions that each write several rows of one category could then
    hold a row the other needs while waiting for the feed lock; taking the
    feed lock first (inside a transaction) removes that cycle.
    """
    if _locked_feeds.get() is not None:
        return  # the writer (push) took its locks before writing
    if not transaction.get_connection(using).in_atomic_block:
        return
    if new_key and not instance._state.adding:
        synced, row = _row_as_tracked(instance)
        if synced is not None and not isinstance(instance, synced.model):
            instance = row  # a parent's instance of a child's row: the child's path
    elif new_key:
        synced = get_registry().tracked_as(type(instance))
    else:
        synced = get_registry().for_model(type(instance))
    if synced is None:
        return
    keys = _live_keys(synced, instance.pk) if instance.pk is not None else []
    if new_key:
        try:
            keys.append(synced.category_key_of(instance, strict=True))
        except ObjectDoesNotExist:
            pass  # loaddata's forward reference: nothing to lock, nothing tracked (see track)
    lock_feeds(keys)


def _on_pre_save(sender, instance, using=None, **kwargs) -> None:
    _lock_before_write(instance, using, new_key=True)


def _on_pre_delete(sender, instance, using=None, **kwargs) -> None:
    _lock_before_write(instance, using, new_key=False)
    _note_rows_changed_by_delete(instance)
    _note_deleting(instance)


def _on_save(sender, instance, **kwargs) -> None:
    _record(instance, deleted=False)
    _record_through_write(instance)


def _on_delete(sender, instance, **kwargs) -> None:
    _record(instance, deleted=True)
    _record_rows_changed_by_delete(instance)
    _record_parent_rows_kept(instance)
    _record_through_write(instance)


# -- rows a delete changes without a signal ------------------------------------

# on_delete handlers that leave the pointing rows alone or delete them (which
# sends post_delete); any other (SET_NULL, SET_DEFAULT, SET(...), a site's own)
# changes them with QuerySet.update(), which sends nothing.
_NO_ROW_CHANGE = (models.CASCADE, models.PROTECT, models.RESTRICT, models.DO_NOTHING)

_relations_cache: dict = {"registry": None, "by_model": {}}


@dataclass(frozen=True)
class _Pointing:
    """A relation through which deleting a row changes a synced row silently."""

    synced: SyncedModel
    field_name: str  # a foreign key with a SET_* on_delete, or a many-to-many


def _relations_changed_by_deleting(model: type[models.Model]) -> tuple[_Pointing, ...]:
    """The synced models' relations to `model` whose rows a delete of `model`
    changes silently, per model, cached for the registry in force."""
    registry = get_registry()
    if _relations_cache["registry"] is not registry:
        _relations_cache.update(registry=registry, by_model={})
    cached = _relations_cache["by_model"]
    concrete = model._meta.concrete_model
    if concrete not in cached:
        found = []
        for synced in registry.models.values():
            for field in synced.model._meta.get_fields():
                if not field.is_relation or field.auto_created or field.related_model is None:
                    continue
                if field.related_model._meta.concrete_model is not concrete:
                    continue
                # A many-to-many declared here (reverse ones are auto_created);
                # not `field.concrete`, which Django 6.1 makes False for it.
                many = field.many_to_many
                set_on_delete = field.many_to_one and field.remote_field.on_delete not in (
                    _NO_ROW_CHANGE
                )
                if many or set_on_delete:
                    found.append(_Pointing(synced, field.name))
        cached[concrete] = tuple(found)
    return cached[concrete]


def own_rows(synced: SyncedModel) -> models.QuerySet:
    """The rows tracked as `synced`: a row of a multi-table child that is
    registered itself is tracked as the child (its save signals the child)."""
    rows = synced.model._default_manager.all()
    for other in get_registry().registered_below(synced.model):
        rows = rows.exclude(pk__in=other.model._default_manager.values("pk"))
    return rows


def _note_rows_changed_by_delete(instance: models.Model) -> None:
    """Before a delete: which synced rows point at `instance` through a relation
    the delete changes with ``QuerySet.update()`` (or a many-to-many row it
    drops). Their feeds are locked now, before Django writes them."""
    relations = _relations_changed_by_deleting(type(instance))
    if not relations or instance.pk is None:
        return
    noted = []
    for pointing in relations:
        rows = own_rows(pointing.synced).filter(**{pointing.field_name: instance})
        pks = list(rows.values_list("pk", flat=True))
        if pks:
            noted.append((pointing.synced, pks))
    if not noted:
        return
    instance._fieldsync_changed_by_delete = noted
    if transaction.get_connection(instance._state.db).in_atomic_block:
        keys = set()
        for synced, pks in noted:
            content_type = ContentType.objects.get_for_model(synced.model)
            for chunk in _chunks([str(pk) for pk in pks], _LOOKUP_CHUNK):
                rows = TrackedRow.objects.filter(
                    content_type=content_type, object_pk__in=chunk, deleted=False
                )
                keys.update(rows.values_list("category_key", flat=True))
        lock_feeds(keys)


def _record_rows_changed_by_delete(instance: models.Model) -> None:
    """After a delete: track the rows it changed, as they are now (a row also
    deleted by the same cascade is gone and left to its own tombstone)."""
    noted = instance.__dict__.pop("_fieldsync_changed_by_delete", None)
    for synced, pks in noted or ():
        for chunk in _chunks(pks, _LOOKUP_CHUNK):
            for row in synced.model._default_manager.filter(pk__in=chunk):
                _record(row, deleted=False)


def _on_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if action in ("post_add", "post_remove") and not pk_set:
        return  # e.g. adding a tag the article already has: nothing changed
    if not reverse:
        if action in ("pre_add", "pre_remove", "pre_clear"):
            _lock_before_write(instance, kwargs.get("using"), new_key=False)
        elif action in ("post_add", "post_remove", "post_clear"):
            _record(instance, deleted=False)
        return
    # Reverse side (e.g. tag.article_set.add(...)): the synced rows are `model`'s.
    if get_registry().for_model(model) is None:
        return
    if action == "pre_clear":
        accessor = next(
            rel.get_accessor_name()
            for rel in type(instance)._meta.related_objects
            if rel.many_to_many and rel.through is sender
        )
        instance._fieldsync_cleared = list(getattr(instance, accessor).all())
    elif action == "post_clear":
        for related in getattr(instance, "_fieldsync_cleared", []):
            _record(related, deleted=False)
    elif action in ("post_add", "post_remove"):
        for related in model._default_manager.filter(pk__in=pk_set or ()):
            _record(related, deleted=False)


# -- multi-table inheritance: one record per row --------------------------------
#
# A row of a multi-table child is also a row of each parent. It syncs once, as
# the most derived registered model it is a row of (a painting, not also an
# artefact), whichever class wrote it: a write through the parent reaches the
# child's record, a write through the child (or a parent registered alone)
# reaches nothing else, and an entry the parent's feed still held for the row
# becomes a tombstone. Deleting either deletes both rows (Django's cascade);
# a child deleted with ``keep_parents=True`` leaves a row of its parent, which
# becomes the parent's record.


def rows_as_tracked(instances: Iterable[models.Model]) -> list[tuple[SyncedModel, models.Model]]:
    """Each written instance paired with the registration its row syncs as, as
    an instance of that model. Costs one query per registered child kind, and
    only for instances of a model that has one."""
    registry = get_registry()
    by_model: dict[type, dict[str, models.Model]] = defaultdict(dict)
    for instance in instances:
        if instance.pk is not None:
            by_model[type(instance)][str(instance.pk)] = instance
    found: list[tuple[SyncedModel, models.Model]] = []
    for model, remaining in by_model.items():
        for child in registry.registered_below(model):
            for chunk in _chunks(list(remaining), _LOOKUP_CHUNK):
                for row in child.model._default_manager.filter(pk__in=chunk):
                    remaining.pop(str(row.pk), None)
                    found.append((child, row))
        synced = registry.tracked_as(model)
        if synced is not None:
            found.extend((synced, instance) for instance in remaining.values())
    return found


def _row_as_tracked(instance: models.Model) -> tuple[SyncedModel | None, models.Model]:
    found = rows_as_tracked([instance])
    return found[0] if found else (None, instance)


def _is_a(model: type[models.Model], relation: models.Field) -> bool:
    """Whether rows of `model` are rows of the model `relation` points at."""
    target = relation.related_model
    concrete = model._meta.concrete_model
    return target is not None and (
        target._meta.concrete_model is concrete
        or target._meta.concrete_model in concrete._meta.get_parent_list()
    )


def _retire_parent_entries(synced: SyncedModel, pks: list[str]) -> None:
    """A row now tracked as a registered child has no live entry as its
    registered parents (the child was registered later, or the row became a
    child's): any such entry becomes a tombstone, so no editor holds the row
    twice."""
    if not pks:
        return
    for parent in get_registry().registered_above(synced):
        _track_model(parent, dict.fromkeys(pks), {})


def _deleting_rows() -> set:
    rows = _deleting.get()
    if rows is None:
        rows = set()
        _deleting.set(rows)
    return rows


def _note_deleting(instance: models.Model) -> None:
    """Note a row a delete is about to remove (Django sends every pre_delete of
    a delete before its first post_delete): a multi-table child deleted beside
    it then knows its parent row goes too (see `_record_parent_rows_kept`)."""
    if instance.pk is not None and instance._meta.concrete_model in _parents_of_registered():
        _deleting_rows().add((instance._meta.concrete_model, str(instance.pk)))


_parents_cache: dict = {"registry": None, "parents": frozenset()}


def _parents_of_registered() -> frozenset:
    """The multi-table parents of registered models, for the registry in force."""
    registry = get_registry()
    if _parents_cache["registry"] is not registry:
        parents = frozenset(
            parent
            for synced in registry.models.values()
            for parent in synced.model._meta.concrete_model._meta.get_parent_list()
        )
        _parents_cache.update(registry=registry, parents=parents)
    return _parents_cache["parents"]


def _record_parent_rows_kept(instance: models.Model) -> None:
    """After a registered child's row is deleted: a parent row the delete kept
    (``delete(keep_parents=True)``) is a record of its own again."""
    if instance.pk is None:
        return
    deleting = _deleting.get() or set()
    deleting.discard((instance._meta.concrete_model, str(instance.pk)))
    registry = get_registry()
    if registry.for_model(type(instance)) is None:
        return
    for parent_model in instance._meta.concrete_model._meta.parents:
        if registry.tracked_as(parent_model) is None:
            continue
        if (parent_model, str(instance.pk)) in deleting:
            continue  # deleted with the child: its own post_delete follows
        kept = parent_model._base_manager.filter(pk=instance.pk).first()
        if kept is not None:
            _record(kept, deleted=False)


# -- many-to-many through a model of the site's own -----------------------------

_through_cache: dict = {"registry": None, "by_model": {}}


def _through_owners(model: type[models.Model]) -> tuple[tuple[SyncedModel, str], ...]:
    """(synced model, owner key attname) for each synced many-to-many whose custom
    ``through`` model is `model`: a row of it written directly (an inline in the
    admin, ``Membership.objects.create``) changes the owner's value silently."""
    registry = get_registry()
    if _through_cache["registry"] is not registry:
        found: dict = defaultdict(list)
        for synced in registry.models.values():
            for field in synced.fields:
                through = field.remote_field.through if field.many_to_many else None
                if through is not None and not through._meta.auto_created:
                    owner = through._meta.get_field(field.m2m_field_name()).attname
                    found[through].append((synced, owner))
        _through_cache.update(registry=registry, by_model={k: tuple(v) for k, v in found.items()})
    return _through_cache["by_model"].get(model, ())


def _record_through_write(instance: models.Model) -> None:
    for synced, owner_attname in _through_owners(type(instance)):
        owner_pk = getattr(instance, owner_attname, None)
        owner = synced.model._default_manager.filter(pk=owner_pk).first()
        if owner is not None:
            _record(owner, deleted=False)


def connect_signals() -> None:
    pre_save.connect(_on_pre_save, dispatch_uid="fieldsync_pre_save")
    pre_delete.connect(_on_pre_delete, dispatch_uid="fieldsync_pre_delete")
    post_save.connect(_on_save, dispatch_uid="fieldsync_post_save")
    post_delete.connect(_on_delete, dispatch_uid="fieldsync_post_delete")
    m2m_changed.connect(_on_m2m_changed, dispatch_uid="fieldsync_m2m_changed")
