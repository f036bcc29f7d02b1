"""Rights that widen later reach the editor on the next sync: a model permission
added after the editor pulled (the feed had withheld that model's rows and
the cursor moved past them). On the museum site (tests/museum_site)."""

from __future__ import annotations

from tests.support.central import CentralSite
from tests.support.editor import Editor

from .conftest import DELTA, make_editor


def set_permissions(site: CentralSite, username: str, *, add=(), remove=()) -> None:
    site.shell(
        "from django.contrib.auth.models import Permission, User\n"
        f"user = User.objects.get(username={username!r})\n"
        "perms = lambda names: Permission.objects.filter(content_type__app_label='museum', "
        "codename__in=names)\n"
        f"user.user_permissions.add(*perms({list(add)!r}))\n"
        f"user.user_permissions.remove(*perms({list(remove)!r}))\n"
    )


def test_a_permission_added_later_delivers_the_withheld_rows_on_the_next_sync(
    museum_site, tmp_path, keyring_home
):
    set_permissions(museum_site, "editor1", remove=["view_note", "view_material"])
    editor: Editor = make_editor("editor1", tmp_path, keyring_home, museum_site)
    editor.run("checkout", DELTA)
    key = museum_site.category_key(DELTA)
    server = museum_site.records(key)
    notes = {pk for model, pk in server if model == "museum.note"}
    assert notes
    assert not [pk for model, pk in editor.records(key) if model == "museum.note"]
    assert editor.count("record", "model = 'museum.material'") == 0
    editor.run("sync")  # the cursors move on, past the withheld rows

    set_permissions(museum_site, "editor1", add=["view_note", "view_material"])
    editor.run("sync")

    assert editor.records(key) == museum_site.records(key)  # notes included, equal
    assert editor.count("record", "model = 'museum.material'") == 5
    editor.run("sync")  # read once: a further sync has nothing left to fetch again
    assert editor.records(key) == museum_site.records(key)
