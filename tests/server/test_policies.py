"""Each conflict policy, as the pushing editor and the central site see it."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from server_plugin.demo.news.models import Article
from server_plugin.models import RecordFlag, RecordVersion, ReviewItem
from server_plugin.protocol import hlc

from .conftest import article_in, pulled, update, version_of


def with_policy(policy: str):
    models = {**settings.FIELDSYNC["MODELS"]}
    models["news.Article"] = {**models["news.Article"], "policy": policy}
    return override_settings(FIELDSYNC={**settings.FIELDSYNC, "MODELS": models})


@pytest.fixture
def conflict(editor1, newsroom):
    """editor1 pulled an article; then the chief retitled it centrally."""
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    article.title = "Chief's title"
    article.save()
    return editor1, article, record


def push_title(api, record, title, **extra):
    change = {**update(record, {"title": title}), **extra}
    status, body = api.push(change)
    assert status == 200, body
    return body["results"][0]


def test_client_policy_returns_the_conflict_to_the_editor(conflict):
    api, article, record = conflict
    result = push_title(api, record, "Editor's title")
    assert result["status"] == "conflict"
    article.refresh_from_db()
    assert article.title == "Chief's title"


def test_direct_policy_applies_on_arrival_and_keeps_the_replaced_version(conflict):
    api, article, record = conflict
    with with_policy("direct"):
        result = push_title(api, record, "Editor's title")
    assert result["status"] == "merged"
    article.refresh_from_db()
    assert article.title == "Editor's title"
    kept = RecordVersion.objects.get(object_pk=str(article.pk))
    assert kept.values["title"] == "Chief's title"
    assert "directly" in kept.note


def test_last_writer_later_offline_edit_wins(conflict):
    api, article, record = conflict
    later = hlc.tick(None, "laptop", now_ms=4102444800000)  # year 2100
    with with_policy("last-writer"):
        result = push_title(api, record, "Later offline title", hlc=later)
    assert result["status"] == "merged"
    article.refresh_from_db()
    assert article.title == "Later offline title"
    assert RecordVersion.objects.get(object_pk=str(article.pk)).values["title"] == "Chief's title"


def test_last_writer_earlier_offline_edit_loses_but_is_kept_in_history(conflict):
    api, article, record = conflict
    earlier = hlc.tick(None, "laptop", now_ms=946684800000)  # year 2000
    with with_policy("last-writer"):
        result = push_title(api, record, "Earlier offline title", hlc=earlier)
    assert result["status"] == "merged"
    assert result["values"]["title"] == "Chief's title"
    assert result["lost"] == ["title"], "the editor is told which of their edits lost"
    assert "lost to a later one" in result["message"]
    article.refresh_from_db()
    assert article.title == "Chief's title"
    lost = RecordVersion.objects.get(object_pk=str(article.pk), note__contains="lost")
    assert lost.values["title"] == "Earlier offline title"
    assert lost.device.name == "editor1-laptop"


def test_a_minor_edit_that_loses_to_a_major_one_is_told_so(editor1, newsroom):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    with with_policy("major-minor"):
        push_title(editor1, record, "Major rewrite", edit_kind="major")
        result = push_title(editor1, record, "Minor fix", edit_kind="minor")
    assert result["status"] == "merged" and result["lost"] == ["title"]
    assert "lost to a major one" in result["message"]


def test_major_edit_beats_a_minor_one(editor1, newsroom):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    with with_policy("major-minor"):
        # someone else's minor offline edit lands first
        other = push_title(editor1, record, "Minor fix", edit_kind="minor")
        assert other["status"] == "applied"
        result = push_title(editor1, record, "Major rewrite", edit_kind="major")
    assert result["status"] == "merged"
    article.refresh_from_db()
    assert article.title == "Major rewrite"


def test_minor_edit_loses_to_a_central_major_one_and_is_kept(conflict):
    api, article, record = conflict  # central edits count as major
    with with_policy("major-minor"):
        result = push_title(api, record, "Minor offline fix", edit_kind="minor")
    assert result["status"] == "merged" and result["values"]["title"] == "Chief's title"
    assert RecordVersion.objects.filter(
        object_pk=str(article.pk), values__title="Minor offline fix"
    ).exists()


def test_equal_kinds_are_a_conflict(conflict):
    api, article, record = conflict
    with with_policy("major-minor"):
        result = push_title(api, record, "Another major", edit_kind="major")
    assert result["status"] == "conflict"


def test_review_policy_queues_every_offline_update_and_applies_nothing(editor1, newsroom):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    with with_policy("review"):
        result = push_title(editor1, record, "Please review me")
    assert result["status"] == "review"
    article.refresh_from_db()
    assert article.title == record["fields"]["title"]
    item = ReviewItem.objects.get(change_id=result["id"])
    assert item.values == {"title": "Please review me"} and item.status == "pending"


def test_a_record_flagged_direct_takes_updates_directly_under_a_review_model(conflict):
    api, article, record = conflict
    RecordFlag.objects.create(
        content_type=ContentType.objects.get_for_model(Article),
        object_pk=str(article.pk),
        policy="direct",
    )
    with with_policy("review"):
        result = push_title(api, record, "Straight in")
    assert result["status"] == "merged"
    article.refresh_from_db()
    assert article.title == "Straight in"


def test_a_record_flagged_review_waits_even_under_a_direct_model(editor1, newsroom):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    RecordFlag.objects.create(
        content_type=ContentType.objects.get_for_model(Article),
        object_pk=str(article.pk),
        policy="review",
    )
    with with_policy("direct"):
        result = push_title(editor1, record, "Sensitive change")
    assert result["status"] == "review"
    article.refresh_from_db()
    assert article.title == record["fields"]["title"]


def test_direct_policy_deletes_even_after_a_central_edit(conflict):
    api, article, record = conflict
    with with_policy("direct"):
        status, body = api.push(
            {
                "id": str(uuid.uuid4()),
                "op": "delete",
                "model": "news.article",
                "pk": record["pk"],
                "base_version": record["version"],
            }
        )
    assert body["results"][0]["status"] == "applied"
    assert not Article.objects.filter(pk=article.pk).exists()
    assert RecordVersion.objects.get(object_pk=str(article.pk)).values["title"] == "Chief's title"


def test_every_version_replaced_through_sync_is_kept_with_who_and_when(editor1, newsroom):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    version = version_of(article)

    push_title(editor1, record, "First offline title")

    kept = RecordVersion.objects.get(object_pk=str(article.pk))
    assert kept.version == version and kept.values["title"] == record["fields"]["title"]
    assert kept.note == "replaced through sync" and kept.changed_at is not None


def test_a_rejected_update_leaves_no_history_behind(editor1, newsroom):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)

    result = push_title(editor1, record, "x" * 300)

    assert result["status"] == "rejected"
    assert not RecordVersion.objects.filter(object_pk=str(article.pk)).exists()
