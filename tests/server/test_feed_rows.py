"""The feed reads plain rows without building model instances, and says exactly
what the instances say: what an editor pulls equals what a push answers (which
reads instances), model by model, on the newsroom and on the museum. A model
whose instances can differ from their rows (a `post_init` receiver, its own
`__init__`) is read through its instances."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from server_plugin import feed
from server_plugin.demo.news.models import Article, Tag
from server_plugin.models import TrackedRow
from server_plugin.registry import get_registry

from .conftest import article_in, pulled


def every_row_both_ways() -> list[tuple]:
    pairs = []
    for synced in get_registry().models.values():
        pks = [str(pk) for pk in synced.model._default_manager.values_list("pk", flat=True)]
        fast = feed.stored_records(synced, pks)
        through_instances = feed.stored_records(synced, pks, with_category=True)
        page = feed._feed_records(synced, pks)  # what read_feed sends: stored keys for UUIDs
        assert fast.keys() == through_instances.keys() == page.keys(), synced.label
        for pk, (wire_pk, values) in page.items():
            assert wire_pk == through_instances[pk].pk, (synced.label, pk)
            pairs.append((synced.label, pk, values, through_instances[pk].values))
        pairs += [(synced.label, pk, fast[pk].values, through_instances[pk].values)
                  for pk in fast]  # fmt: skip
    return pairs


def test_the_newsroom_feed_says_what_its_instances_say(newsroom):
    pairs = every_row_both_ways()

    assert {label for label, *_ in pairs} >= {"news.article", "news.photo", "news.tag"}
    for label, pk, fast, slow in pairs:
        assert fast == slow, (label, pk)


def test_the_museum_feed_says_what_its_instances_say(museum):
    pairs = every_row_both_ways()

    assert len({label for label, *_ in pairs}) >= 4
    for label, pk, fast, slow in pairs:
        assert fast == slow, (label, pk)


@pytest.fixture
def titles_shouted():
    def shout(sender, instance, **kwargs):
        instance.title = instance.title.upper()

    post_init.connect(shout, sender=Article)
    yield
    post_init.disconnect(shout, sender=Article)


def test_a_model_with_a_post_init_receiver_is_read_through_its_instances(
    newsroom, editor1, titles_shouted
):
    article = article_in(newsroom)
    editor1.checkout(newsroom)

    assert pulled(editor1, newsroom, article.pk)["fields"]["title"] == article.title.upper()
    assert TrackedRow.objects.filter(object_pk=str(article.pk)).exists()


def test_a_page_of_uuid_keys_is_read_by_their_stored_values(newsroom, editor1):
    articles = list(Article.objects.filter(section=newsroom).order_by("title")[:3])
    tag = Tag.objects.create(name="stored-keys")
    articles[0].tags.add(tag)
    synced = get_registry().for_model(Article)
    pks = [str(a.pk) for a in articles] + [str(uuid.uuid4())]  # one no row holds

    with CaptureQueriesContext(connection) as queries:
        page = feed._feed_records(synced, pks)

    assert set(page) == {str(a.pk) for a in articles}
    assert tag.pk in page[str(articles[0].pk)][1]["tags"]
    assert len(queries) == 2  # the rows, the tags: no query per key
    assert all(" IN (" in q["sql"] or "= ANY(" in q["sql"] for q in queries.captured_queries)


def test_a_key_not_spelled_as_tracking_spells_it_is_read_through_django(newsroom):
    article = article_in(newsroom)
    synced = get_registry().for_model(Article)

    page = feed._feed_records(synced, [str(article.pk).upper()])

    assert [wire_pk for wire_pk, _ in page.values()] == [str(article.pk)]
