"""Seed a benchmark section: N articles of a fixed shape, fast; or edit K of them.

    python -m django seed_benchmark --section "Bench 10k" --count 10000 --shape small
    python -m django seed_benchmark --section "Bench 10k" --edit 100

Shapes match the Morango anchor (../shared/anchors/morango): ``small`` is a
title and 200 characters of body; ``realistic`` is about 3 KB of
multi-paragraph newsroom copy. New articles and their side-table rows are
written with one ``executemany`` per table and batch, in one transaction per
batch: at a million records ``bulk_create`` and `server_plugin.tracking.track`
spent most of the seeding in Python (about 27 s per 100,000). The rows are the
ones `track` writes for rows it has never seen (version 1, the feed's next
positions, taken from its counter under its lock); tests/server/test_seed_benchmark.py
compares the two. Edits go through ``bulk_update`` and `track`. The demo's
editors and chief get a category grant on the section. Deterministic for a
given ``--seed``.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from server_plugin.models import CategoryGrant, TrackedRow
from server_plugin.protocol import hlc
from server_plugin.registry import get_registry
from server_plugin.tracking import allocate_positions, track

from ...models import Article, Section
from ...prose import headline, paragraph

SHAPES = ("small", "realistic")
REALISTIC_BYTES = 3000  # about 3 KB of body, like the anchor's realistic records
PARAGRAPH_POOL = 400  # distinct paragraphs the realistic bodies are made from
GRANTEES = ("editor1", "editor2", "chief")


class Command(BaseCommand):
    help = "Create a section of N benchmark articles, or edit K of its articles."

    def add_arguments(self, parser):
        parser.add_argument("--section", default="Bench", help="section name (created if new)")
        parser.add_argument("--count", type=int, default=0, help="articles to add to the section")
        parser.add_argument("--shape", choices=SHAPES, default="small")
        parser.add_argument(
            "--edit", type=int, default=0, metavar="K", help="edit K existing articles"
        )
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, section, count, shape, edit, batch_size, seed, **options):
        if count < 0 or edit < 0 or batch_size < 1:
            raise CommandError("--count, --edit and --batch-size must be positive")
        rng = random.Random(f"{seed}:{section}")
        started = time.perf_counter()
        with transaction.atomic():
            target, _ = Section.objects.get_or_create(name=section)
            self._grant(target)
        if count:
            self._create(rng, target, count, shape, batch_size)
        if edit:
            edited = self._edit(rng, target, edit, batch_size)
            if edited < edit:
                raise CommandError(f"{section} has only {edited} articles to edit")
        took = time.perf_counter() - started
        self.stdout.write(
            f"{section} (id {target.pk}): {count} articles added ({shape}), "
            f"{edit} edited, in {took:.1f} s"
        )

    @staticmethod
    def _grant(section: Section) -> None:
        for user in User.objects.filter(username__in=GRANTEES):
            CategoryGrant.objects.get_or_create(user=user, category_key=str(section.pk))

    def _create(self, rng, section, count, shape, batch_size) -> None:
        bodies = _Bodies(rng, shape)
        start = datetime.date(2026, 1, 5)
        first = Article.objects.filter(section=section).count()
        synced = get_registry().for_model(Article)
        if synced is None or synced.model is not Article or Article._meta.parents:
            raise CommandError("seed_benchmark writes side-table rows for news.Article only")
        key = synced.category_key_of(Article(section=section))
        content_type = ContentType.objects.get_for_model(Article).pk
        article_pk = Article._meta.pk
        published_on = Article._meta.get_field("published_on")
        articles = _Insert(Article)
        tracked = _Insert(TrackedRow)
        for offset in range(0, count, batch_size):
            now = timezone.now()
            rows = []
            for n in range(offset, min(offset + batch_size, count)):
                pk = uuid.UUID(int=rng.getrandbits(128), version=4)
                title = f"{headline(rng)} #{first + n + 1}"
                rows.append((pk, title, bodies.next(), start + datetime.timedelta(days=n % 300)))
            with transaction.atomic():  # a batch and its tracking commit together
                articles.write(
                    {
                        "id": article_pk.get_db_prep_save(pk, connection),
                        "section_id": section.pk,
                        "title": title,
                        "body": body,
                        "status": Article.DRAFT,
                        "published_on": published_on.get_db_prep_save(day, connection),
                        "featured": False,
                        "author_id": None,
                        "updated_at": now,
                    }
                    for pk, title, body, day in rows
                )
                position = allocate_positions(key, len(rows))
                tracked.write(
                    {
                        "content_type_id": content_type,
                        "object_pk": str(pk),
                        "category_key": key,
                        "version": 1,
                        "deleted": False,
                        "position": position + index,
                        "changed_at": now,
                        "changed_by_id": None,
                        "changed_by_device_id": None,
                        "hlc": hlc.tick(None, "central"),
                        "edit_kind": "major",
                    }
                    for index, (pk, *_) in enumerate(rows)
                )

    def _edit(self, rng, section, edits, batch_size) -> int:
        """Change the title of `edits` articles of the section, spread over it."""
        articles = Article.objects.filter(section=section).order_by("pk")
        pks = list(articles.values_list("pk", flat=True))
        chosen = rng.sample(pks, min(edits, len(pks)))
        now = timezone.now()
        stamp = now.strftime("%H:%M:%S")
        for offset in range(0, len(chosen), batch_size):
            with transaction.atomic():
                batch = list(Article.objects.filter(pk__in=chosen[offset : offset + batch_size]))
                for article in batch:
                    article.title = f"{article.title.split(' [')[0]} [edited {stamp}]"
                    article.updated_at = now
                Article.objects.bulk_update(batch, ["title", "updated_at"], batch_size=500)
                track(batch)
        return len(chosen)


class _Insert:
    """``INSERT`` of every concrete column of `model`, one ``executemany`` per call.

    Values come as {attname: value}, already in the form the database takes,
    except datetimes, which are prepared once per call (they are one value per batch).
    """

    def __init__(self, model: type[models.Model]):
        # Without an auto-increment key (db_returning): the database numbers those rows.
        self.fields = [field for field in model._meta.concrete_fields if not field.db_returning]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"

    def write(self, rows) -> None:
        prepared: dict = {}

        def value(field, raw):
            if isinstance(raw, datetime.datetime):
                if raw not in prepared:
                    prepared[raw] = field.get_db_prep_save(raw, connection)
                return prepared[raw]
            return raw

        names = [(field, field.attname) for field in self.fields]
        values = [[value(field, row[name]) for field, name in names] for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, values)


class _Bodies:
    """Article bodies of one shape, cheap to make by the hundred thousand."""

    def __init__(self, rng: random.Random, shape: str):
        self.rng = rng
        self.shape = shape
        if shape == "realistic":
            self.pool = [paragraph(rng) for _ in range(PARAGRAPH_POOL)]

    def next(self) -> str:
        if self.shape == "small":
            words = " ".join(self.rng.choice(_WORDS) for _ in range(40))
            return (words + " " + words)[:200]
        parts, size = [], 0
        while size < REALISTIC_BYTES:
            part = self.rng.choice(self.pool)
            parts.append(part)
            size += len(part) + 2
        return "\n\n".join(parts)


_WORDS = (
    "council budget bridge harbour river school market tram flood festival report "
    "meeting vote plan residents museum library station weather season figures"
).split()
