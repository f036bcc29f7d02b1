"""Change tracking through the ORM, as the admin and the shell write: every write
to a synced row bumps its version and moves it to the end of its feed."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from server_plugin.demo.news.models import Article, Author, Photo, Section, Tag
from server_plugin.feed import read_feed
from server_plugin.models import FeedCounter, TrackedRow
from server_plugin.registry import REFERENCE_KEY
from server_plugin.tracking import collect_writes, track_queryset

from .conftest import article_in, version_of


def feed_end(section_or_key) -> int:
    """The last position handed out in a feed: a cursor that has seen everything."""
    key = section_or_key if isinstance(section_or_key, str) else str(section_or_key.pk)
    counter = FeedCounter.objects.filter(category_key=key).first()
    return counter.last_position if counter else 0


def articles_only(changes: list[dict]) -> list[dict]:
    """A moved article's photos move with it; these tests look at the article."""
    return [change for change in changes if change["model"] == "news.article"]


def changes_since(user, section_or_key, since: int) -> list[dict]:
    """Every change of a feed after `since`, following the cursor page by page, in the
    JSON form the API sends (so a UUID key reads as a string, live or deleted)."""
    key = section_or_key if isinstance(section_or_key, str) else str(section_or_key.pk)
    changes, cursor = [], since
    while True:
        page = read_feed(user, key, since=cursor, limit=50)
        changes += json.loads(json.dumps(page["changes"], cls=DjangoJSONEncoder))
        cursor = page["cursor"]
        if not page["more"]:
            return changes


def entries_of(instance) -> dict[str, TrackedRow]:
    """The side-table entries of one record, by feed."""
    rows = TrackedRow.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_pk=str(instance.pk)
    )
    return {row.category_key: row for row in rows}


@pytest.fixture
def fresh_tag(newsroom) -> Tag:
    """A tag no article carries yet, so a change to it touches only the test's article."""
    return Tag.objects.create(name="river-crossing")


def another_section(section: Section) -> Section:
    return Section.objects.exclude(pk=section.pk).order_by("name").first()


def test_save_bumps_the_version_and_moves_the_row_to_the_end_of_its_feed(newsroom, root):
    article = article_in(newsroom)
    version, end = version_of(article), feed_end(newsroom)
    assert entries_of(article)[str(newsroom.pk)].position < end

    article.title = "Bridge reopens"
    article.save()

    row = entries_of(article)[str(newsroom.pk)]
    assert row.version == version + 1
    assert row.position == end + 1 == feed_end(newsroom)
    (change,) = changes_since(root, newsroom, end)
    assert change["pk"] == str(article.pk)
    assert change["version"] == version + 1
    assert change["fields"]["title"] == "Bridge reopens"


def test_created_record_enters_its_feed_at_version_one(newsroom, root):
    end = feed_end(newsroom)

    article = Article.objects.create(section=newsroom, title="New", body="Text.")

    (change,) = changes_since(root, newsroom, end)
    assert (change["pk"], change["version"]) == (str(article.pk), 1)


def test_delete_leaves_a_tombstone_with_a_new_version(newsroom, root):
    article = article_in(newsroom)
    pk, version, end = str(article.pk), version_of(article), feed_end(newsroom)

    article.delete()

    row = TrackedRow.objects.get(object_pk=pk)
    assert row.deleted and row.version == version + 1
    changes = changes_since(root, newsroom, end)
    assert {"model": "news.article", "pk": pk, "version": version + 1, "deleted": True} in changes


def test_deleting_an_article_leaves_tombstones_for_its_cascaded_photos(newsroom, root):
    article = Article.objects.filter(section=newsroom, photos__isnull=False).first()
    pk, photo_pks = str(article.pk), list(article.photos.values_list("pk", flat=True))
    end = feed_end(newsroom)

    article.delete()

    tombstones = {
        change["pk"] for change in changes_since(root, newsroom, end) if change.get("deleted")
    }
    assert tombstones == {pk, *photo_pks}


