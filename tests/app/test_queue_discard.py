"""The sync queue shows why the server refused a change, field by field, and
discards it on a key, after asking: the real app against a real central site."""

from __future__ import annotations

import asyncio
import json

from tests.support.app_driver import in_store, online, said, screen_is, until


def refused_tag_edit(central, engine, push: bool = True) -> dict:
    """An article of Politics given a tag the chief then deletes: the push is rejected
    (made here, or left to the app when `push` is False)."""
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Record

    central.shell("from server_plugin.demo.news.models import Tag; Tag.objects.create(name='gone')")
    engine.sync()
    tag = Record.objects.get(model="news.tag", values__name="gone")
    article = Record.objects.filter(model="news.article").order_by("title").first()
    edits.update_record(engine.schema, "news.article", article.object_pk,
                        {"tags": [int(tag.object_pk)]})  # fmt: skip
    central.shell(
        "from server_plugin.demo.news.models import Tag; Tag.objects.filter(name='gone').delete()"
    )
    if push:
        assert engine.push()["rejected"] == 1
    return {"pk": article.object_pk, "title": article.title, "base": article.base_values}


def test_a_rejected_change_shows_its_reasons_and_is_discarded_after_asking(
    driver, central, politics, editor1
):
    from fieldsync_tui.app.screens.confirm import ConfirmScreen
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.app.screens.queue import QueueScreen

    article = refused_tag_edit(central, editor1)

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await until(pilot, lambda: app.status.rejected == 1, "one rejected counted")
            await pilot.press("u")
            await screen_is(pilot, QueueScreen, "the sync queue")
            queue = app.screen.query_one("#queue")
            await until(pilot, lambda: queue.row_count == 1, "the rejected change listed")
            row = [str(cell) for cell in queue.get_row_at(0)]
            assert row[:3] == ["update", "article", article["title"]] and row[5] == "rejected"
            assert "tags: refers to a record that does not exist" in row[6]
            detail = str(app.screen.query_one("#queue-detail").content)
            assert article["title"] in detail and "tags: refers to a record" in detail

            await pilot.press("d")
            await screen_is(pilot, ConfirmScreen, "the question")
            question = str(app.screen.query_one("Label").content)
            assert article["title"] in question and "set-aside" in question
            await pilot.press("n")  # cancelled: nothing dropped
            await screen_is(pilot, QueueScreen)
            assert queue.row_count == 1

            await pilot.press("d")
            await screen_is(pilot, ConfirmScreen)
            await pilot.press("y")
            await screen_is(pilot, QueueScreen)
            await until(pilot, lambda: queue.row_count == 0, "the change gone from the queue")
            assert said(app, "set-aside/") and said(app, article["title"])
            await until(pilot, lambda: app.status.rejected == 0, "nothing rejected left")
            await pilot.press("escape")
            await screen_is(pilot, MainScreen)

    asyncio.run(scenario())

    def stored():
        from fieldsync_tui.store.models import Record
        from fieldsync_tui.store.set_aside import entries

        found = Record.objects.get(model="news.article", object_pk=article["pk"])
        return found.values, found.pending, entries()

    values, pending, kept = asyncio.run(in_store(stored))
    assert values == article["base"] and not pending
    (entry,) = kept
    assert entry["pk"] == article["pk"] and entry["values"]["tags"] != article["base"]["tags"]
    assert json.dumps(entry)


def test_a_sync_with_a_refused_change_warns_and_the_record_says_rejected(
    driver, central, politics, editor1
):
    """A new user's trial: a refused change was toasted "Synced · 2 pushed" and its
    record still read "● queued" in the table."""
    from fieldsync_tui.app.widgets.records_table import RecordsTable, mark
    from tests.support.app_driver import notifications, settle

    article = refused_tag_edit(central, editor1, push=False)

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.status.rejected == 1, "one rejected counted")
            await settle(pilot)
            table = app.screen.query_one(RecordsTable)
            await until(pilot, lambda: table.rows_shown, "the records")
            (row,) = [r for r in table.rows_shown if r["object_pk"] == article["pk"]]
            return mark(row), [n for n in app._notifications if "refused" in n.message]

    row_mark, warnings = asyncio.run(scenario())
    assert row_mark == "⊘ rejected", row_mark
    assert warnings and warnings[0].severity == "warning", notifications
    assert "press u" in warnings[0].message
