"""``manage.py fieldsync_track_existing``: bring rows the feeds do not know into them.

Rows that existed before the plugin was installed, or that came by
``loaddata`` or raw SQL, were written without a signal, so no editor ever
pulls them. This walks every synced model in primary-key order, a batch at
a time (never every row in memory, one short transaction per batch), and
tracks each row that has no live entry in the feed of its category (or has
one in another feed); rows the side table lists but the database no longer
holds get a tombstone. A row already tracked where it belongs is left
alone, so a second run changes nothing and stopping half-way is safe: run
it again.

Values changed by raw SQL in rows already tracked cannot be seen from here;
call ``track_queryset()`` for those.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from server_plugin.models import TrackedRow
from server_plugin.registry import SyncedModel, get_registry
from server_plugin.tracking import own_rows, track_targets

DEFAULT_BATCH = 1000


def needs_tracking(key: str | None, entries: list[tuple[str, bool]]) -> bool:
    """Whether a row whose category is `key` (None: it belongs to no feed) must be
    tracked, given its side-table entries as (category key, deleted) pairs."""
    live = {category for category, deleted in entries if not deleted}
    if key is None:
        return bool(live)  # it left every feed: the live entries become tombstones
    return live != {key}


@dataclass
class Counts:
    """What one model's run found and did."""

    rows: int = 0  # rows of the model walked
    tracked: int = 0  # rows brought into (or moved between, or out of) the feeds
    tombstones: int = 0  # entries whose row is gone, marked deleted


def track_existing(
    synced: SyncedModel,
    *,
    batch_size: int = DEFAULT_BATCH,
    dry_run: bool = False,
    on_batch: Callable[[Counts], None] = lambda counts: None,
) -> Counts:
    """Track the rows of one model the feeds are missing, then tombstone the
    entries whose rows are gone. `on_batch` sees the counts after each batch."""
    counts = Counts()
    content_type = ContentType.objects.get_for_model(synced.model)
    for rows in _batches(synced, batch_size):
        with transaction.atomic():
            keys = {str(row.pk): synced.category_key_of(row) for row in rows}
            entries: dict[str, list[tuple[str, bool]]] = {}
            known = TrackedRow.objects.filter(content_type=content_type, object_pk__in=list(keys))
            for pk, category, deleted in known.values_list("object_pk", "category_key", "deleted"):
                entries.setdefault(pk, []).append((category, deleted))
            wanted = {
                pk: key for pk, key in keys.items() if needs_tracking(key, entries.get(pk, []))
            }
            if wanted and not dry_run:
                track_targets({synced: wanted})
        counts.rows += len(rows)
        counts.tracked += len(wanted)
        on_batch(counts)
    for pks in _live_entry_batches(content_type, batch_size):
        with transaction.atomic():
            present = _present(synced, pks)
            gone = {pk: None for pk in pks if pk not in present}
            if gone and not dry_run:
                track_targets({synced: gone})
        counts.tombstones += len(gone)
        on_batch(counts)
    return counts


def _batches(synced: SyncedModel, size: int) -> Iterator[list]:
    """The model's rows in primary-key order, `size` at a time (keyset, not OFFSET),
    each loaded with no more than its category path needs."""
    rows = own_rows(synced).order_by("pk")
    path = synced.category_path
    hops = (path or "").split("__")[:-1]
    if hops:
        rows = rows.select_related("__".join(hops))
    by_many = bool(path) and not hops and synced.model._meta.get_field(path).many_to_many
    rows = rows.only(path) if path and not by_many else rows.only("pk")
    last = None
    while True:
        page = list((rows if last is None else rows.filter(pk__gt=last))[:size])
        if not page:
            return
        yield page
        last = page[-1].pk


def _live_entry_batches(content_type: ContentType, size: int) -> Iterator[list[str]]:
    """Primary keys the side table holds live entries for, `size` at a time."""
    entries = TrackedRow.objects.filter(content_type=content_type, deleted=False).order_by(
        "object_pk"
    )
    last = None
    while True:
        page = entries if last is None else entries.filter(object_pk__gt=last)
        pks = list(dict.fromkeys(page.values_list("object_pk", flat=True)[:size]))
        if not pks:
            return
        yield pks
        last = pks[-1]


def _present(synced: SyncedModel, pks: list[str]) -> set[str]:
    pk_field = synced.model._meta.pk
    wanted = []
    for pk in pks:
        try:
            wanted.append(pk_field.to_python(pk))
        except Exception:  # an entry no key of this model spells: its row is gone
            continue
    found = own_rows(synced).filter(pk__in=wanted).values_list("pk", flat=True)
    return {str(pk) for pk in found}


class Progress:
    """A bar with counts on stderr: redrawn in place on a terminal, a line per
    tenth of the way in a log."""

    WIDTH = 30

    def __init__(self, stream, label: str, total: int):
        self.stream, self.label, self.total = stream, label, total
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.shown_tenth = -1

    def show(self, counts: Counts, *, final: bool = False) -> None:
        done = min(counts.rows, self.total)
        fraction = done / self.total if self.total else 1.0
        tenth = int(fraction * 10)
        if not self.tty and not final and tenth == self.shown_tenth:
            return
        self.shown_tenth = tenth
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label} [{bar}] {done:,}/{self.total:,} rows · {counts.tracked:,} tracked"
            f" · {counts.tombstones:,} tombstones · {elapsed:.1f}s"
        )
        if self.tty:
            self.stream.write("\r" + line, ending="\n" if final else "")
            self.stream.flush()
        else:
            self.stream.write(line)


class Command(BaseCommand):
    help = (
        "Bring rows the change feeds do not know (made before fieldsync was installed, "
        "or by loaddata or raw SQL) into them. Safe to run again: it changes nothing "
        "the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model",
            action="append",
            dest="models",
            metavar="APP_LABEL.MODEL",
            help="only this synced model (repeat for several); default: every one",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            help=f"rows per transaction (default {DEFAULT_BATCH})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be tracked, write nothing"
        )

    def handle(self, *args, models=None, batch_size: int, dry_run: bool, verbosity: int, **options):
        if batch_size <= 0:
            raise CommandError("--batch-size must be a positive number.")
        registry = get_registry()
        chosen = list(registry.models.values())
        if models:
            unknown = [label for label in models if registry.get(label) is None]
            if unknown:
                known = ", ".join(sorted(registry.models)) or "none"
                raise CommandError(
                    f"{', '.join(unknown)} is not a synced model (FIELDSYNC['MODELS']); "
                    f"synced: {known}."
                )
            chosen = [registry.get(label) for label in models]
        verb = "would track" if dry_run else "tracked"
        for synced in chosen:
            progress = Progress(self.stderr, synced.label, own_rows(synced).count())
            show = progress.show if verbosity > 0 else lambda counts: None
            counts = track_existing(synced, batch_size=batch_size, dry_run=dry_run, on_batch=show)
            if verbosity == 0:
                continue
            progress.show(counts, final=True)
            self.stdout.write(
                f"{synced.label}: {counts.rows} rows, {verb} {counts.tracked}, "
                f"{counts.tombstones} tombstones for rows that are gone."
            )
