"""Files and photos in the app: a file field in the form and the detail pane, and a
photo conflict on the conflict screen.

The form's refusals need no server (attaching is offline): they run over the
sample newsroom. The rest runs against a real central site: a photo attached
offline in the app and synced is in the central storage byte for byte; opened
with the system's program (here a command named in FIELDSYNC_OPENER) it is the
same file; cleared, the central record has no file; and a photo both sides
changed is resolved with take mine for one record and take theirs for another.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from server_plugin.protocol.files import size_text
from tests.support import sample_store
from tests.support.app_driver import (
    highlight_category,
    in_store,
    online,
    open_conflict_screen,
    open_records,
    queued,
    said,
    screen_is,
    settle,
    status_bar,
    sync_until_conflicted,
    until,
)

from .conftest import MUSEUM_BACKENDS

LIMIT = sample_store.SCHEMA["limits"]["max_file_bytes"]


def png(path: Path, colour: tuple[int, int, int], size=(64, 48)) -> bytes:
    """A small real image at `path`; returns its bytes."""
    from PIL import Image

    Image.new("RGB", size, colour).save(path, "PNG")
    return path.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- driving the form ------------------------------------------------------------


async def open_form(pilot):
    from fieldsync_tui.app.screens.record_form import RecordFormScreen

    await pilot.press("enter")
    await screen_is(pilot, RecordFormScreen, "the record form")
    await until(pilot, lambda: pilot.app.screen.query("#field-image"), "the form's fields")
    await settle(pilot)
    return pilot.app.screen


def image_field(form):
    from fieldsync_tui.app.widgets.file_field import FileField

    return form.query_one("#field-image", FileField)


async def attach(pilot, form, path: Path | str, *, typed: str | None = None) -> None:
    """a on the image field, the path given (or its folder and `typed`, the start of its
    name: then → takes the completion)."""
    from fieldsync_tui.app.screens.file_path import FilePathScreen

    image_field(form).focus()
    await pilot.press("a")
    await screen_is(pilot, FilePathScreen, "the attach dialog")
    box = pilot.app.screen.query_one("#path", Input)
    if typed is None:
        box.value = str(path)
    else:  # the folder given, the start of the name typed
        box.value = f"{Path(path).parent}/"
        box.cursor_position = len(box.value)
        await pilot.press(*typed)
        await until(pilot, lambda: box._suggestion == str(path), f"the completion {path}")
        await pilot.press("right")
        assert box.value == str(path)
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.screen is form, "back on the form")
    await settle(pilot)


def detail_text(app) -> str:
    return str(app.screen.query_one("#detail-body").content)


def field_error(form) -> str:
    return str(form.query_one("#error-image", Label).content)


# -- offline: the form's own checks ----------------------------------------------


def test_attaching_in_the_form_refuses_bad_files_on_the_field_and_saves_nothing_until_ctrl_s(
    empty_store, tmp_path
):
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.store import files

    sample_store.fill()
    missing = tmp_path / "no-such-photo.jpg"
    too_big = tmp_path / "huge.jpg"
    with open(too_big, "wb") as sparse:
        sparse.truncate(LIMIT + 1)  # over the site's limit, refused before any byte is read
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    harbour = tmp_path / "harbour.png"
    harbour_sha = sha(png(harbour, (20, 90, 160)))
    harbour_line = f"harbour.png · {size_text(harbour.stat().st_size)} · here"

    async def scenario():
        with sample_store.frozen_clock():
            app = sample_store.make_app(empty_store)
            async with app.run_test(size=sample_store.SIZE, notifications=True) as pilot:
                await sample_store.photo_ready(pilot)
                assert "river-crossing.jpg · 25 KB · here" in detail_text(app)
                form = await open_form(pilot)
                assert image_field(form).line == "river-crossing.jpg · 25 KB · here"

                await attach(pilot, form, missing)
                assert field_error(form) == (
                    f"✗ cannot read {missing}: No such file or directory"
                ), field_error(form)
                await attach(pilot, form, too_big)
                assert "huge.jpg is 50 MB" in field_error(form)
                assert "over the site's limit of 50 MB" in field_error(form)
                await attach(pilot, form, notes)
                assert field_error(form) == (
                    "✗ notes.txt is not an image (Pillow cannot read it); attach a valid image"
                ), field_error(form)
                assert image_field(form).line == "river-crossing.jpg · 25 KB · here"

                await attach(pilot, form, harbour, typed="harb")
                assert field_error(form) == ""
                assert image_field(form).line == harbour_line
                assert await in_store(lambda: files.has_content(image_field(form).value))

                await pilot.press("escape")  # a changed form asks: discard, not saved
                await pilot.pause(0.2)
                await pilot.press("d")  # the record keeps its photo
                await screen_is(pilot, MainScreen, "back on the main screen")
                assert "river-crossing.jpg · 25 KB · here" in detail_text(app)

    asyncio.run(scenario())
    assert not (files.folder() / harbour_sha).exists(), "a file attached to a dropped form goes"


# -- against a real central site ----------------------------------------------------


def politics_photos(central) -> list[tuple[str, dict]]:
    records = central.records(central.category_key("Politics"))
    return sorted(
        (
            (pk, record["values"])
            for (model, pk), record in records.items()
            if model == "news.photo"
        ),
        key=lambda item: int(item[0]),
    )


def stored_image(central, pk: str) -> dict:
    """The central storage's file of a photo: its name and the sha256 of its bytes."""
    out = central.shell(
        "import hashlib, json\nfrom server_plugin.demo.news.models import Photo\n"
        f"p = Photo.objects.get(pk={int(pk)})\n"
        "data = b''\n"
        "if p.image:\n"
        "    with p.image.open('rb') as f: data = f.read()\n"
        "print(json.dumps({'name': p.image.name or '', "
        "'sha256': hashlib.sha256(data).hexdigest() if data else ''}))"
    )
    return json.loads(out.strip().splitlines()[-1])


