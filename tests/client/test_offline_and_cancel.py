"""A bad link: a sync while the folder is known to be offline tries once (no retry
ladder) and records the try and its error on each queued change; a running sync
can be cancelled between requests, keeping what was committed and nothing half
applied, and the next sync finishes the work."""

from __future__ import annotations

import threading

import pytest

from tests.support.proxy import FlakyProxy

from .conftest import make_editor


def test_a_sync_while_known_offline_tries_once_and_records_the_try(
    central, tmp_path, keyring_home
):
    with FlakyProxy(central.url) as proxy:
        editor = make_editor("editor1", tmp_path, keyring_home, proxy)
        editor.run("checkout", "Politics")
        (article, *_) = editor.json("records", "Politics", "--model", "article")
        editor.run("edit", "article", article["pk"], "--set", "title=Typed on a bad link")
        proxy.inject("/ping", "hang")
        assert editor.json("status")["online"] is False, "the ping went unanswered"
        proxy.inject("/schema", *["hang"] * 5)

        failed = editor.run("sync", check=False, env={"FIELDSYNC_READ_TIMEOUT": "1"})

        assert failed.returncode == 4 and "timed out" in failed.stderr, failed.stderr
        assert proxy.seen["/schema"] == 1, "known offline: one try, no retry ladder"
        (queued,) = editor.json("status")["queued_changes"]
        assert (queued["title"], queued["tries"]) == ("Typed on a bad link", 1)
        assert "timed out" in queued["last_error"] and queued["last_try_at"]
        shown = editor.run("status").stdout
        assert '"Typed on a bad link": 1 try, last ' in shown and "timed out" in shown

        proxy.heal()
        editor.run("sync")  # the link is back: the change goes

        assert editor.json("status")["queued_changes"] == []


# -- cancelling, in this process (the app's worker does the same) -------------------------


def category_records(name: str) -> int:
    from fieldsync_tui.store.models import Category, Record

    return Record.objects.filter(category_key=Category.objects.get(name=name).key).count()


def test_a_cancelled_checkout_keeps_the_pages_it_pulled_and_a_sync_finishes_it(
    engine_on, central, monkeypatch
):
    from fieldsync_tui.store.models import Category
    from fieldsync_tui.sync import engine as engine_module
    from fieldsync_tui.sync.engine import Cancelled

    monkeypatch.setattr(engine_module, "PULL_PAGE", 3)
    cancel = threading.Event()

    def progress(step):
        if step.phase == "pull" and step.label == "Politics":
            cancel.set()  # the editor presses cancel once the first page is in

    with pytest.raises(Cancelled) as cancelled:
        engine_on(progress, cancel).checkout("Politics")

    assert "cancelled" in str(cancelled.value) and "stays" in str(cancelled.value)
    politics = Category.objects.get(name="Politics")
    assert politics.checked_out and politics.cursor > 0
    assert category_records("Politics") == 3, "the first page, whole, with its cursor"

    engine_on().sync()

    assert category_records("Politics") == len(central.records(politics.key))


def test_a_cancelled_sync_keeps_what_it_pushed_and_says_so(engine_on, monkeypatch):
    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import PendingChange, Record
    from fieldsync_tui.sync import engine as engine_module
    from fieldsync_tui.sync.engine import Cancelled

    engine_on().checkout("Politics")
    schema = engine_on().schema
    for number, record in enumerate(Record.objects.filter(model="news.article")[:2]):
        edits.update_record(schema, record.model, record.object_pk, {"title": f"Cancel {number}"})
    monkeypatch.setattr(engine_module, "PUSH_BATCH", 1)
    cancel = threading.Event()

    def progress(step):
        if step.phase == "push":
            cancel.set()

    with pytest.raises(Cancelled) as cancelled:
        engine_on(progress, cancel).sync()

    assert dict(cancelled.value.report.pushed) == {"applied": 1}
    (left,) = PendingChange.objects.all()
    assert left.payload is None and left.attempts == 0, "never frozen: it was never sent"

    report = engine_on().sync()

    assert dict(report.pushed) == {"applied": 1} and not PendingChange.objects.exists()
