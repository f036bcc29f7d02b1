"""The benchmark's seeding writes its articles' side-table rows itself, for speed
(benchmarks/README.md): they must be the rows `track` writes for the same
articles, so that what the benchmark syncs is an ordinary feed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from server_plugin.demo.news.models import Article, Section
from server_plugin.models import FeedCounter, TrackedRow
from server_plugin.protocol import hlc
from server_plugin.tracking import track

pytestmark = pytest.mark.django_db


def seed(**options) -> None:
    call_command("seed_benchmark", section="Bench", stdout=io.StringIO(), **options)


def entries(key: str) -> list[tuple]:
    """The feed's rows in position order, without the moment they were written."""
    fields = ("content_type_id", "object_pk", "category_key", "version", "deleted", "position",
              "changed_by_id", "changed_by_device_id", "edit_kind")  # fmt: skip
    return list(TrackedRow.objects.filter(category_key=key).order_by("position")
                .values_list(*fields))  # fmt: skip


def in_seeding_order(section: Section) -> list[Article]:
    articles = Article.objects.filter(section=section)
    return sorted(articles, key=lambda article: int(article.title.rsplit("#", 1)[1]))


def test_seeded_articles_are_tracked_as_track_would_track_them():
    seed(count=25, batch_size=10)
    seed(count=7, batch_size=10, shape="realistic")  # a second run continues the feed
    section = Section.objects.get(name="Bench")
    key = str(section.pk)
    articles = in_seeding_order(section)
    seeded = entries(key)
    assert [row[5] for row in seeded] == list(range(1, 33))
    assert [row[1] for row in seeded] == [str(article.pk) for article in articles]
    assert all(hlc.is_stamp(stamp) for stamp in TrackedRow.objects.values_list("hlc", flat=True))
    assert all(article.updated_at and article.status == Article.DRAFT for article in articles)

    TrackedRow.objects.filter(category_key=key).delete()
    FeedCounter.objects.filter(category_key=key).update(last_position=0)
    track(articles)

    assert entries(key) == seeded
    assert FeedCounter.objects.get(category_key=key).last_position == 32


def test_seeding_is_deterministic_for_a_seed():
    seed(count=5)
    first = [(str(a.pk), a.title, a.body) for a in in_seeding_order(Section.objects.get())]
    Article.objects.all().delete()
    TrackedRow.objects.all().delete()
    Section.objects.all().delete()
    seed(count=5)
    again = [(str(a.pk), a.title, a.body) for a in in_seeding_order(Section.objects.get())]
    assert again == first