async def highlight_photo(pilot, pk: str) -> None:
    records = await open_records(pilot)
    index = next(i for i, row in enumerate(records.rows_shown)
                 if row["model"] == "news.photo" and row["object_pk"] == pk)  # fmt: skip
    records.move_cursor(row=index)
    await settle(pilot)


async def sync(pilot) -> None:
    app = pilot.app
    await pilot.press("ctrl+s")
    await settle(pilot)
    await queued(pilot, 0)
    await until(pilot, lambda: not app.syncing.is_set(), "the sync to end")
    await settle(pilot)


async def save_copy(pilot, form, target: Path) -> None:
    """w on the image field, saved as `target`."""
    from fieldsync_tui.app.screens.file_path import FilePathScreen

    image_field(form).focus()
    await pilot.press("w")
    await screen_is(pilot, FilePathScreen, "the save-a-copy dialog")
    pilot.app.screen.query_one("#path", Input).value = str(target)
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.screen is form, "back on the form")
    await until(pilot, lambda: said(pilot.app, f"as {target}"), "the copy saved")


@pytest.mark.parametrize("site_template", MUSEUM_BACKENDS, indirect=True)  # both backends
def test_a_photo_attached_offline_in_the_app_reaches_the_central_storage_and_clears(
    driver, central, editor1, tmp_path, monkeypatch
):
    from fieldsync_tui.app.screens.main import MainScreen
    from fieldsync_tui.store import files

    files.set_download_limit(0)  # nothing comes by itself: content on demand only
    editor1.checkout("Politics")
    pk, _values = politics_photos(central)[0]
    seeded = stored_image(central, pk)
    copy = tmp_path / "copy.jpg"
    harbour = tmp_path / "harbour.png"
    harbour_sha = sha(png(harbour, (200, 60, 30)))
    harbour_line = f"harbour.png · {size_text(harbour.stat().st_size)} · here"
    opened = tmp_path / "opened-by-the-viewer.png"
    monkeypatch.setenv("FIELDSYNC_OPENER", f"sh -c 'cp \"$0\" {opened}'")

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await highlight_category(pilot, "Politics")
            await highlight_photo(pilot, pk)
            assert detail_text(app).rstrip().endswith(" · not downloaded")
            form = await open_form(pilot)
            assert image_field(form).line.endswith(" · not downloaded")
            await save_copy(pilot, form, copy)  # downloaded first, then written
            assert image_field(form).line.endswith(" · here")
            await attach(pilot, form, harbour)
            await pilot.press("o")  # open it with "the system's program"
            await until(pilot, lambda: said(app, "Opened harbour.png with sh"), "opened")
            await pilot.press("ctrl+s")
            await screen_is(pilot, MainScreen, "back on the main screen after saving")
            await until(pilot, lambda: harbour_line in detail_text(app), "the file in the detail")
            await sync(pilot)
            assert stored_image(central, pk)["sha256"] == harbour_sha

            form = await open_form(pilot)
            image_field(form).focus()
            await pilot.press("x")
            assert image_field(form).line == "(none)"
            await pilot.press("ctrl+s")
            await screen_is(pilot, MainScreen, "back on the main screen after clearing")
            await sync(pilot)
            assert status_bar(app).status.conflicts == 0

    asyncio.run(scenario())
    assert sha(copy.read_bytes()) == seeded["sha256"]
    assert opened.read_bytes() == harbour.read_bytes()
    assert stored_image(central, pk) == {"name": "", "sha256": ""}


