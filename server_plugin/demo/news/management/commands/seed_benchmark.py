"""Seed a benchmark section: N articles of a fixed shape, fast; or edit K of them.

    python -m django seed_benchmark --section "Bench 10k" --count 10000 --shape small
    python -m django seed_benchmark --section "Bench 10k" --edit 100

Shapes match the Morango anchor (../shared/anchors/morango): ``small`` is a
title and 200 characters of body; ``realistic`` is about 3 KB of
multi-paragraph newsroom copy. Rows are written with ``bulk_create`` /
``bulk_update`` in batches, each batch tracked with
`server_plugin.tracking.track` (bulk writes send no signals) in the same
transaction. The demo's editors and chief get a category grant on the section.
Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from server_plugin.models import CategoryGrant
from server_plugin.tracking import track

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
        for offset in range(0, count, batch_size):
            batch = [
                Article(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    section=section,
                    title=f"{headline(rng)} #{first + n + 1}",
                    body=bodies.next(),
                    status=Article.DRAFT,
                    published_on=start + datetime.timedelta(days=n % 300),
                )
                for n in range(offset, min(offset + batch_size, count))
            ]
            with transaction.atomic():  # a batch and its tracking commit together
                Article.objects.bulk_create(batch, batch_size=500)
                track(batch)

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
