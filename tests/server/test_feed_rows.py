"""The feed reads plain rows without building model instances, and says exactly
what the instances say: what an editor pulls equals what a push answers (which
reads instances), model by model, on the newsroom and on the museum. A model
whose instances can differ from their rows (a `post_init` receiver, its own
`__init__`) is read through its instances."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_init

from server_plugin import feed
from server_plugin.demo.news.models import Article
from server_plugin.models import TrackedRow
from server_plugin.registry import get_registry

from .conftest import article_in, pulled


def every_row_both_ways() -> list[tuple]:
    pairs = []
    for synced in get_registry().models.values():
        pks = [str(pk) for pk in synced.model._default_manager.values_list("pk", flat=True)]
        fast = feed.stored_records(synced, pks)
        through_instances = feed.stored_records(synced, pks, with_category=True)
        assert fast.keys() == through_instances.keys(), synced.label
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
