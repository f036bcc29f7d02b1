"""File fields in pushes and feeds (docs/files.md): a change is applied only once
its files are on the site, through the field's own storage, under its upload_to;
values compare by content; the admin's files reach the feed as references."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from server_plugin.demo.news.models import Photo
from server_plugin.models import ChangeReceipt, RecordVersion, StoredFile
from tests.museum_site.models import Artefact, Trench

from . import museum as museum_helpers
from .conftest import pulled, update, version_of
from .file_helpers import files_added, files_under, image_bytes, ref_of, upload


@pytest.fixture
def photo(newsroom, media_root) -> Photo:
    """A photo of Politics whose image the test sets (the seed gave it one)."""
    photo = Photo.objects.filter(article__section=newsroom).order_by("pk").first()
    Photo.objects.filter(pk=photo.pk).update(image="")
    photo.refresh_from_db()
    return photo


@pytest.fixture
def added(photo, media_root):
    """The files stored since the test began (the seed stored the others)."""
    return files_added(media_root)


@pytest.fixture
def checked_out(editor1, newsroom):
    status, body = editor1.checkout(newsroom)
    assert status == 200, body
    return editor1


def push_one(api, change: dict) -> dict:
    status, body = api.push(change)
    assert status == 200, body
    (result,) = body["results"]
    return result


def test_a_change_naming_a_file_the_site_lacks_waits_for_it_then_applies_once(
    checked_out, newsroom, photo, added
):
    data = image_bytes("late")
    ref = ref_of(data)
    change = update(pulled(checked_out, newsroom, photo.pk), {"image": ref, "credit": "Field"})

    result = push_one(checked_out, change)
    assert result["status"] == "needs_files" and result["files"] == [ref["sha256"]]
    photo.refresh_from_db()
    assert (photo.image.name, photo.credit) == ("", Photo.objects.get(pk=photo.pk).credit)
    assert not ChangeReceipt.objects.filter(change_id=change["id"]).exists(), "no receipt"
    assert added() == []

    upload(checked_out, data)
    applied = push_one(checked_out, change)  # the same change, frozen, sent again
    assert applied["status"] == "applied"
    assert applied["values"]["image"] == {**ref, "name": "photos/harbour.jpg"}
    version = version_of(photo)
    assert push_one(checked_out, change) == applied, "a retry is answered from its receipt"
    assert version_of(photo) == version, "applied exactly once"
    photo.refresh_from_db()
    assert photo.credit == "Field" and photo.image.read() == data


def test_the_upload_is_removed_once_its_content_is_stored(
    checked_out, newsroom, photo, media_root, django_capture_on_commit_callbacks
):
    ref = upload(checked_out, image_bytes("moved"))
    assert files_under(media_root, "fieldsync-uploads")
    with django_capture_on_commit_callbacks(execute=True):
        push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ref}))
    assert files_under(media_root, "fieldsync-uploads") == []
    status, state = checked_out.post("files/uploads", ref)
    assert state["complete"], "the content is held: in the photo's storage now"


def test_a_file_over_the_limit_is_rejected_naming_the_field(checked_out, newsroom, photo, settings):
    settings.FIELDSYNC = {**settings.FIELDSYNC, "MAX_FILE_BYTES": 100}
    ref = ref_of(b"x" * 101)
    result = push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ref}))
    assert result["status"] == "rejected"
    assert "over the limit" in result["errors"]["image"][0]


def test_a_file_that_is_not_an_image_is_refused_for_an_image_field(
    checked_out, newsroom, photo, added
):
    ref = upload(checked_out, b"%PDF-1.4 not a picture", name="scan.jpg")
    result = push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ref}))
    assert result["status"] == "rejected"
    assert list(result["errors"]) == ["image"] and "not an image" in result["errors"]["image"][0]
    photo.refresh_from_db()
    assert photo.image.name == ""
    assert added("photos") == [], "the refused file is not left behind"


@pytest.mark.parametrize(
    "hostile, stored",
    [
        ("../../settings.py", r"photos/settings\.py"),
        ("/etc/passwd", "photos/passwd"),
        ("C:\\Users\\ed\\Pictures\\harbour.jpg", r"photos/harbour\.jpg"),
        ("..\\..\\boot.ini", r"photos/boot\.ini"),
        ("...", "photos/file"),
        ("\u202ejpg.exe\u200b", r"photos/jpg\.exe"),
        ("a" * 900 + ".jpg", r"photos/a{80,}_\w{7}\.jpg"),  # cut to fit the column
    ],
)
def test_a_hostile_file_name_is_neutralised_and_stored_under_upload_to(
    checked_out, newsroom, photo, media_root, added, hostile, stored
):
    ref = upload(checked_out, image_bytes(hostile[:8]), name=hostile)
    result = push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ref}))
    assert result["status"] == "applied", result
    photo.refresh_from_db()
    assert len(photo.image.name) <= 100 and re.fullmatch(stored, photo.image.name)
    elsewhere = [p for p in added() if "fieldsync-uploads" not in str(p)]
    assert elsewhere == [media_root / photo.image.name], "nothing written outside upload_to"
    assert not any(media_root.parent.glob("*.py")) and not (media_root / "passwd").exists()


def test_names_no_file_may_have_are_refused(checked_out, newsroom, photo, added):
    record = pulled(checked_out, newsroom, photo.pk)
    ref = ref_of(image_bytes())
    status, body = checked_out.push(update(record, {"image": {**ref, "name": "a\x00.jpg"}}))
    assert status == 400 and "NUL" in body["detail"]
    result = push_one(checked_out, update(record, {"image": {**ref, "name": "a" * 10_000}}))
    assert result["status"] == "rejected" and "name" in result["errors"]["image"][0]
    assert added() == []


def test_clearing_a_file_field_that_may_be_blank(checked_out, newsroom, photo):
    ref = upload(checked_out, image_bytes("gone"))
    first = push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ref}))
    assert first["status"] == "applied"
    result = push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ""}))
    assert result["status"] == "applied" and result["values"]["image"] == ""
    photo.refresh_from_db()
    assert photo.image.name == ""
    kept = RecordVersion.objects.filter(object_pk=str(photo.pk)).latest("kept_at")
    assert kept.values["image"]["sha256"] == ref["sha256"], "the history keeps the file"


def test_the_same_file_on_both_sides_is_no_conflict(checked_out, newsroom, photo, media_root):
    data = image_bytes("same")
    record = pulled(checked_out, newsroom, photo.pk)
    photo.image.save("central-copy.jpg", SimpleUploadedFile("c.jpg", data))  # the chief, meanwhile
    ref = upload(checked_out, data, name="my-copy.jpg")
    result = push_one(checked_out, update(record, {"image": ref, "credit": "Both"}))
    assert result["status"] == "merged" and not result.get("conflicts"), result
    photo.refresh_from_db()
    assert photo.image.name == "photos/central-copy.jpg", "the file the site had is kept"
    assert result["values"]["image"]["sha256"] == ref["sha256"]


def test_different_files_on_both_sides_are_a_conflict(checked_out, newsroom, photo, media_root):
    record = pulled(checked_out, newsroom, photo.pk)
    photo.image.save("central.jpg", SimpleUploadedFile("c.jpg", image_bytes("theirs")))
    ref = upload(checked_out, image_bytes("mine"))
    result = push_one(checked_out, update(record, {"image": ref}))
    assert result["status"] == "conflict"
    conflict = result["conflicts"]["image"]
    assert conflict["mine"]["sha256"] == ref["sha256"]
    assert conflict["theirs"]["name"] == "photos/central.jpg"
    photo.refresh_from_db()
    assert photo.image.name == "photos/central.jpg"


def test_a_file_uploaded_in_the_admin_reaches_the_feed_as_a_reference(
    editor1, newsroom, photo, media_root
):
    User.objects.filter(username="chief").update(is_superuser=True)
    admin = Client()
    assert admin.login(username="chief", password="demo-password")
    data = image_bytes("from the admin")
    response = admin.post(
        f"/admin/news/photo/{photo.pk}/change/",
        {"article": str(photo.article_id), "caption": photo.caption, "credit": photo.credit,
         "image": SimpleUploadedFile("desk.jpg", data, content_type="image/jpeg")},
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors

    value = pulled(editor1, newsroom, photo.pk)["fields"]["image"]
    digest = hashlib.sha256(data).hexdigest()
    assert value == {"name": "photos/desk.jpg", "size": len(data), "sha256": digest,
                     "content_type": "image/jpeg"}  # fmt: skip
    assert StoredFile.objects.filter(name="photos/desk.jpg").count() == 1, "hashed once, kept"
    download = editor1.fetch(f"files/{value['sha256']}")
    assert b"".join(download.streaming_content) == data


def test_restoring_a_version_restores_its_file(checked_out, newsroom, photo, added):
    first = image_bytes("first")
    ref = upload(checked_out, first)
    push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": ref}))
    second = upload(checked_out, image_bytes("second"), name="second.jpg")
    push_one(checked_out, update(pulled(checked_out, newsroom, photo.pk), {"image": second}))
    kept = RecordVersion.objects.filter(
        object_pk=str(photo.pk), values__image__sha256=ref["sha256"]
    )

    User.objects.filter(username="chief").update(is_superuser=True)
    admin = Client()
    assert admin.login(username="chief", password="demo-password")
    admin.post(
        "/admin/fieldsync/recordversion/",
        {"action": "restore_selected", "_selected_action": [kept.get().pk]},
    )

    photo.refresh_from_db()
    assert photo.image.read() == first
    assert pulled(checked_out, newsroom, photo.pk)["fields"]["image"]["sha256"] == ref["sha256"]
    assert len(added("photos")) == 2, "the first file was kept, not copied"


def test_a_document_attaches_to_a_record_created_offline_on_integer_keys(
    museum, museum_editor, media_root
):
    """The museum's Artefact.document is a FileField (no image check) on an integer key."""
    museum_editor.checkout(museum)
    data = b"%PDF-1.4\n% excavation report\n" * 50
    ref = upload(museum_editor, data, name="report.pdf", content_type="application/pdf")
    trench = Trench.objects.filter(expedition=museum).first()
    temp = f"tmp:{uuid.uuid4()}"
    result = push_one(museum_editor, {
        "id": str(uuid.uuid4()), "op": "create", "model": "museum.artefact", "pk": temp,
        "values": {"trench": trench.pk, "title": "Sherd with a report", "document": ref},
    })  # fmt: skip
    assert result["status"] == "applied", result
    artefact = Artefact.objects.get(pk=result["pk"])
    assert artefact.document.name == "museum/documents/report.pdf"
    assert artefact.document.read() == data
    changes = museum_helpers.feed_changes(User.objects.get(username="editor1"), museum)
    assert museum_helpers.latest(changes, "museum.artefact", artefact.pk)["fields"]["document"] == {
        **ref,
        "name": "museum/documents/report.pdf",
    }


def test_a_file_queued_for_review_is_stored_when_accepted(
    checked_out, newsroom, photo, added, settings
):
    from server_plugin import review
    from server_plugin.models import ReviewItem

    settings.FIELDSYNC = {**settings.FIELDSYNC, "MODELS": {
        **settings.FIELDSYNC["MODELS"],
        "news.Photo": {"category": "article__section", "policy": "review"},
    }}  # fmt: skip
    record = pulled(checked_out, newsroom, photo.pk)
    missing = push_one(checked_out, update(record, {"image": ref_of(image_bytes("queued"))}))
    assert missing["status"] == "needs_files", "the content is checked before it is queued"
    ref = upload(checked_out, image_bytes("queued"))
    assert push_one(checked_out, update(record, {"image": ref}))["status"] == "review"
    assert added("photos") == [], "stored only once accepted"

    review.accept(ReviewItem.objects.get(), User.objects.get(username="chief"))
    photo.refresh_from_db()
    assert photo.image.read() == image_bytes("queued")
