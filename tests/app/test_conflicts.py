"""Resolving a conflict in the app: the server ends up holding what the screen showed.

Each test makes a real conflict: editor1 checks Politics out and edits an
article offline while the chief changes the same sentence on the central
site; the app's sync finds the conflict, the editor resolves it on the
conflict screen, and a second sync pushes the resolution.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.app_driver import (
    notifications,
    open_conflict_screen,
    settle,
    sync_until_conflicted,
    until,
)

OPENING = "The council met on Monday. It agreed the budget.\n\n"
BASE_SENTENCE = "met on Monday"
MY_SENTENCE, THEIR_SENTENCE = "met on Monday evening", "met on Tuesday"


# -- making a conflict (outside the app's event loop: Django is sync-only) ---------


def set_centrally(central, pk: str, **values) -> None:
    """An edit on the central site, as the chief would make it."""
    assignments = "; ".join(f"a.{name} = {value!r}" for name, value in values.items())
    central.shell(
        "from server_plugin.demo.news.models import Article\n"
        f"a = Article.objects.get(pk={pk!r}); {assignments}; a.save()"
    )


def first_article(central) -> tuple[str, dict]:
    records = central.records(central.category_key("Politics"))
    pk = sorted(pk for model, pk in records if model == "news.article")[0]
    return pk, records[("news.article", pk)]["values"]


def check_out_and_edit(central, token: str, pk: str, mine: dict) -> None:
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Account
    from fieldsync_tui.store.schema import Schema
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport

    SyncEngine(Transport(central.url, token)).checkout("Politics")
    schema = Schema(Account.objects.get().schema)
    edits.update_record(schema, "news.article", pk, mine)


def make_body_conflict(central, token: str) -> tuple[str, str, str, str]:
    """The same sentence of a long body changed on both sides: (pk, base, mine, theirs)."""
    pk, values = first_article(central)
    base = OPENING + values["body"]
    set_centrally(central, pk, body=base)
    mine = base.replace(BASE_SENTENCE, MY_SENTENCE, 1)
    theirs = base.replace(BASE_SENTENCE, THEIR_SENTENCE, 1)
    check_out_and_edit(central, token, pk, {"body": mine})
    set_centrally(central, pk, body=theirs)
    return pk, base, mine, theirs


def open_conflicts() -> list:
    from fieldsync_tui.store.models import Conflict

    return list(Conflict.objects.filter(resolved_at__isnull=True))


def local_record(pk: str):
    from fieldsync_tui.store.models import Record

    return Record.objects.filter(model="news.article", object_pk=pk).first()


# -- driving the app ----------------------------------------------------------------


async def accept_and_sync(pilot) -> None:
    from fieldsync_tui.app.screens.conflict import ConflictScreen
    from fieldsync_tui.app.widgets.status_bar import StatusBar

    app = pilot.app
    await pilot.press("enter")
    await settle(pilot)
    await until(pilot, lambda: not isinstance(app.screen, ConflictScreen),
                "the screen to close once no conflict is left")  # fmt: skip
    bar = app.screen.query_one(StatusBar)
    await until(pilot, lambda: bar.status.conflicts == 0, "the conflict count to drop to 0")
    await pilot.press("ctrl+s")
    await settle(pilot)
    await until(pilot, lambda: bar.status.queued == 0 and not app.syncing.is_set(),
                "the resolution to be pushed")  # fmt: skip


def marks_in_table(app, pk: str) -> str:
    from fieldsync_tui.app.widgets.records_table import RecordsTable, mark

    table = app.screen.query_one(RecordsTable)
    return "".join(mark(row) for row in table.rows_shown if row["object_pk"] == pk)


def server_values(central, pk: str) -> dict:
    return central.records(central.category_key("Politics"))[("news.article", pk)]["values"]


# -- the tests ----------------------------------------------------------------------


@pytest.mark.parametrize("take", ["mine", "theirs", "merge", "edit"])
def test_resolving_a_body_conflict_sends_what_the_result_pane_showed(
    driver, central, logged_in, take
):
    pk, base, mine, theirs = make_body_conflict(central, logged_in)
    seen: dict = {}

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await sync_until_conflicted(pilot)
            await until(pilot, lambda: "conflict" in marks_in_table(app, pk),
                        "the ⚠ conflict mark in the records table")  # fmt: skip
            screen = await open_conflict_screen(pilot)
            seen["header"] = str(screen.query_one("#conflict-title").visual.plain)
            seen["suggestion"] = screen.current_field.suggestion
            seen["offered"] = (
                screen.query_one("#result-pane").border_title,
                screen.result_text,
                dict(screen.choices[screen.current.id]),
            )
            if take == "edit":
                await pilot.press("e")
                await pilot.press(*"Update", "space")
                await pilot.press("ctrl+s")
            else:
                await pilot.press({"mine": "m", "theirs": "t", "merge": "g"}[take])
            await pilot.pause()
            seen["result"] = screen.result_text
            seen["title"] = screen.query_one("#result-pane").border_title
            seen["summary"] = str(screen.query_one("#summary-text").visual.plain)
            await accept_and_sync(pilot)
            seen["mark"] = marks_in_table(app, pk)

    asyncio.run(scenario())

    assert "Conflict 1 of 1" in seen["header"] and "field 1 of 1: body" in seen["header"]
    # The suggestion is shown for the editor to read, never chosen for them.
    offered_title, offered_text, chosen = seen["offered"]
    assert offered_title.startswith("Result — not chosen yet")
    assert "suggested merge" in offered_title
    assert seen["suggestion"] in offered_text and chosen == {}
    expected = {
        "mine": mine,
        "theirs": theirs,
        "merge": seen["suggestion"],
        "edit": "Update " + (seen["suggestion"] or mine),
    }[take]
    assert expected is not None
    assert seen["result"] == expected
    word = {"mine": "mine", "theirs": "theirs", "merge": "suggested merge", "edit": "edited"}
    assert word[take] in seen["title"]
    if take == "merge":  # a suggestion is never marked as a clean merge
        assert "✓" not in seen["title"] and "Body: suggestion (read it)" in seen["summary"]
    assert server_values(central, pk)["body"] == seen["result"]
    assert open_conflicts() == [] and local_record(pk).conflicted is False
    assert seen["mark"] == ""


def test_choices_per_field_are_combined_into_one_resolution(driver, central, logged_in):
    pk, values = first_article(central)
    base_body = OPENING + values["body"]
    set_centrally(central, pk, body=base_body, title="Council meets")
    my_body = base_body.replace(BASE_SENTENCE, MY_SENTENCE, 1)
    their_body = base_body.replace(BASE_SENTENCE, THEIR_SENTENCE, 1)
    check_out_and_edit(central, logged_in, pk, {"title": "Council meets at last", "body": my_body})
    featured = not values["featured"]
    set_centrally(central, pk, title="Council meets again", body=their_body, featured=featured)
    seen: dict = {}

    async def scenario():
        async with driver.run() as pilot:
            await sync_until_conflicted(pilot)
            screen = await open_conflict_screen(pilot)
            assert [f.name for f in screen.current.fields] == ["title", "body"]
            seen["merged"] = str(screen.query_one("#summary-text").visual.plain)
            await pilot.press("m")  # title: mine
            seen["title"] = screen.result_text
            await pilot.press("n", "t")  # body: theirs
            seen["body"] = screen.result_text
            await accept_and_sync(pilot)

    asyncio.run(scenario())

    assert "Featured · their change" in seen["merged"]
    assert (seen["title"], seen["body"]) == ("Council meets at last", their_body)
    server = server_values(central, pk)
    assert (server["title"], server["body"], server["featured"]) == (
        "Council meets at last",
        their_body,
        featured,
    )
    assert open_conflicts() == []


def test_take_suggestion_without_a_suggested_merge_is_refused_and_changes_nothing(
    driver, central, logged_in
):
    pk, _values = first_article(central)
    check_out_and_edit(central, logged_in, pk, {"title": "Editor title"})
    set_centrally(central, pk, title="Chief title")
    seen: dict = {}

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await sync_until_conflicted(pilot)
            screen = await open_conflict_screen(pilot)
            before = (screen.result_text, dict(screen.choices[screen.current.id]))
            await pilot.press("g")
            await pilot.pause()
            seen["notes"] = notifications(app)
            seen["after"] = (screen.result_text, dict(screen.choices[screen.current.id]))
            seen["before"] = before
            await pilot.press("enter")  # nothing chosen: refused too
            await pilot.pause()
            seen["still_open"] = app.screen is screen
            seen["notes_after_enter"] = notifications(app)
            await pilot.press("escape")
            await settle(pilot)

    asyncio.run(scenario())

    assert any("no suggested merge for Title" in note for note in seen["notes"])
    assert seen["after"] == seen["before"] and seen["before"][1] == {}
    assert seen["before"][0].startswith("Choose:")
    assert seen["still_open"]
    assert any("Choose for Title first" in note for note in seen["notes_after_enter"])
    (conflict,) = open_conflicts()
    assert local_record(pk).conflicted is True and not local_record(pk).pending
    assert server_values(central, pk)["title"] == "Chief title"


def test_a_record_deleted_on_the_server_says_so_and_its_deletion_can_be_accepted(
    driver, central, logged_in
):
    pk, _values = first_article(central)
    check_out_and_edit(central, logged_in, pk, {"title": "Edited in the field"})
    central.shell(
        "from server_plugin.demo.news.models import Article\n"
        f"Article.objects.get(pk={pk!r}).delete()"
    )
    seen: dict = {}

    async def scenario():
        async with driver.run() as pilot:
            await sync_until_conflicted(pilot)
            screen = await open_conflict_screen(pilot)
            notice = screen.query_one("#conflict-notice")
            seen["notice"] = (notice.display, str(notice.visual.plain))
            seen["theirs"] = str(screen.query_one("#theirs-text").visual.plain)
            await pilot.press("g")
            await pilot.press("t")
            seen["result"] = screen.result_text
            await accept_and_sync(pilot)

    asyncio.run(scenario())

    assert seen["notice"][0] and "DELETED ON THE SERVER" in seen["notice"][1]
    assert "deleted on the server" in seen["theirs"]
    assert "deleted" in seen["result"]
    records = central.records(central.category_key("Politics"))
    assert ("news.article", pk) not in records
    assert local_record(pk) is None and open_conflicts() == []


def test_each_accepted_conflict_disappears_and_the_screen_closes_after_the_last(
    driver, central, logged_in
):
    records = central.records(central.category_key("Politics"))
    first, second = sorted(pk for model, pk in records if model == "news.article")[:2]
    check_out_and_edit(central, logged_in, first, {"title": "First, from the field"})
    check_out_and_edit(central, logged_in, second, {"title": "Second, from the field"})
    set_centrally(central, first, title="First, from the chief")
    set_centrally(central, second, title="Second, from the chief")
    seen: dict = {}

    def header(screen) -> str:
        return str(screen.query_one("#conflict-title").visual.plain)

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await sync_until_conflicted(pilot, conflicts=2)
            screen = await open_conflict_screen(pilot)
            seen["opened"] = header(screen)
            await pilot.press("right_square_bracket")
            seen["next"] = (header(screen), screen.current.pk)
            await pilot.press("t", "enter")
            await settle(pilot)
            await until(pilot, lambda: len(screen.conflicts) == 1, "the resolved one to go")
            seen["left"] = (app.screen is screen, header(screen), screen.current.pk)
            await pilot.press("m")
            await accept_and_sync(pilot)

    asyncio.run(scenario())

    assert "Conflict 1 of 2" in seen["opened"]
    assert "Conflict 2 of 2" in seen["next"][0]
    assert seen["left"][0] and "Conflict 1 of 1" in seen["left"][1]
    assert seen["left"][2] != seen["next"][1]
    server = central.records(central.category_key("Politics"))
    titles = {pk: server[("news.article", pk)]["values"]["title"] for pk in (first, second)}
    resolved_with_theirs = seen["next"][1]
    resolved_with_mine = seen["left"][2]
    assert titles[resolved_with_theirs].endswith("from the chief")
    assert titles[resolved_with_mine].endswith("from the field")
    assert open_conflicts() == []


def test_a_conflict_made_by_a_second_client_is_resolved_in_the_app(
    site_template, empty_store, tmp_path
):
    """Two editors on an advisory site: editor2's command line wins the race,
    editor1's app meets the conflict, takes mine, and both clients converge on it."""
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport
    from tests.support.app_driver import AppDriver
    from tests.support.central import CentralSite
    from tests.support.editor import Editor

    site = CentralSite(
        site_template, tmp_path / "advisory", env={"FIELDSYNC_DEMO_CHECKOUT_MODE": "advisory"}
    ).start()
    try:
        transport = Transport(site.url)
        token = SyncEngine.login(transport, "editor1", "demo-password", "pilot")
        SyncEngine(transport).refresh_schema()
        pk, values = first_article(site)
        base = OPENING + values["body"]
        set_centrally(site, pk, body=base)
        check_out_and_edit(site, token, pk, {"body": base.replace(BASE_SENTENCE, MY_SENTENCE)})
        other = Editor("editor2", tmp_path / "editor2", tmp_path / "keyring")
        other.login(site.url)
        other.run("checkout", "Politics")
        other.run("edit", "article", pk, "--set",
                  f"body={base.replace(BASE_SENTENCE, THEIR_SENTENCE)}")  # fmt: skip
        other.run("sync")
        seen: dict = {}

        async def scenario():
            async with AppDriver(empty_store, token=token).run() as pilot:
                await sync_until_conflicted(pilot)
                screen = await open_conflict_screen(pilot)
                assert screen.current_field.theirs == base.replace(BASE_SENTENCE, THEIR_SENTENCE)
                await pilot.press("m")
                await pilot.pause()
                seen["result"] = screen.result_text
                await accept_and_sync(pilot)

        asyncio.run(scenario())

        assert seen["result"] == base.replace(BASE_SENTENCE, MY_SENTENCE)
        assert server_values(site, pk)["body"] == seen["result"]
        other.run("sync")
        key = site.category_key("Politics")
        assert other.records(key)[("news.article", pk)]["values"]["body"] == seen["result"]
    finally:
        site.close()


