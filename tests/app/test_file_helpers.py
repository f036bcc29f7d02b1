"""The app's file decisions that need no screen: path completion, which program opens
a file, and what a preview says when it cannot draw."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _store_open(store_folder):
    """The app's modules import the store's models: Django set up on the test store."""


def test_a_path_completes_to_the_first_entry_of_its_folder_a_folder_with_its_slash(tmp_path):
    from fieldsync_tui.app.widgets.path_input import complete_path

    (tmp_path / "harbour.jpg").write_bytes(b"x")
    (tmp_path / "harbours").mkdir()
    (tmp_path / ".hidden.jpg").write_bytes(b"x")
    assert complete_path(f"{tmp_path}/har") == f"{tmp_path}/harbour.jpg"
    assert complete_path(f"{tmp_path}/harbours") == f"{tmp_path}/harbours/"
    assert complete_path(f"{tmp_path}/") == f"{tmp_path}/harbour.jpg", "hidden entries wait for ."
    assert complete_path(f"{tmp_path}/.h") == f"{tmp_path}/.hidden.jpg"
    assert complete_path(f"{tmp_path}/zzz") is None
    assert complete_path(f"{tmp_path}/no-such-folder/a") is None


def test_the_opener_is_the_editors_choice_else_the_systems_else_a_way_out():
    from fieldsync_tui.app.file_opening import NoOpener, opener_command

    assert opener_command("linux", {"FIELDSYNC_OPENER": "feh -F"}, lambda _: None) == ["feh", "-F"]
    assert opener_command("darwin", {}, lambda _: None) == ["open"]
    assert opener_command("linux", {}, lambda name: "/usr/bin/" + name) == ["xdg-open"]
    with pytest.raises(NoOpener, match="xdg-open is not installed.*FIELDSYNC_OPENER.*w"):
        opener_command("linux", {}, lambda _: None)


def test_a_file_pillow_cannot_read_is_previewed_as_words(tmp_path):
    from fieldsync_tui.client.file_views import picture_of

    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    assert picture_of(text) == (None, "no preview: Pillow cannot read this file as an image")


def test_without_textual_image_a_preview_says_what_to_install_and_draws_nothing(monkeypatch):
    from fieldsync_tui.app.widgets import image_preview
    from fieldsync_tui.client.file_views import FileShown

    monkeypatch.setattr(image_preview, "Picture", None)
    shown = FileShown(None, "harbour.jpg · 340 KB · here", picture=object(), note="1280 × 853 JPEG")
    preview = image_preview.ImagePreview("Image", shown)
    assert not preview.drawn
    assert preview.note == "1280 × 853 JPEG · no preview: install fieldsync[images] (textual-image)"
