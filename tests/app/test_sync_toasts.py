"""A sync that found a conflict is a warning naming the record, not a success
(issue 11, problem 10)."""

from __future__ import annotations

import asyncio

from tests.app.test_conflicts import make_body_conflict
from tests.support.app_driver import sync_until_conflicted, until


def test_a_sync_that_found_a_conflict_warns_and_names_the_record(driver, central, logged_in):
    from fieldsync_tui.store.models import Record

    pk, *_ = make_body_conflict(central, logged_in)
    title = Record.objects.get(model="news.article", object_pk=pk).title

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await sync_until_conflicted(pilot)
            synced = [n for n in app._notifications if n.title.startswith("Synced")]
            await until(
                pilot,
                lambda: (
                    synced
                    or synced.extend(n for n in app._notifications if n.title.startswith("Synced"))
                ),
                "its toast",
            )
            toast = synced[0]
            assert toast.severity == "warning", (toast.title, toast.message)
            assert title in toast.message and "x" in toast.message

    asyncio.run(scenario())
