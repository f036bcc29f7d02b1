"""A batch's changes one after another: what an earlier change wrote stands,
whatever befalls a later one, and every editor pulls it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.db.models.signals import post_save

from server_plugin.demo.news.models import Article

from .conftest import article_in, pulled, update, version_of


def test_a_refused_second_edit_of_a_record_leaves_the_first_one_in_the_feed(
    editor1, editor2, newsroom
):
    status, body = editor1.checkout(newsroom)
    assert status == 200, body
    article = article_in(newsroom)
    record = pulled(editor1, newsroom, article.pk)
    later = dict(record, version=record["version"] + 1)  # as the first answer will say

    _, body = editor1.push(
        update(record, {"title": "First edit, applied"}),
        # refused only once the record is read again: a tag the site never had
        update(later, {"tags": [999999]}),
    )

    first, second = body["results"]
    assert (first["status"], second["status"]) == ("applied", "rejected"), body
    assert "does not exist" in second["errors"]["tags"][0], second
    article.refresh_from_db()
    assert article.title == "First edit, applied"
    assert version_of(article) == first["version"] == record["version"] + 1
    # Another editor of the section is told of the first edit.
    assert pulled(editor2, newsroom, article.pk)["fields"]["title"] == "First edit, applied"


REFUSED_TITLE = "Refused by the database"


@pytest.fixture
def database_refusing_a_title():
    """The site's database refuses one title once the row is written (a trigger,
    a constraint Django does not know): the refusal comes after the write began."""

    def refuse(sender, instance, **kwargs):
        if instance.title == REFUSED_TITLE:
            raise IntegrityError("check constraint article_title_allowed")

    post_save.connect(refuse, sender=Article, dispatch_uid="refuse-a-title")
    yield
    post_save.disconnect(sender=Article, dispatch_uid="refuse-a-title")


def test_a_change_the_database_refuses_after_writing_is_undone_alone(
    editor1, editor2, newsroom, database_refusing_a_title
):
    editor1.checkout(newsroom)
    first, second = Article.objects.filter(section=newsroom).order_by("title")[:2]
    first_record = pulled(editor1, newsroom, first.pk)
    second_record = pulled(editor1, newsroom, second.pk)
    second_version = version_of(second)
    later = dict(first_record, version=first_record["version"] + 1)

    _, body = editor1.push(
        update(first_record, {"title": "Kept, before the refusal"}),
        update(second_record, {"title": REFUSED_TITLE}),
        update(later, {"tags": [999999]}),  # refused after the first is read again
    )

    statuses = [result["status"] for result in body["results"]]
    assert statuses == ["applied", "rejected", "rejected"], body
    assert "the database refused it" in body["results"][1]["message"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.title == "Kept, before the refusal"
    assert (second.title, version_of(second)) == (second_record["fields"]["title"], second_version)
    assert version_of(first) == body["results"][0]["version"] == first_record["version"] + 1
    assert pulled(editor2, newsroom, first.pk)["fields"]["title"] == "Kept, before the refusal"