def test_moving_an_article_leaves_a_tombstone_in_the_old_feed_and_a_live_entry_in_the_new(
    newsroom, root
):
    article, culture = article_in(newsroom), another_section(newsroom)
    version, old_end, new_end = version_of(article), feed_end(newsroom), feed_end(culture)

    article.section = culture
    article.save()

    (gone,) = articles_only(changes_since(root, newsroom, old_end))
    assert gone == {
        "model": "news.article",
        "pk": str(article.pk),
        "version": version + 1,
        "deleted": True,
    }
    (arrived,) = articles_only(changes_since(root, culture, new_end))
    assert arrived["pk"] == str(article.pk) and arrived["version"] == version + 1
    assert arrived["fields"]["section"] == culture.pk
    assert version_of(article) == version + 1  # one write, one version, in both feeds


def test_moving_an_article_back_revives_its_entry_in_the_first_feed(newsroom, root):
    article, culture = article_in(newsroom), another_section(newsroom)
    article.section = culture
    article.save()
    old_end, new_end = feed_end(newsroom), feed_end(culture)

    article.section = newsroom
    article.save()

    (back,) = articles_only(changes_since(root, newsroom, old_end))
    assert "deleted" not in back and back["fields"]["section"] == newsroom.pk
    (gone,) = articles_only(changes_since(root, culture, new_end))
    assert gone["deleted"] is True
    rows = entries_of(article)
    assert not rows[str(newsroom.pk)].deleted and rows[str(culture.pk)].deleted


def test_moving_an_article_moves_its_photos_to_the_new_feed(newsroom, root):
    article = Article.objects.filter(section=newsroom, photos__isnull=False).first()
    photo_pks = set(article.photos.values_list("pk", flat=True))
    culture = another_section(newsroom)
    old_end, new_end = feed_end(newsroom), feed_end(culture)

    article.section = culture
    article.save()

    old_feed = changes_since(root, newsroom, old_end)
    assert {c["pk"] for c in old_feed if c["model"] == "news.photo" and c.get("deleted")} == (
        photo_pks
    )
    new_feed = changes_since(root, culture, new_end)
    assert {c["pk"] for c in new_feed if c["model"] == "news.photo"} == photo_pks


@pytest.mark.parametrize(
    "change_tags",
    [
        pytest.param(lambda article, tag: article.tags.add(tag), id="article.tags.add"),
        pytest.param(lambda article, tag: article.tags.set([tag]), id="article.tags.set"),
        pytest.param(lambda article, tag: tag.articles.add(article), id="tag.articles.add"),
    ],
)
def test_adding_a_tag_bumps_the_articles_version(newsroom, root, fresh_tag, change_tags):
    article, tag = article_in(newsroom), fresh_tag
    article.tags.clear()
    version, end = version_of(article), feed_end(newsroom)

    change_tags(article, tag)

    assert version_of(article) == version + 1
    (change,) = changes_since(root, newsroom, end)
    assert change["pk"] == str(article.pk) and change["fields"]["tags"] == [tag.pk]


@pytest.mark.parametrize(
    "change_tags",
    [
        pytest.param(lambda article, tag: article.tags.remove(tag), id="article.tags.remove"),
        pytest.param(lambda article, tag: article.tags.clear(), id="article.tags.clear"),
        pytest.param(lambda article, tag: tag.articles.remove(article), id="tag.articles.remove"),
        pytest.param(lambda article, tag: tag.articles.clear(), id="tag.articles.clear"),
    ],
)
def test_removing_a_tag_bumps_the_articles_version(newsroom, root, fresh_tag, change_tags):
    article, tag = article_in(newsroom), fresh_tag
    article.tags.set([tag])
    version, end = version_of(article), feed_end(newsroom)

    change_tags(article, tag)

    assert version_of(article) == version + 1
    (change,) = changes_since(root, newsroom, end)
    assert change["pk"] == str(article.pk) and change["fields"]["tags"] == []


def test_clearing_a_tag_from_its_side_bumps_every_article_that_carried_it(newsroom, fresh_tag):
    tag = fresh_tag
    tagged = list(Article.objects.filter(section=newsroom).order_by("title")[:3])
    tag.articles.set(tagged)
    versions = {article.pk: version_of(article) for article in tagged}

    tag.articles.clear()

    assert {a.pk: version_of(a) for a in tagged} == {pk: v + 1 for pk, v in versions.items()}


