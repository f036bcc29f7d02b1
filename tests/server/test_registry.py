"""The FIELDSYNC setting is checked when the registry is built: every mistake a
site developer can make is an ImproperlyConfigured that names the setting."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from server_plugin.demo.news.models import Article, Author, Photo, Section, Tag
from server_plugin.protocol import merge, wire
from server_plugin.registry import REFERENCE_KEY, build_registry

DEMO = {
    "CATEGORY_MODEL": "news.Section",
    "MODELS": {
        "news.Article": {"category": "section", "display_field": "title"},
        "news.Photo": {"category": "article__section", "display_field": "caption"},
        "news.Tag": {"writable": True},
        "news.Author": {},
    },
}


def with_section(options: dict) -> dict:
    """A config syncing only news.Article, with these options, under sections."""
    return {"CATEGORY_MODEL": "news.Section", "MODELS": {"news.Article": options}}


ARTICLE_SETTING = "FIELDSYNC['MODELS']['news.Article']"

MISTAKES = [
    pytest.param(
        {"MODELS": {"news.Headline": {}}},
        "FIELDSYNC['MODELS']['news.Headline']",
        "not an installed model",
        id="unknown-model-label",
    ),
    pytest.param(
        {"MODELS": {"Article": {}}},
        "FIELDSYNC['MODELS']['Article']",
        "app_label.ModelName",
        id="model-label-without-app",
    ),
    pytest.param(
        {"CATEGORY_MODEL": "news.Desk", "MODELS": {}},
        "FIELDSYNC['CATEGORY_MODEL']",
        "not an installed model",
        id="unknown-category-model",
    ),
    pytest.param(
        with_section({"category": "desk"}),
        f"{ARTICLE_SETTING}['category']",
        "has no field 'desk'",
        id="path-to-a-missing-field",
    ),
    pytest.param(
        with_section({"category": "section__desk"}),
        f"{ARTICLE_SETTING}['category']",
        "news.Section has no field 'desk'",
        id="path-with-a-missing-field-after-a-hop",
    ),
    pytest.param(
        with_section({"category": "title"}),
        f"{ARTICLE_SETTING}['category']",
        "news.Article.title is not a foreign key",
        id="path-through-a-text-field",
    ),
    pytest.param(
        with_section({"category": "tags__name"}),
        f"{ARTICLE_SETTING}['category']",
        "news.Article.tags is not a foreign key",
        id="path-through-a-many-to-many",
    ),
    pytest.param(
        with_section({"category": "tags"}),
        f"{ARTICLE_SETTING}['category']",
        "which leads to news.Tag, not to the CATEGORY_MODEL news.Section",
        id="many-to-many-to-another-model",
    ),
    pytest.param(
        with_section({"category": "photos"}),
        f"{ARTICLE_SETTING}['category']",
        "news.Article.photos is not a foreign key",
        id="path-through-a-reverse-relation",
    ),
    pytest.param(
        with_section({"category": "author"}),
        f"{ARTICLE_SETTING}['category']",
        "leads to news.Author, not to the CATEGORY_MODEL news.Section",
        id="path-to-another-model",
    ),
    pytest.param(
        {"MODELS": {"news.Article": {"category": "section"}}},
        ARTICLE_SETTING,
        "FIELDSYNC['CATEGORY_MODEL'] is not set",
        id="path-without-a-category-model",
    ),
    pytest.param(
        with_section({"category": "section", "categroy": "section"}),
        ARTICLE_SETTING,
        "unknown option(s) categroy",
        id="unknown-option",
    ),
    pytest.param(
        with_section({"category": "section", "policy": "newest-wins"}),
        f"{ARTICLE_SETTING}['policy']",
        "'newest-wins'; choose one of client, review",
        id="unknown-policy",
    ),
    pytest.param(
        with_section({"category": "section", "fields": ["title", "subtitle"]}),
        f"{ARTICLE_SETTING}['fields']",
        "names subtitle, which news.Article does not have",
        id="fields-naming-a-missing-field",
    ),
    pytest.param(
        with_section({"category": "section", "fields": ["title"], "display_field": "body"}),
        f"{ARTICLE_SETTING}['display_field']",
        "'body', which is not one of its synced fields",
        id="display-field-not-synced",
    ),
    pytest.param(
        with_section({"category": "section", "exclude": ["title"], "display_field": "title"}),
        f"{ARTICLE_SETTING}['display_field']",
        "not one of its synced fields",
        id="display-field-excluded",
    ),
]


@pytest.mark.parametrize(("config", "setting_name", "detail"), MISTAKES)
def test_misconfiguration_is_improperly_configured_naming_the_setting(config, setting_name, detail):
    with pytest.raises(ImproperlyConfigured) as raised:
        build_registry(config)

    message = str(raised.value)
    assert setting_name in message
    assert detail in message


def test_valid_demo_config_builds_every_model():
    registry = build_registry(DEMO)

    assert registry.category_model is Section
    assert set(registry.models) == {"news.article", "news.photo", "news.tag", "news.author"}
    assert registry.get("news.Article").model is Article  # labels are case-insensitive
    assert registry.for_model(Photo) is registry.get("news.photo")
    assert registry.get("news.headline") is None


def test_all_fields_are_the_editable_ones_without_the_primary_key():
    article = build_registry(DEMO).get("news.article")

    # id is the primary key; updated_at (auto_now) is not editable
    assert article.field_names == (
        "section",
        "title",
        "body",
        "status",
        "published_on",
        "featured",
        "author",
        "tags",
    )
    assert {name: t.merge for name, t in article.types.items()} == {
        "section": merge.VALUE,
        "title": merge.VALUE,
        "body": merge.TEXT,
        "status": merge.VALUE,
        "published_on": merge.VALUE,
        "featured": merge.VALUE,
        "author": merge.VALUE,
        "tags": merge.SET,
    }


def test_fields_list_and_exclude_choose_the_synced_fields():
    registry = build_registry(
        with_section({"category": "section", "fields": ["title", "body", "tags", "featured"]})
    )
    assert registry.get("news.article").field_names == ("title", "body", "tags", "featured")

    registry = build_registry(with_section({"category": "section", "exclude": ["body", "tags"]}))
    assert "body" not in registry.get("news.article").field_names
    assert "tags" not in registry.get("news.article").field_names


def test_display_field_defaults_to_the_first_synced_char_field():
    registry = build_registry(
        {
            "CATEGORY_MODEL": "news.Section",
            "MODELS": {
                "news.Article": {"category": "section"},
                "news.Photo": {"category": "article__section"},
                "news.Author": {},
                "news.Tag": {"fields": ["name"]},
            },
        }
    )

    assert registry.get("news.article").display_field == "title"
    assert registry.get("news.photo").display_field == "caption"
    assert registry.get("news.author").display_field == "name"
    assert registry.get("news.tag").display_field == "name"


def test_display_field_is_none_when_no_char_field_is_synced():
    registry = build_registry(with_section({"category": "section", "fields": ["body"]}))

    assert registry.get("news.article").display_field is None


def test_a_model_without_category_path_is_read_only_reference_data():
    registry = build_registry(DEMO)
    author, tag, article = (registry.get(f"news.{name}") for name in ("author", "tag", "article"))

    assert author.is_reference and tag.is_reference and not article.is_reference
    assert not author.writable  # reference data is read-only unless configured
    assert tag.writable and article.writable
    assert {m.label for m in registry.reference_models()} == {"news.author", "news.tag"}
    assert {m.label for m in registry.category_models()} == {"news.article", "news.photo"}
    assert author.category_key_of(Author(name="Z")) == REFERENCE_KEY


def test_integer_and_uuid_primary_keys_are_told_apart():
    registry = build_registry(DEMO)

    assert registry.get("news.photo").integer_pk
    assert registry.get("news.tag").integer_pk
    assert not registry.get("news.article").integer_pk


def test_policy_defaults_to_client_and_accepts_every_known_policy():
    assert build_registry(DEMO).get("news.article").policy == wire.POLICY_CLIENT
    for policy in wire.POLICIES:
        config = with_section({"category": "section", "policy": policy})
        assert build_registry(config).get("news.article").policy == policy


def test_category_path_through_a_foreign_key_chain_finds_the_category(db):
    section = Section.objects.create(name="Harbour")
    article = Article(section=section, title="T", body="B")
    photo = Photo(article=article, caption="C")
    registry = build_registry(DEMO)

    assert registry.get("news.photo").category_path == "article__section"
    assert registry.get("news.photo").category_key_of(photo) == str(section.pk)
    assert registry.get("news.article").category_key_of(article) == str(section.pk)


def test_category_path_through_a_many_to_many_takes_the_lowest_key_set_or_about_to_be(db):
    """E.g. FlatPage.sites: news.Tag plays the category model, Article.tags the path."""
    synced = build_registry(
        {"CATEGORY_MODEL": "news.Tag", "MODELS": {"news.Article": {"category": "tags"}}}
    ).get("news.article")
    first, second = Tag.objects.create(name="alpha"), Tag.objects.create(name="beta")
    article = Article.objects.create(section=Section.objects.create(name="S"), title="T", body="B")
    unsaved = Article(section=article.section, title="U", body="B")

    assert synced.category_key_of(article) is None
    article.tags.set([second, first])
    assert synced.category_key_of(article) == str(first.pk)
    # Before anything is written: the ids about to be set decide, not the current ones.
    assert synced.category_key_of(article, {"tags": [second.pk]}) == str(second.pk)
    assert synced.category_key_of(article, {"tags": []}) is None
    assert synced.category_key_of(article, {}) == str(first.pk)
    assert synced.category_key_of(unsaved) is None
    assert synced.category_key_of(unsaved, {"tags": [second.pk, first.pk]}) == str(first.pk)


def test_empty_config_builds_an_empty_registry():
    registry = build_registry({})

    assert registry.category_model is None and registry.models == {}


def test_misconfiguration_message_says_how_to_fix_it():
    with pytest.raises(ImproperlyConfigured, match=re.escape("known: category, display_field")):
        build_registry(with_section({"colour": "red"}))


def test_exclude_naming_a_missing_field_is_improperly_configured():
    config = with_section({"category": "section", "exclude": ["bdoy"]})

    with pytest.raises(ImproperlyConfigured, match=re.escape(f"{ARTICLE_SETTING}['exclude']")):
        build_registry(config)
