"""Every outcome of a push, through the API, as an editor's device sees it."""

from __future__ import annotations

import uuid

from server_plugin.demo.news.models import Article, Photo, Tag
from server_plugin.models import ChangeReceipt

from .conftest import article_in, pulled, update, version_of

TWO_PARAGRAPHS = (
    "The council met on Monday. It agreed the budget.\n\n"
    "Residents asked about the bridge. The mayor promised an answer."
)


def _checked_out_article(api, section):
    status, body = api.checkout(section)
    assert status == 200, body
    article = article_in(section)
    return article, pulled(api, section, article.pk)


def test_push_on_unchanged_record_is_applied_and_bumps_the_version(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)

    status, body = editor1.push(update(record, {"title": "Budget vote delayed"}))

    assert status == 200
    (result,) = body["results"]
    assert result["status"] == "applied"
    assert result["version"] == record["version"] + 1
    assert result["values"]["title"] == "Budget vote delayed"
    article.refresh_from_db()
    assert article.title == "Budget vote delayed"
    assert version_of(article) == record["version"] + 1


def test_edits_of_different_fields_are_merged(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)
    article.status = "published"  # the chief edits on the central site meanwhile
    article.save()

    _, body = editor1.push(update(record, {"title": "A new title"}))

    (result,) = body["results"]
    assert result["status"] == "merged"
    article.refresh_from_db()
    assert (article.title, article.status) == ("A new title", "published")


def test_edits_of_different_paragraphs_of_one_text_are_merged(editor1, newsroom):
    article, _ = _checked_out_article(editor1, newsroom)
    article.body = TWO_PARAGRAPHS
    article.save()
    record = pulled(editor1, newsroom, article.pk)
    article.body = TWO_PARAGRAPHS.replace("on Monday", "on Tuesday")
    article.save()

    mine = TWO_PARAGRAPHS.replace("an answer", "an answer by Friday")
    _, body = editor1.push(update(record, {"body": mine}))

    (result,) = body["results"]
    assert result["status"] == "merged"
    article.refresh_from_db()
    assert "met on Tuesday" in article.body
    assert "an answer by Friday" in article.body


def test_edits_of_the_same_sentence_are_a_conflict_with_the_servers_state(editor1, newsroom):
    article, _ = _checked_out_article(editor1, newsroom)
    article.body = TWO_PARAGRAPHS
    article.save()
    record = pulled(editor1, newsroom, article.pk)
    theirs = TWO_PARAGRAPHS.replace("on Monday", "on Tuesday")
    article.body = theirs
    article.save()
    server_version = version_of(article)

    mine = TWO_PARAGRAPHS.replace("on Monday", "on Wednesday")
    _, body = editor1.push(update(record, {"body": mine}))

    (result,) = body["results"]
    assert result["status"] == "conflict"
    assert result["version"] == server_version
    assert result["values"]["body"] == theirs
    conflict = result["conflicts"]["body"]
    assert (conflict["base"], conflict["mine"], conflict["theirs"]) == (
        TWO_PARAGRAPHS,
        mine,
        theirs,
    )
    article.refresh_from_db()
    assert article.body == theirs  # nothing written
    assert version_of(article) == server_version


def test_same_non_text_field_changed_on_both_sides_is_a_conflict(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)
    article.title = "Chief's title"
    article.save()

    _, body = editor1.push(update(record, {"title": "Editor's title"}))

    (result,) = body["results"]
    assert result["status"] == "conflict"
    assert result["conflicts"]["title"]["theirs"] == "Chief's title"
    assert result["conflicts"]["title"]["mine"] == "Editor's title"
    article.refresh_from_db()
    assert article.title == "Chief's title"


def test_invalid_change_is_rejected_with_field_errors_and_does_not_block_the_others(
    editor1, newsroom
):
    article, record = _checked_out_article(editor1, newsroom)
    other = Article.objects.filter(section=newsroom).exclude(pk=article.pk).first()
    other_record = pulled(editor1, newsroom, other.pk)

    _, body = editor1.push(
        update(record, {"title": "x" * 300, "status": "gone"}),
        update(other_record, {"title": "Fine title"}),
    )

    bad, good = body["results"]
    assert bad["status"] == "rejected"
    assert set(bad["errors"]) == {"title", "status"}
    assert "at most 200 characters" in bad["errors"]["title"][0]
    assert good["status"] == "applied"
    article.refresh_from_db()
    other.refresh_from_db()
    assert article.title == record["fields"]["title"]
    assert other.title == "Fine title"


def test_value_of_the_wrong_json_type_is_rejected_naming_the_field(editor1, newsroom):
    _, record = _checked_out_article(editor1, newsroom)

    _, body = editor1.push(update(record, {"featured": "yes", "published_on": 20260101}))

    (result,) = body["results"]
    assert result["status"] == "rejected"
    assert result["errors"]["featured"] == ["expected true or false, got a string"]
    assert result["errors"]["published_on"] == ["expected a string, got a number"]


def test_retried_push_applies_nothing_twice_and_answers_the_same(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)
    change = update(record, {"title": "Once only"})

    _, first = editor1.push(change)
    article.title = "Changed after the first push"  # a later edit the retry must not undo
    article.save()
    version_after = version_of(article)
    _, second = editor1.push(change)

    assert second == first
    article.refresh_from_db()
    assert article.title == "Changed after the first push"
    assert version_of(article) == version_after
    assert ChangeReceipt.objects.filter(change_id=change["id"]).count() == 1


