"""The gap-free feed under concurrent writers, on PostgreSQL (DESIGN promise 4).

A reader that has seen position N of a category's feed must never later find
a committed change below N that it skipped. With several app servers writing
at once, transactions commit out of order, so these tests run real threads,
each with its own database connection, against PostgreSQL. The suite runs
them in its PostgreSQL pass (``FIELDSYNC_TEST_DB=postgres pytest -m postgres``);
run anywhere else they fail loudly rather than prove nothing.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction

from server_plugin.demo.news.models import Article, Section
from server_plugin.feed import read_feed
from server_plugin.models import TrackedRow
from server_plugin.registry import get_registry

from .conftest import DbThread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 10  # seconds: the most any step may take before the test calls it stuck
WRITERS = 8
WRITES_PER_WRITER = 40
PAGE = 5  # small pages, so the reader's cursor moves often while writers are open


@pytest.fixture(autouse=True)
def _on_postgresql():
    assert connection.vendor == "postgresql", (
        "The gap-free feed is proven on PostgreSQL: run these tests with "
        "FIELDSYNC_TEST_DB=postgres (the suite's `-m postgres` pass)."
    )


@pytest.fixture
def politics(transactional_db) -> Section:
    call_command("seed_demo", articles=4, verbosity=0)
    return Section.objects.get(name="Politics")


def write_article(section_pk: int, title: str, pk=None) -> Article:
    """Create an article, or retitle the one with `pk`; either takes a feed position."""
    if pk is None:
        return Article.objects.create(section_id=section_pk, title=title, body="Text.")
    article = Article.objects.get(pk=pk)
    article.title = title
    article.save()
    return article


def drain(user, key: str, since: int) -> tuple[list[dict], int]:
    """Every change after `since`, following the cursor; and the cursor at the end."""
    changes, cursor = [], since
    while True:
        page = read_feed(user, key, since=cursor, limit=PAGE)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return changes, cursor


def label_of(content_type_id: int) -> str:
    return ContentType.objects.get_for_id(content_type_id).model_class()._meta.label_lower


def feed_entries(key: str, up_to: int | None = None) -> dict[tuple[str, str, int], int]:
    """(model label, pk, version) -> position, for the committed entries of a feed."""
    rows = TrackedRow.objects.filter(category_key=key)
    if up_to is not None:
        rows = rows.filter(position__lte=up_to)
    values = rows.values_list("content_type_id", "object_pk", "version", "position")
    return {(label_of(ct), pk, version): position for ct, pk, version, position in values}


def test_reader_following_its_cursor_sees_every_committed_change(politics, root):
    key = str(politics.pk)
    article_type = ContentType.objects.get_for_model(Article)
    # Where each (record, version) sits in the feed: the seed's entries now,
    # each writer's own as it writes them (read back inside its transaction).
    positions = feed_entries(key)
    pks = [str(pk) for pk in Article.objects.filter(section=politics).values_list("pk", flat=True)]
    pks_lock = threading.Lock()
    writers_done = threading.Event()

    def write(seed: int) -> None:
        rng = random.Random(seed)
        for n in range(WRITES_PER_WRITER):
            create = rng.random() < 0.25
            with pks_lock:
                pk = None if create else rng.choice(pks)
            with transaction.atomic():
                article = write_article(politics.pk, f"writer {seed}, write {n}", pk)
                row = TrackedRow.objects.get(
                    content_type=article_type, object_pk=str(article.pk), category_key=key
                )
                positions[("news.article", row.object_pk, row.version)] = row.position
                # Stay open a while after taking the position, so commits interleave.
                time.sleep(rng.uniform(0, 0.005))
            if create:
                with pks_lock:
                    pks.append(str(article.pk))

    seen: set[tuple[str, str, int]] = set()
    latest: dict[tuple[str, str], tuple[int, dict]] = {}
    seen_in_order: list[tuple[str, str, int]] = []
    reads = {"during_writes": 0, "checks": 0}

    def follow() -> None:
        cursor = 0
        while True:
            writing = not writers_done.is_set()
            page = read_feed(root, key, since=cursor, limit=PAGE)
            assert page["cursor"] >= cursor, "the cursor went backwards"
            for change in page["changes"]:
                record, version = (change["model"], str(change["pk"])), change["version"]
                assert version > latest.get(record, (0, None))[0], f"{record} went back"
                latest[record] = (version, change.get("fields"))
                seen.add((*record, version))
                seen_in_order.append((*record, version))
            cursor = page["cursor"]
            # The promise itself: nothing committed at or below the cursor was skipped.
            skipped = set(feed_entries(key, up_to=cursor)) - seen
            assert not skipped, f"committed below cursor {cursor} but never read: {skipped}"
            reads["checks"] += 1
            if writing and page["changes"]:
                reads["during_writes"] += 1
            if not writing and not page["more"]:
                return  # drained after the last writer committed

    reader = DbThread("reader", follow)
    writers = [DbThread(f"writer {i}", lambda i=i: write(i)) for i in range(WRITERS)]
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)  # all of them, so none is left holding a connection
    writers_done.set()
    reader.join(timeout=60)
    for thread in [*writers, reader]:
        thread.finish(timeout=0)

    # The reader read while writers were busy, not only after them.
    assert reads["during_writes"] >= 20, reads
    # Positions the reader met only ever grew: it never went back below one it passed.
    met = [positions[entry] for entry in seen_in_order]
    assert met == sorted(met) and len(set(met)) == len(met)
    # Every article of the section reached the reader at its latest version and values.
    synced = get_registry().get("news.article")
    articles = list(Article.objects.filter(section=politics))
    assert len(articles) == len(pks)
    tracked = {
        row.object_pk: row
        for row in TrackedRow.objects.filter(content_type=article_type, category_key=key)
    }
    for article in articles:
        version, fields = latest[("news.article", str(article.pk))]
        assert not tracked[str(article.pk)].deleted
        assert version == tracked[str(article.pk)].version
        assert fields == synced.values_of(article)


@pytest.mark.parametrize("second_write", ["create", "update"])
def test_second_writer_of_a_section_waits_until_the_lower_position_commits(
    politics, root, second_write
):
    key = str(politics.pk)
    _, start = drain(root, key, since=0)
    existing = None if second_write == "create" else Article.objects.filter(section=politics)[0]
    a_wrote, release_a, b_wrote = threading.Event(), threading.Event(), threading.Event()

    def write_a() -> None:
        with transaction.atomic():
            write_article(politics.pk, "A, first in")
            a_wrote.set()
            assert release_a.wait(WAIT), "A was never released"

    def write_b() -> None:
        with transaction.atomic():
            write_article(politics.pk, "B, second in", getattr(existing, "pk", None))
            b_wrote.set()

    a, b = DbThread("A", write_a), DbThread("B", write_b)
    try:
        a.start()
        assert a_wrote.wait(WAIT)
        assert drain(root, key, since=start) == ([], start)  # A holds a position, uncommitted

        b.start()
        # B cannot take the next position while A's lower one is open: its save blocks.
        assert not b_wrote.wait(0.5), "B wrote past A's open position"
        assert drain(root, key, since=start) == ([], start)
    finally:
        release_a.set()
        a.finish()
        b.finish()

    changes, _ = drain(root, key, since=start)
    assert [c["fields"]["title"] for c in changes] == ["A, first in", "B, second in"]


def test_rolled_back_writer_leaves_nothing_in_the_feed_and_lets_the_next_one_through(
    politics, root
):
    key = str(politics.pk)
    _, start = drain(root, key, since=0)
    a_wrote, release_a = threading.Event(), threading.Event()

    class Abandoned(Exception):
        pass

    def write_a() -> None:
        try:
            with transaction.atomic():
                write_article(politics.pk, "A, abandoned")
                a_wrote.set()
                assert release_a.wait(WAIT), "A was never released"
                raise Abandoned
        except Abandoned:
            pass

    def write_b() -> None:
        with transaction.atomic():
            write_article(politics.pk, "B, kept")

    a, b = DbThread("A", write_a), DbThread("B", write_b)
    try:
        a.start()
        assert a_wrote.wait(WAIT)
        b.start()
    finally:
        release_a.set()
        a.finish()
        b.finish()

    changes, _ = drain(root, key, since=start)
    assert [c["fields"]["title"] for c in changes] == ["B, kept"]
    assert not Article.objects.filter(title="A, abandoned").exists()


def test_writers_of_different_sections_do_not_wait_for_each_other(politics, root):
    culture = Section.objects.get(name="Culture")
    _, politics_start = drain(root, str(politics.pk), since=0)
    _, culture_start = drain(root, str(culture.pk), since=0)
    a_wrote, release_a = threading.Event(), threading.Event()

    def write_a() -> None:
        with transaction.atomic():
            write_article(politics.pk, "Politics, held open")
            a_wrote.set()
            assert release_a.wait(WAIT), "A was never released"

    def write_b() -> None:
        with transaction.atomic():
            write_article(culture.pk, "Culture, committed")

    a, b = DbThread("A", write_a), DbThread("B", write_b)
    try:
        a.start()
        assert a_wrote.wait(WAIT)
        b.start()
        b.finish()  # commits while A is still open in the other section
        assert a.is_alive()

        culture_changes, _ = drain(root, str(culture.pk), since=culture_start)
        assert [c["fields"]["title"] for c in culture_changes] == ["Culture, committed"]
        assert drain(root, str(politics.pk), since=politics_start) == ([], politics_start)
    finally:
        release_a.set()
        a.finish()

    politics_changes, _ = drain(root, str(politics.pk), since=politics_start)
    assert [c["fields"]["title"] for c in politics_changes] == ["Politics, held open"]
