"""Policies and the review queue as the editor on the command line lives them."""

from __future__ import annotations

import pytest

from tests.support.central import CentralSite

from .conftest import make_editor
from .test_sync_end_to_end import assert_converged, first_article


def site_with_policy(site_template, tmp_path, policy: str) -> CentralSite:
    return CentralSite(
        site_template, tmp_path / "central", env={"FIELDSYNC_DEMO_ARTICLE_POLICY": policy}
    ).start()


@pytest.fixture
def review_site(site_template, tmp_path):
    site = site_with_policy(site_template, tmp_path, "review")
    yield site
    site.close()


def decide(site, decision: str) -> None:
    site.shell(
        "from django.contrib.auth.models import User\n"
        "from server_plugin import review\n"
        "from server_plugin.models import ReviewItem\n"
        "chief = User.objects.get(username='chief')\n"
        "for item in ReviewItem.objects.filter(status='pending'):\n"
        f"    {decision}\n"
    )


def test_an_accepted_update_arrives_and_leaves_the_queue(review_site, tmp_path, keyring_home):
    editor = make_editor("editor1", tmp_path, keyring_home, review_site)
    editor.run("checkout", "Politics")
    pk = first_article(editor)["pk"]
    editor.run("edit", "article", pk, "--set", "title=Waiting for the chief")

    editor.run("sync")
    assert editor.json("status")["queued"] == 1  # waiting for review, not applied
    key = review_site.category_key("Politics")
    assert review_site.records(key)[("news.article", pk)]["values"]["title"] != (
        "Waiting for the chief"
    )

    decide(review_site, "review.accept(item, chief)")
    editor.run("sync")

    assert editor.json("status")["queued"] == 0
    assert review_site.records(key)[("news.article", pk)]["values"]["title"] == (
        "Waiting for the chief"
    )
    assert_converged(review_site, editor)


def test_a_rejected_update_shows_the_reason(review_site, tmp_path, keyring_home):
    editor = make_editor("editor1", tmp_path, keyring_home, review_site)
    editor.run("checkout", "Politics")
    pk = first_article(editor)["pk"]
    editor.run("edit", "article", pk, "--set", "title=Too bold a headline")
    editor.run("sync")

    decide(review_site, "review.reject(item, chief, 'Tone it down, please.')")
    synced = editor.run("sync", check=False)
    status = editor.run("status")

    assert synced.returncode == 3  # something needs the editor
    assert "rejected by chief: Tone it down, please." in status.stdout
    assert editor.json("status")["rejected"] == 1


def test_major_edit_from_the_field_beats_a_central_minor_one(site_template, tmp_path, keyring_home):
    site = site_with_policy(site_template, tmp_path, "major-minor")
    try:
        editor = make_editor("editor1", tmp_path, keyring_home, site)
        editor.run("checkout", "Politics")
        pk = first_article(editor)["pk"]
        editor.run("edit", "article", pk, "--set", "title=Major rewrite", "--major")
        # a central edit that the chief marks minor: through the push path as a device
        site.shell(
            "from server_plugin.demo.news.models import Article\n"
            "from server_plugin.models import TrackedRow\n"
            f"a = Article.objects.get(pk={pk!r}); a.title = 'Central typo fix'; a.save()\n"
            f"TrackedRow.objects.filter(object_pk={pk!r}).update(edit_kind='minor')"
        )
        editor.run("sync")

        key = site.category_key("Politics")
        assert site.records(key)[("news.article", pk)]["values"]["title"] == "Major rewrite"
        assert_converged(site, editor)

        # and the other way round: a minor edit from the field loses, and the editor is told
        editor.run("edit", "article", pk, "--set", "title=Minor field fix", "--minor")
        site.shell(
            "from server_plugin.demo.news.models import Article\n"
            f"a = Article.objects.get(pk={pk!r}); a.title = 'Central major edit'; a.save()"
        )
        synced = editor.run("sync")
        assert "lost: Minor field fix: your edit of title lost to a major one" in synced.stdout
        assert "kept in the record's history" in synced.stdout
        assert_converged(site, editor)
    finally:
        site.close()
