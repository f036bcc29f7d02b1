"""The chief editor's review queue and the record history, in the real admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from server_plugin.demo.news.models import Article
from server_plugin.models import RecordVersion, ReviewItem

from .conftest import article_in, pulled, update, version_of
from .test_policies import with_policy


@pytest.fixture
def queued(editor1, newsroom):
    """editor1's retitling of an article, waiting for review (policy `review`)."""
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    with with_policy("review"):
        _, body = editor1.push(update(record, {"title": "Needs a second look"}))
    assert body["results"][0]["status"] == "review"
    return editor1, article, record, ReviewItem.objects.get()


@pytest.fixture
def chief(db) -> Client:
    user = User.objects.get(username="chief")
    user.user_permissions.add(Permission.objects.get(codename="review_changes"))
    client = Client()
    assert client.login(username="chief", password="demo-password")
    return client


def page(item) -> str:
    return f"/admin/fieldsync/reviewitem/{item.pk}/change/"


def outcome(api, item) -> dict:
    status, body = api.post("reviews", {"ids": [str(item.change_id)]})
    assert status == 200
    return body["outcomes"][str(item.change_id)]


def test_the_list_shows_model_record_editor_device_and_age(queued, chief):
    _, article, _, _ = queued
    html = chief.get("/admin/fieldsync/reviewitem/").content.decode()
    for expected in (article.title, "article", "editor1", "editor1-laptop", "pending"):
        assert expected in html


def test_the_update_page_shows_base_submitted_and_current_side_by_side(queued, chief):
    _, article, record, item = queued
    article.status = "published"  # a central change since the editor's base
    article.save()

    html = chief.get(page(item)).content.decode()

    assert "Base (editor&#x27;s version)" in html or "Base (editor's version)" in html
    assert '<ins class="fs-ins">' in html and "Needs a second look" in html
    assert "published" in html


def test_a_value_full_of_script_shows_as_text(editor1, newsroom, chief):
    editor1.checkout(newsroom)
    record = pulled(editor1, newsroom, article_in(newsroom).pk)
    with with_policy("review"):
        editor1.push(update(record, {"title": "<script>alert('x')</script>"}))
    item = ReviewItem.objects.get()

    html = chief.get(page(item)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_accepting_applies_bumps_the_version_and_records_who(queued, chief):
    api, article, record, item = queued

    response = chief.post(page(item), {"accept": "Accept"})

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Needs a second look"
    assert version_of(article) == record["version"] + 1
    item.refresh_from_db()
    assert item.status == "accepted" and item.decided_by.username == "chief"
    seen = outcome(api, item)
    assert seen["status"] == "accepted" and seen["result"]["version"] == record["version"] + 1


def test_rejecting_needs_a_reason_and_the_editor_sees_it(queued, chief):
    api, article, record, item = queued

    assert chief.post(page(item), {"reject": "Reject", "reason": ""}).status_code == 200
    chief.post(page(item), {"reject": "Reject", "reason": "Check the spelling first."})

    article.refresh_from_db()
    assert article.title == record["fields"]["title"]
    seen = outcome(api, item)
    assert seen == {
        "status": "rejected",
        "reason": "Check the spelling first.",
        "decided_by": "chief",
    }


def test_edit_and_accept_starts_from_the_three_way_merge(queued, chief):
    _, article, _, item = queued
    article.status = "published"
    article.save()
    url = f"/admin/fieldsync/reviewitem/{item.pk}/edit-and-accept/"

    form = chief.get(url).context["form"]
    assert form.initial["title"] == "Needs a second look"  # the editor's change
    assert form.initial["status"] == "published"  # the central change, kept

    data = {name: form.initial.get(name) for name in form.fields}
    data["title"] = "Chief's final wording"
    data["tags"] = [str(t) for t in data.get("tags") or []]
    data = {k: v for k, v in data.items() if v is not None}
    chief.post(url, data)

    article.refresh_from_db()
    assert (article.title, article.status) == ("Chief's final wording", "published")
    assert ReviewItem.objects.get().status == "accepted"


def test_bulk_accept_and_reject_from_the_list(editor1, newsroom, chief):
    editor1.checkout(newsroom)
    articles = list(Article.objects.filter(section=newsroom).order_by("title")[:2])
    with with_policy("review"):
        for number, article in enumerate(articles):
            record = pulled(editor1, newsroom, article.pk)
            editor1.push(update(record, {"title": f"Bulk {number}"}))
    first, second = ReviewItem.objects.order_by("submitted_at")

    chief.post(
        "/admin/fieldsync/reviewitem/",
        {"action": "accept_selected", "_selected_action": [first.pk]},
    )
    chief.post(
        "/admin/fieldsync/reviewitem/",
        {"action": "reject_selected", "_selected_action": [second.pk], "reason": "Not now."},
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "rejected")
    assert second.reason == "Not now."


def test_only_users_with_the_review_permission_see_the_queue(queued, newsroom):
    desk = User.objects.create_user("desk", password="demo-password", is_staff=True)
    desk.user_permissions.add(Permission.objects.get(codename="change_article"))
    client = Client()
    client.login(username="desk", password="demo-password")
    assert client.get("/admin/fieldsync/reviewitem/").status_code == 403
    assert "Queued updates for review" not in client.get("/admin/").content.decode()

    desk.user_permissions.add(Permission.objects.get(codename="review_changes"))

    assert client.get("/admin/fieldsync/reviewitem/").status_code == 200


def test_history_is_viewable_next_to_the_record_and_compares_versions(editor1, newsroom, chief):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    old_title = article.title
    record = pulled(editor1, newsroom, article.pk)
    editor1.push(update(record, {"title": "Newer title"}))

    change_page = chief.get(f"/admin/news/article/{article.pk}/change/").content.decode()
    assert "Sync history (1)" in change_page

    kept = RecordVersion.objects.get()
    compare = chief.post(
        "/admin/fieldsync/recordversion/",
        {"action": "compare_selected", "_selected_action": [kept.pk]},
    ).content.decode()
    assert old_title in compare and '<ins class="fs-ins">' in compare


def test_restoring_a_version_goes_through_tracking(editor1, newsroom, chief):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    old_title = article.title
    record = pulled(editor1, newsroom, article.pk)
    editor1.push(update(record, {"title": "Regrettable title"}))
    version = version_of(article)
    kept = RecordVersion.objects.get()

    chief.post(
        "/admin/fieldsync/recordversion/",
        {"action": "restore_selected", "_selected_action": [kept.pk]},
    )

    article.refresh_from_db()
    assert article.title == old_title
    assert version_of(article) == version + 1  # a new version editors will pull
    restored = pulled(editor1, newsroom, article.pk)
    assert restored["fields"]["title"] == old_title
    assert RecordVersion.objects.filter(values__title="Regrettable title").exists()