def test_a_one_line_field_edited_in_the_result_stays_one_line(driver, central, logged_in):
    """A new user's trial: `enter` in the Result editor of a title put a line break into
    a one-line field, and it was pushed. In a one-line field `enter` keeps the edit (as
    in the record form, where a title is one Input), and a pasted line break is refused."""
    pk, values = first_article(central)
    check_out_and_edit(central, logged_in, pk, {"title": "Mine title"})
    set_centrally(central, pk, title="Theirs title")
    seen: dict = {}

    async def scenario():
        async with driver.run() as pilot:
            await sync_until_conflicted(pilot)
            screen = await open_conflict_screen(pilot)
            await pilot.press("e")
            await pilot.press("end", *" edited")
            await pilot.press("enter")  # keeps the edit: no line break typed
            await pilot.pause()
            seen["after_enter"] = (screen.editing, screen.result_text)
            await pilot.press("e")
            screen.query_one("#result-editor").insert("\nsecond line")  # a paste
            await pilot.press("ctrl+s")
            await pilot.pause()
            seen["after_paste"] = (screen.editing, notifications(pilot.app)[-1])
            await pilot.press("escape")
            await pilot.pause()
            await accept_and_sync(pilot)

    asyncio.run(scenario())

    editing, result = seen["after_enter"]
    assert not editing and "\n" not in result and result.endswith(" edited"), seen
    editing, said = seen["after_paste"]
    assert editing, "the edit with a line break was kept"
    assert "one line" in said, said
    assert "\n" not in server_values(central, pk)["title"]
    assert server_values(central, pk)["title"].endswith(" edited")
