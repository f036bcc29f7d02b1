"""Typing a path in the attach dialog (a new user's trial): the box opens on the current
folder, and typing an absolute path after it gave "cannot read
/work/trial/work/trial/kindred-cover.png". As in a file dialog's location bar (and
Emacs's minibuffer), a "/" or "~" typed where a new part of the path starts begins a
new path: what was before goes, and tab / → completion goes on from the new path."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import events
from textual.widgets import Input, Label

from server_plugin.protocol.files import size_text
from tests.support import sample_store
from tests.support.app_driver import screen_is, settle, until

from .test_files import image_field, open_form, png


def field_error(form) -> str:
    return str(form.query_one("#error-image", Label).content)


async def type_in_attach_dialog(pilot, form, keys: list[str]) -> Input:
    """a on the image field, then each key pressed as the editor would type it."""
    from fieldsync_tui.app.screens.file_path import FilePathScreen

    image_field(form).focus()
    await pilot.press("a")
    await screen_is(pilot, FilePathScreen, "the attach dialog")
    box = pilot.app.screen.query_one("#path", Input)
    assert box.value == f"{Path.cwd()}/", "the dialog opens on the current folder"
    if keys:
        await pilot.press(*keys)
        await pilot.pause(0.1)
    return box


def keys_of(text: str) -> list[str]:
    names = {"/": "slash", "~": "tilde", ".": "full_stop", "-": "minus", "_": "underscore"}
    return [names.get(char, char) for char in text]


async def chosen(pilot, form) -> None:
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.screen is form, "back on the form")
    await settle(pilot)


def test_an_absolute_path_typed_over_the_current_folder_is_the_one_attached(
    empty_store, tmp_path, monkeypatch
):
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(here)
    cover, back = elsewhere / "kindred-cover.png", elsewhere / "back-cover.png"
    png(cover, (200, 40, 40))
    png(back, (40, 200, 40))
    cover_line = f"kindred-cover.png · {size_text(cover.stat().st_size)} · here"
    sample_store.fill()

    async def scenario():
        with sample_store.frozen_clock():
            app = sample_store.make_app(empty_store)
            async with app.run_test(size=sample_store.SIZE, notifications=True) as pilot:
                await sample_store.photo_ready(pilot)
                form = await open_form(pilot)

                box = await type_in_attach_dialog(pilot, form, keys_of(str(cover)))
                assert box.value == str(cover), "the typed / began a new path"
                await chosen(pilot, form)
                assert field_error(form) == "", field_error(form)
                assert image_field(form).line == cover_line

                box = await type_in_attach_dialog(pilot, form, [])  # pasted, not typed
                box.post_message(events.Paste(str(back)))
                await until(pilot, lambda: box.value == str(back), "the pasted path alone")
                await chosen(pilot, form)
                assert field_error(form) == "", field_error(form)
                assert image_field(form).line.startswith("back-cover.png · ")

    asyncio.run(scenario())


def test_a_home_path_typed_over_the_current_folder_completes_and_is_attached(
    empty_store, tmp_path, monkeypatch
):
    home, here = tmp_path / "home", tmp_path / "here"
    (home / "Pictures").mkdir(parents=True)
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    harbour = home / "Pictures" / "harbour.png"
    png(harbour, (20, 90, 160))
    harbour_line = f"harbour.png · {size_text(harbour.stat().st_size)} · here"
    sample_store.fill()

    async def scenario():
        with sample_store.frozen_clock():
            app = sample_store.make_app(empty_store)
            async with app.run_test(size=sample_store.SIZE, notifications=True) as pilot:
                await sample_store.photo_ready(pilot)
                form = await open_form(pilot)

                box = await type_in_attach_dialog(pilot, form, keys_of("~/Pic"))
                assert box.value == "~/Pic", "the typed ~ began a new path"
                await until(pilot, lambda: box._suggestion == "~/Pictures/", "~/Pictures/")
                await pilot.press("right", *keys_of("harb"))
                await until(pilot, lambda: box._suggestion == "~/Pictures/harbour.png",
                            "the completion ~/Pictures/harbour.png")  # fmt: skip
                await pilot.press("right")
                await chosen(pilot, form)
                assert field_error(form) == "", field_error(form)
                assert image_field(form).line == harbour_line

    asyncio.run(scenario())


def test_a_name_typed_after_the_current_folder_is_still_found_there(
    empty_store, tmp_path, monkeypatch
):
    """The pre-filled folder still serves: a relative name completes inside it."""
    monkeypatch.chdir(tmp_path)
    notes = tmp_path / "notes-on-the-harbour.png"
    png(notes, (10, 10, 10))
    sample_store.fill()

    async def scenario():
        with sample_store.frozen_clock():
            app = sample_store.make_app(empty_store)
            async with app.run_test(size=sample_store.SIZE, notifications=True) as pilot:
                await sample_store.photo_ready(pilot)
                form = await open_form(pilot)

                box = await type_in_attach_dialog(pilot, form, keys_of("notes"))
                await until(pilot, lambda: box._suggestion == str(notes), "the completion")
                await pilot.press("right")
                assert box.value == str(notes)
                await chosen(pilot, form)
                assert field_error(form) == "", field_error(form)
                assert image_field(form).line.startswith("notes-on-the-harbour.png · ")

    asyncio.run(scenario())
