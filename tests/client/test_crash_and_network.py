"""Crash safety and a bad network: kill the client mid-sync, cut answers off,
make the server fail — nothing is lost and nothing is applied twice."""

from __future__ import annotations

import signal

import pytest

from tests.support.editor import Editor
from tests.support.proxy import FlakyProxy

from .conftest import make_editor
from .test_sync_end_to_end import assert_converged

pytestmark = pytest.mark.both_backends  # the central database matters here


def edit_three(editor: Editor) -> dict[str, int]:
    """Edit three articles; returns pk -> the version they were edited at."""
    articles = editor.json("records", "Politics", "--model", "article")[:3]
    versions = {}
    for number, article in enumerate(articles):
        versions[article["pk"]] = editor.json("show", "article", article["pk"])["version"]
        editor.run("edit", "article", article["pk"], "--set", f"title=Crash-proof {number}")
    return versions


def assert_applied_once(central, versions: dict[str, int], central_writes: int = 0) -> None:
    """Each edit arrived, and raised the version by exactly one (plus the central writes)."""
    server = central.records(central.category_key("Politics"))
    for number, (pk, version) in enumerate(versions.items()):
        record = server[("news.article", pk)]
        expected = version + 1 + central_writes
        assert record["values"]["title"] == f"Crash-proof {number}"
        assert record["version"] == expected, (
            "applied twice" if record["version"] > expected else "lost"
        )


@pytest.mark.parametrize("point", ["push-frozen:1", "push-answered:1"])
def test_killed_in_the_middle_of_a_push_loses_nothing_and_applies_nothing_twice(
    central, editor1, point
):
    editor1.run("checkout", "Politics")
    versions = edit_three(editor1)

    killed = editor1.run("sync", env={"FIELDSYNC_CRASH_AT": point}, check=False)
    assert killed.returncode == -signal.SIGKILL

    editor1.run("sync")
    assert_applied_once(central, versions)
    assert editor1.json("status")["queued"] == 0
    assert_converged(central, editor1)


@pytest.mark.parametrize("pages", [1, 2, 4])
def test_killed_in_the_middle_of_a_pull_resumes_without_loss(central, editor1, pages):
    small_pages = {"FIELDSYNC_PULL_PAGE": "2"}
    killed = editor1.run(
        "checkout", "Politics", env={**small_pages, "FIELDSYNC_CRASH_AT": f"pull-page:{pages}"},
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    key = central.category_key("Politics")
    assert 0 < len(editor1.records(key)) < len(central.records(key))

    editor1.run("sync", env=small_pages)

    assert_converged(central, editor1)


def test_killed_mid_pull_with_an_edit_waiting_keeps_the_edit(central, editor1):
    editor1.run("checkout", "Politics")
    versions = edit_three(editor1)
    central.shell(
        "from server_plugin.demo.news.models import Article, Section\n"
        "s = Section.objects.get(name='Politics')\n"
        "for a in Article.objects.filter(section=s): a.status = 'review'; a.save()"
    )

    killed = editor1.run(
        "sync", env={"FIELDSYNC_PULL_PAGE": "2", "FIELDSYNC_CRASH_AT": "pull-page:2"},
        check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    editor1.run("sync")

    assert_applied_once(central, versions, central_writes=1)
    server = central.records(central.category_key("Politics"))
    assert {r["values"]["status"] for (m, _), r in server.items() if m == "news.article"} == {
        "review"
    }
    assert_converged(central, editor1)


@pytest.fixture
def proxy(central):
    with FlakyProxy(central.url) as running:
        yield running


@pytest.fixture
def proxied_editor(central, proxy, tmp_path, keyring_home) -> Editor:
    """editor1, talking to the central site through the flaky proxy."""
    return make_editor("editor1", tmp_path, keyring_home, proxy)


def test_answer_cut_off_mid_response_is_retried_and_applied_once(central, proxy, proxied_editor):
    proxied_editor.run("checkout", "Politics")
    versions = edit_three(proxied_editor)
    proxy.inject("/push", "drop")

    proxied_editor.run("sync")

    assert proxy.seen["/push"] == 2  # the cut-off answer, then the retry
    assert_applied_once(central, versions)
    assert_converged(central, proxied_editor)


def test_server_answering_500_is_retried_until_it_recovers(central, proxy, proxied_editor):
    proxied_editor.run("checkout", "Politics")
    versions = edit_three(proxied_editor)
    proxy.inject("/push", "500", "500")
    proxy.inject("/changes", "500")

    proxied_editor.run("sync")

    assert proxy.seen["/push"] == 3
    assert_applied_once(central, versions)
    assert_converged(central, proxied_editor)


def test_server_that_keeps_failing_leaves_the_edits_queued_with_a_clear_message(
    central, proxy, proxied_editor
):
    proxied_editor.run("checkout", "Politics")
    edit_three(proxied_editor)
    proxy.inject("/push", *["500"] * 20)

    failed = proxied_editor.run("sync", check=False)

    assert failed.returncode == 4
    assert failed.stderr.strip().count("\n") == 0 and "keeps failing" in failed.stderr
    state = proxied_editor.json("status")
    assert state["queued"] == 3
    assert [change["tries"] for change in state["queued_changes"]] == [1, 1, 1]
    assert all("keeps failing" in change["last_error"] for change in state["queued_changes"])