def test_create_with_uuid_pk_keeps_the_clients_id(editor1, newsroom):
    editor1.checkout(newsroom)
    new_id = str(uuid.uuid4())

    _, body = editor1.push(
        {
            "id": str(uuid.uuid4()),
            "op": "create",
            "model": "news.article",
            "pk": new_id,
            "values": {"section": newsroom.pk, "title": "Made offline", "body": "Text."},
        }
    )

    (result,) = body["results"]
    assert result["status"] == "applied", result
    assert result["pk"] == new_id and result["version"] == 1
    assert Article.objects.get(pk=new_id).title == "Made offline"


def test_integer_pk_create_answers_the_permanent_id_and_later_changes_may_use_the_temporary_one(
    editor1, newsroom
):
    editor1.checkout(newsroom)
    article = article_in(newsroom)
    temp_photo, temp_tag = f"tmp:{uuid.uuid4()}", f"tmp:{uuid.uuid4()}"
    article_record = pulled(editor1, newsroom, article.pk)

    _, body = editor1.push(
        {
            "id": str(uuid.uuid4()),
            "op": "create",
            "model": "news.tag",
            "pk": temp_tag,
            "values": {"name": "offline-tag"},
        },
        update(article_record, {"tags": article_record["fields"]["tags"] + [temp_tag]}),
        {
            "id": str(uuid.uuid4()),
            "op": "create",
            "model": "news.photo",
            "pk": temp_photo,
            "values": {"article": str(article.pk), "caption": "River crossing", "credit": "A."},
        },
        {
            "id": str(uuid.uuid4()),
            "op": "update",
            "model": "news.photo",
            "pk": temp_photo,
            "base_version": 1,
            "base_values": {"caption": "River crossing"},
            "values": {"caption": "River crossing at dawn"},
        },
    )

    tag_result, article_result, photo_result, photo_update = body["results"]
    assert [r["status"] for r in body["results"]] == ["applied"] * 4, body
    tag = Tag.objects.get(name="offline-tag")
    assert tag_result["pk"] == tag.pk and tag_result["temp_pk"] == temp_tag
    assert tag.pk in article_result["values"]["tags"]
    photo = Photo.objects.get(pk=photo_result["pk"])
    assert isinstance(photo_result["pk"], int) and photo_result["temp_pk"] == temp_photo
    assert photo_update["pk"] == photo.pk
    assert photo.caption == "River crossing at dawn"


def test_reference_to_a_temporary_id_that_was_never_created_is_rejected(editor1, newsroom):
    editor1.checkout(newsroom)

    _, body = editor1.push(
        {
            "id": str(uuid.uuid4()),
            "op": "update",
            "model": "news.photo",
            "pk": f"tmp:{uuid.uuid4()}",
            "base_version": 1,
            "values": {"caption": "Lost"},
        }
    )

    (result,) = body["results"]
    assert result["status"] == "rejected"
    assert "never created" in result["errors"]["pk"][0]


def test_delete_is_applied_and_leaves_a_tombstone_in_the_feed(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)
    _, before = editor1.changes(newsroom)

    _, body = editor1.push(
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
    _, after = editor1.changes(newsroom, since=before["cursor"])
    tombstones = [c for c in after["changes"] if c["pk"] == record["pk"]]
    assert tombstones and tombstones[0]["deleted"] is True


def test_delete_of_a_record_changed_on_the_server_is_a_conflict(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)
    article.title = "Edited centrally"
    article.save()

    _, body = editor1.push(
        {
            "id": str(uuid.uuid4()),
            "op": "delete",
            "model": "news.article",
            "pk": record["pk"],
            "base_version": record["version"],
        }
    )

    assert body["results"][0]["status"] == "conflict"
    assert body["results"][0]["values"]["title"] == "Edited centrally"
    assert Article.objects.filter(pk=article.pk).exists()


def test_update_of_a_record_deleted_on_the_server_is_a_conflict_saying_so(editor1, newsroom):
    article, record = _checked_out_article(editor1, newsroom)
    article.delete()

    _, body = editor1.push(update(record, {"title": "Too late"}))

    (result,) = body["results"]
    assert result["status"] == "conflict"
    assert result["deleted"] is True
    assert result["conflicts"]["title"]["mine"] == "Too late"


def test_a_record_created_again_under_its_id_meets_the_first_creation_as_a_conflict(
    editor1, newsroom
):
    """The load run: two editors kept their edits of an article deleted on the server, so
    both created it again under its id; the second was refused ("Article with this Id
    already exists"), a field error nobody can fix. It is a conflict on the fields the
    two set differently; a creation equal to what is there is simply taken."""
    editor1.checkout(newsroom)
    pk = str(uuid.uuid4())

    def create(**values) -> dict:
        change = {"id": str(uuid.uuid4()), "op": "create", "model": "news.article", "pk": pk,
                  "values": {"section": newsroom.pk, **values}}  # fmt: skip
        _, body = editor1.push(change)
        (result,) = body["results"]
        return result

    first = create(title="Kept by one", body="Text.")
    second = create(title="Kept by two", body="Text.")
    same = create(title="Kept by one", body="Text.")

    assert first["status"] == "applied"
    assert second["status"] == "conflict", second
    assert set(second["conflicts"]) == {"title"}
    assert second["values"]["title"] == "Kept by one" and second["version"] == first["version"]
    assert same["status"] in ("applied", "merged"), same
    assert Article.objects.get(pk=pk).title == "Kept by one"
