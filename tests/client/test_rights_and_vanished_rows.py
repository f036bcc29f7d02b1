"""Rights narrowed and parents deleted while an editor was offline, end to end: each
such change is rejected alone with its reason (no 5xx, no stuck queue), `sync`
exits 3 whenever it leaves work behind, the store refuses offline what the
user may not do, and `checkin` offers a new edit or `discard`, never another
sync. The in-process halves are tests/server/test_push_rights.py,
test_push_vanished_rows.py and tests/client/test_edit_rights_in_store.py."""

from __future__ import annotations

import json

from .test_sync_end_to_end import assert_converged

ARTICLE, PHOTO = "news.article", "news.photo"
NEWS = "from server_plugin.demo.news.models import Article; "


def _take_away(central, codename: str) -> None:
    central.shell(
        "from django.contrib.auth.models import Permission, User\n"
        f"User.objects.get(username='editor1').user_permissions.remove("
        f"Permission.objects.get(codename={codename!r}))"
    )


def test_changes_refused_for_rights_or_rows_gone_offline_never_hold_the_others(central, editor1):
    editor1.run("checkout", "Politics")
    key = central.category_key("Politics")
    local = editor1.records(key)
    photos = {pk: r["values"]["article"] for (m, pk), r in local.items() if m == PHOTO}
    doomed = next(iter(photos.values()))  # an article with photos, deleted centrally
    photo = next(pk for pk, article in photos.items() if article != doomed)
    article = next(pk for (m, pk) in local if m == ARTICLE and pk not in set(photos.values()))

    # offline: a photo for the doomed article, a caption, a title
    made = editor1.json("new", "photo", "--set", f"article={doomed}", "--set", "caption=Kept")
    editor1.run("edit", "photo", photo, "--set", "caption=Caption kept from the field")
    editor1.run("edit", "article", article, "--set", "title=Still pushed")
    central.shell(NEWS + f"Article.objects.get(pk={doomed!r}).delete()")
    _take_away(central, "change_photo")

    synced = editor1.run("sync", check=False)

    assert synced.returncode == 3, synced.stdout + synced.stderr
    assert "server keeps failing" not in synced.stdout + synced.stderr
    server = central.records(key)
    assert server[(ARTICLE, article)]["values"]["title"] == "Still pushed"
    assert server[(PHOTO, photo)]["values"]["caption"] != "Caption kept from the field"
    rejected = {entry["pk"]: entry for entry in editor1.json("rejected")}
    assert set(rejected) == {made["pk"], photo}
    assert rejected[made["pk"]]["errors"] == {
        "article": [f"article instance with id UUID('{doomed}') is not a valid choice."]
    }
    assert rejected[photo]["reasons"] == ["You may not update photos (news.photo)."]

    # the store now knows the right is gone: a new edit is refused before it is queued
    refused = editor1.run("edit", "photo", photo, "--set", "caption=Again", check=False)
    (line,) = refused.stderr.strip().splitlines()  # one line
    assert refused.returncode == 1 and line.endswith("You may not update photos (news.photo).")

    blocked = editor1.run("checkin", "Politics", check=False)
    assert blocked.returncode == 1
    assert "--set article=VALUE" in blocked.stderr and "fieldsync discard" in blocked.stderr
    assert "fieldsync sync" not in blocked.stderr, blocked.stderr

    # a lease broken centrally: the batch waits, `sync` says so and exits 3
    central.shell(
        "from django.utils import timezone; from server_plugin.models import Checkout; "
        "Checkout.objects.update(released_at=timezone.now())"
    )
    editor1.run("edit", "article", article, "--set", "title=After the lease")
    lost = editor1.run("sync", check=False)
    assert lost.returncode == 3 and "problem: " in lost.stdout and "not checked out" in lost.stdout

    for entry in rejected.values():
        editor1.run("discard", str(entry["id"]))
    editor1.run("checkout", "Politics")  # takes the lease again: the waiting edit goes
    assert editor1.run("sync", check=False).returncode == 0
    assert central.records(key)[(ARTICLE, article)]["values"]["title"] == "After the lease"
    assert_converged(central, editor1)
    editor1.run("checkin", "Politics")


def test_a_category_whose_grant_was_withdrawn_leaves_the_folder_and_its_edits_are_set_aside(
    central, editor1
):
    """The others still sync; the withdrawn one is purged once (its unsynced edits
    written to a set-aside file first, and the editor told where), not reported
    as "not pulled" at every sync."""
    editor1.run("checkout", "Culture")
    editor1.run("checkout", "Politics")
    culture, politics = central.category_key("Culture"), central.category_key("Politics")
    article = next(pk for (m, pk) in editor1.records(politics) if m == ARTICLE)
    kept = next(pk for (m, pk) in editor1.records(culture) if m == ARTICLE)
    editor1.run("edit", "article", kept, "--set", "title=Typed before the grant went")
    central.shell(
        "from server_plugin.models import CategoryGrant; "
        f"CategoryGrant.objects.filter(user__username='editor1', category_key={culture!r})"
        ".delete(); " + NEWS + f"Article.objects.filter(pk={article!r}).update(title='Moved on')"
        f"; from server_plugin.tracking import track_queryset; "
        f"track_queryset(Article.objects.filter(pk={article!r}))"
    )

    synced = editor1.run("sync", check=False)

    assert synced.returncode == 3, synced.stdout + synced.stderr
    (line,) = [ln for ln in synced.stdout.splitlines() if ln.startswith("withdrawn: ")]
    assert "Culture: you no longer have access" in line, line
    set_aside = editor1.folder / "set-aside"
    assert f"unsynced edits of 1 record(s) are in {set_aside}" in line, line
    assert editor1.records(culture) == {}
    (kept_file,) = [json.loads(p.read_text()) for p in set_aside.glob("*.json")]
    assert kept_file["pk"] == kept and kept_file["values"] == {
        "title": "Typed before the grant went"
    }
    assert editor1.records(politics)[(ARTICLE, article)]["values"]["title"] == "Moved on"
    again = editor1.run("sync", check=False)
    assert again.returncode == 0 and "Culture" not in again.stdout, again.stdout
