"""What a sync reads of the store costs the size of the queue, not of the records held
(issue 12: a no-op sync of a 1,000,000-record category spent 0.14 s, and a pull
0.28 s, asking whether a change of it was sent and not yet answered, because
SQLite walked every record of the category to probe the queue for each)."""

from __future__ import annotations

import pytest

from tests.support import sample_store
from tests.support.sample_store import POLITICS


@pytest.fixture
def many_records(local_store):
    sample_store.fill_large(300)
    return POLITICS


def queue_one(frozen: bool) -> None:
    from fieldsync_tui.store.models import PendingChange, Record

    record = Record.objects.filter(category_key=POLITICS).order_by("id").first()
    PendingChange.objects.create(record=record, op=PendingChange.UPDATE,
                                 payload={"id": "sent"} if frozen else None)  # fmt: skip


def query_plan(queryset) -> list[str]:
    """SQLite's plan of `queryset`, one line per step, outer loop first."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def test_a_sent_change_is_looked_for_from_the_queue_not_from_the_records(many_records):
    from fieldsync_tui.store.queries import categories_with_sent_changes

    steps = query_plan(categories_with_sent_changes())

    plan = "\n".join(steps)
    assert steps[0] == "SCAN fieldsync_store_pendingchange", plan
    assert "INTEGER PRIMARY KEY" in plan and "store_listing" not in plan, plan


@pytest.mark.parametrize("frozen", [False, True])
def test_the_categories_with_sent_changes_are_those_with_a_frozen_queued_change(
    many_records, frozen
):
    from fieldsync_tui.store.models import PendingChange
    from fieldsync_tui.store.queries import categories_with_sent_changes

    assert set(categories_with_sent_changes()) == set()
    queue_one(frozen)
    assert set(categories_with_sent_changes()) == ({POLITICS} if frozen else set())
    PendingChange.objects.update(state=PendingChange.REJECTED)
    assert set(categories_with_sent_changes()) == set()