def test_queryset_update_is_tracked_by_track_queryset(newsroom, root):
    articles = Article.objects.filter(section=newsroom)
    versions = {str(a.pk): version_of(a) for a in articles}
    end = feed_end(newsroom)

    articles.update(status=Article.PUBLISHED)
    returned = track_queryset(Article.objects.filter(section=newsroom))

    assert returned == {("news.article", pk): v + 1 for pk, v in versions.items()}
    changes = changes_since(root, newsroom, end)
    assert {c["pk"]: c["version"] for c in changes} == {pk: v + 1 for pk, v in versions.items()}
    assert {c["fields"]["status"] for c in changes} == {Article.PUBLISHED}


def test_queryset_update_that_moves_rows_is_tracked_when_filtered_on_primary_keys(newsroom, root):
    culture = another_section(newsroom)
    pks = list(Article.objects.filter(section=newsroom).values_list("pk", flat=True)[:2])
    old_end, new_end = feed_end(newsroom), feed_end(culture)

    Article.objects.filter(pk__in=pks).update(section=culture)
    track_queryset(Article.objects.filter(pk__in=pks))

    old_feed = changes_since(root, newsroom, old_end)
    assert {c["pk"] for c in old_feed if c.get("deleted")} == {str(pk) for pk in pks}
    new_feed = changes_since(root, culture, new_end)
    assert {c["pk"] for c in new_feed if "fields" in c} == {str(pk) for pk in pks}


def test_queryset_update_without_the_helper_is_not_tracked(newsroom, root):
    """The documented limit: ``update()`` sends no signals, hence the helper."""
    end = feed_end(newsroom)

    Article.objects.filter(section=newsroom).update(featured=True)

    assert changes_since(root, newsroom, end) == []


def test_save_and_tag_change_inside_collect_writes_are_one_version(newsroom, root):
    article = article_in(newsroom)
    tags = list(Tag.objects.order_by("name")[:2])
    version, end = version_of(article), feed_end(newsroom)

    with transaction.atomic(), collect_writes() as versions:
        article.title = "Harbour deal signed"
        article.save()
        article.tags.set(tags)

    assert versions == {("news.article", str(article.pk)): version + 1}
    assert version_of(article) == version + 1
    assert feed_end(newsroom) == end + 1  # one position, not two
    (change,) = changes_since(root, newsroom, end)
    assert change["fields"]["title"] == "Harbour deal signed"
    assert change["fields"]["tags"] == [t.pk for t in tags]


def test_save_and_tag_change_without_collect_writes_are_two_versions(newsroom, root):
    article = article_in(newsroom)
    article.tags.clear()
    version = version_of(article)

    article.title = "Harbour deal signed"
    article.save()
    article.tags.set(list(Tag.objects.order_by("name")[:2]))

    assert version_of(article) == version + 2


def test_delete_inside_collect_writes_leaves_a_tombstone(newsroom, root):
    article = Article.objects.filter(section=newsroom, photos__isnull=True).first()
    pk, version, end = str(article.pk), version_of(article), feed_end(newsroom)

    with transaction.atomic(), collect_writes() as versions:
        article.delete()

    assert versions == {("news.article", pk): version + 1}
    assert changes_since(root, newsroom, end) == [
        {"model": "news.article", "pk": pk, "version": version + 1, "deleted": True}
    ]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: Tag.objects.create(name="floods"), id="tag"),
        pytest.param(lambda: Author.objects.create(name="I. Novak"), id="author"),
    ],
)
def test_reference_data_goes_in_the_reference_feed(newsroom, root, make):
    end = feed_end(REFERENCE_KEY)

    record = make()

    assert set(entries_of(record)) == {REFERENCE_KEY}
    (change,) = changes_since(root, REFERENCE_KEY, end)
    assert change["pk"] == record.pk and change["version"] == 1
    assert change["fields"]["name"] == record.name


def test_reference_data_never_enters_a_category_feed(newsroom):
    assert REFERENCE_KEY == ""
    reference_rows = TrackedRow.objects.filter(category_key=REFERENCE_KEY)
    labels = {row.content_type.model for row in reference_rows}
    assert labels == {"tag", "author"}
    category_rows = TrackedRow.objects.exclude(category_key=REFERENCE_KEY)
    assert {row.content_type.model for row in category_rows} == {"article", "photo"}
    assert Tag.objects.count() + Author.objects.count() == reference_rows.count()
    assert Article.objects.count() + Photo.objects.count() == category_rows.count()