def change_photo_centrally(central, pk: str, name: str, data: bytes) -> None:
    """The chief saves another image on the photo (through its field and storage)."""
    central.shell(
        "from django.core.files.base import ContentFile\n"
        "from server_plugin.demo.news.models import Photo\n"
        f"p = Photo.objects.get(pk={int(pk)}); p.image.save({name!r}, ContentFile({data!r}))"
    )


def attach_offline(pk: str, path: Path) -> None:
    """editor1 attaches another image to the photo offline (the store's own API)."""
    from fieldsync_tui.store import edits, files
    from fieldsync_tui.store.models import Account
    from fieldsync_tui.store.schema import Schema

    schema = Schema(Account.objects.get().schema)
    ref = files.attach(schema, "news.photo", "image", path)
    edits.update_record(schema, "news.photo", pk, {"image": ref})


def side_text(screen, side: str) -> str:
    return str(screen.query_one(f"#{side}-text").content)


async def resolve_current(pilot, screen, take: str) -> str:
    """Check what the screen shows of the current photo conflict, take a side, accept;
    returns the photo's pk."""
    from fieldsync_tui.app.screens.conflict import ConflictScreen
    from fieldsync_tui.app.widgets.image_preview import ImagePreview

    pk = screen.current.pk
    assert side_text(screen, "mine").startswith(f"mine-{pk}.png · ")
    assert side_text(screen, "mine").endswith(" · here")
    assert f"theirs-{pk}" in side_text(screen, "theirs")
    await until(pilot, lambda: side_text(screen, "theirs").endswith(" · here"),
                "the server's file downloaded for the screen")  # fmt: skip
    await until(pilot, lambda: len(screen.query(ImagePreview)) == 3, "each side's image")
    await pilot.press("m" if take == "mine" else "t")
    assert screen.result_text == side_text(screen, take)
    await pilot.press("enter")
    await settle(pilot)
    await until(pilot, lambda: not isinstance(pilot.app.screen, ConflictScreen)
                or screen.current.pk != pk, "the next conflict")  # fmt: skip
    return pk


def test_a_photo_changed_on_both_sides_is_resolved_take_mine_and_take_theirs(
    driver, central, politics, tmp_path
):
    from fieldsync_tui.app.screens.conflict import ConflictScreen

    sent = {}
    for n, (pk, _values) in enumerate(politics_photos(central)[:2]):
        mine, theirs = tmp_path / f"mine-{pk}.png", tmp_path / "theirs.png"
        sent[pk] = {"mine": sha(png(mine, (10 + n, 200, 10))),
                    "theirs": sha(png(theirs, (200, 10 + n, 10)))}  # fmt: skip
        attach_offline(pk, mine)
        change_photo_centrally(central, pk, f"theirs-{pk}.png", theirs.read_bytes())
    taken = {}

    async def scenario():
        async with driver.run() as pilot:
            app = pilot.app
            await sync_until_conflicted(pilot, conflicts=2)
            screen = await open_conflict_screen(pilot)
            for take in ("mine", "theirs"):
                taken[await resolve_current(pilot, screen, take)] = take
            await until(pilot, lambda: not isinstance(app.screen, ConflictScreen), "closed")
            await sync(pilot)
            assert status_bar(app).status.conflicts == 0

    asyncio.run(scenario())
    assert sorted(taken.values()) == ["mine", "theirs"]
    for pk, take in taken.items():
        assert stored_image(central, pk)["sha256"] == sent[pk][take], (pk, take)
