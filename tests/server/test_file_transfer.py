"""File content moves by hash (docs/files.md): uploaded in chunks that resume
where the site got to, verified, kept once; downloaded streamed, resumable with
Range, and only by a user who may see a record that refers to it."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from server_plugin.demo.news.models import Photo
from server_plugin.models import CategoryGrant, FileUpload, StoredFile
from server_plugin.protocol.files import MAX_CHUNK_BYTES

from .conftest import login, pulled, update
from .file_helpers import Uploader, files_added, files_under, image_bytes, ref_of, upload

CHUNK = 64 * 1024


@pytest.fixture
def photo(newsroom, media_root) -> Photo:
    """A photo of Politics whose image the test sets (the seed gave it one)."""
    photo = Photo.objects.filter(article__section=newsroom).order_by("pk").first()
    Photo.objects.filter(pk=photo.pk).update(image="")
    photo.refresh_from_db()
    return photo


def big_image() -> bytes:
    """An image of a few chunks (noise does not compress)."""
    return image_bytes("big", size=(400, 300), kind="BMP")


def attach(api, section, photo: Photo, ref: dict) -> dict:
    api.checkout(section)
    status, body = api.push(update(pulled(api, section, photo.pk), {"image": ref}))
    assert status == 200, body
    (result,) = body["results"]
    assert result["status"] == "applied", result
    return result


def test_an_upload_in_chunks_downloads_as_the_same_bytes(editor1, newsroom, photo):
    data = big_image()
    ref = ref_of(data, name="big.bmp", content_type="image/bmp")
    uploader = Uploader(editor1, chunk=CHUNK)
    assert uploader.start(ref) == {"sha256": ref["sha256"], "size": len(data), "received": 0,
                                   "complete": False}  # fmt: skip
    uploader.send(data, ref)
    assert uploader.sent == len(data) and len(data) > 3 * CHUNK
    status, state = editor1.get(f"files/uploads/{ref['sha256']}")
    assert (status, state["received"], state["complete"]) == (200, len(data), True)

    attach(editor1, newsroom, photo, ref)
    response = editor1.fetch(f"files/{ref['sha256']}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["ETag"] == f'"{ref["sha256"]}"'
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "image/bmp"


def test_a_cut_upload_resumes_and_sends_only_the_rest(editor1, photo):
    data = big_image()
    ref = ref_of(data, name="big.bmp", content_type="image/bmp")
    first = Uploader(editor1, chunk=CHUNK)
    assert first.send(data, ref, stop_after=2) == {"received": 2 * CHUNK, "complete": False}

    again = Uploader(editor1, chunk=CHUNK)  # a new run of the client, after the cut
    assert again.send(data, ref)["complete"]
    assert again.sent == len(data) - 2 * CHUNK, "the second try sent only what was missing"
    assert first.sent + again.sent == len(data)


def test_a_chunk_at_another_offset_is_refused_naming_where_to_resume(editor1, photo):
    data = big_image()
    ref = ref_of(data)
    Uploader(editor1, chunk=CHUNK).send(data, ref, stop_after=1)
    status, body = editor1.put(f"files/uploads/{ref['sha256']}", data[:CHUNK], offset=0)
    assert (status, body["error"], body["received"]) == (409, "wrong_offset", CHUNK)
    status, body = editor1.put(f"files/uploads/{ref['sha256']}", data[:CHUNK], offset=3 * CHUNK)
    assert (status, body["received"]) == (409, CHUNK)
    assert FileUpload.objects.get(sha256=ref["sha256"]).received == CHUNK


def test_content_that_is_not_the_one_named_is_refused_and_nothing_is_kept(editor1, media_root):
    data = big_image()
    ref = ref_of(data)
    Uploader(editor1, chunk=CHUNK).send(data, ref, stop_after=1)
    forged = data[CHUNK:-1] + b"\x00"  # the right size, not the right bytes
    status, body = editor1.put(f"files/uploads/{ref['sha256']}", forged, offset=CHUNK)
    assert (status, body["error"], body["received"]) == (400, "content_mismatch", 0)
    assert FileUpload.objects.get(sha256=ref["sha256"]).received == 0
    assert files_under(media_root, "fieldsync-uploads") == [], "the chunks were thrown away"
    status, state = editor1.get(f"files/uploads/{ref['sha256']}")
    assert (state["received"], state["complete"]) == (0, False)


def test_a_chunk_past_the_files_size_or_the_chunk_limit_is_refused(editor1, media_root):
    data = image_bytes()
    ref = ref_of(data)
    Uploader(editor1).start(ref)
    status, body = editor1.put(f"files/uploads/{ref['sha256']}", data + b"more", offset=0)
    assert (status, body["error"]) == (400, "bad_request")
    status, body = editor1.put(f"files/uploads/{ref['sha256']}", b"", offset=0)
    assert (status, body["error"]) == (400, "bad_request")
    big = ref_of(b"x" * (MAX_CHUNK_BYTES + 1))
    Uploader(editor1).start(big)
    status, body = editor1.put(
        f"files/uploads/{big['sha256']}", b"x" * (MAX_CHUNK_BYTES + 1), offset=0
    )
    assert (status, body["error"]) == (413, "too_large")
    assert files_under(media_root, "fieldsync-uploads") == []


def test_a_file_over_the_sites_limit_is_refused_before_any_byte(editor1, settings, media_root):
    settings.FIELDSYNC = {**settings.FIELDSYNC, "MAX_FILE_BYTES": 1000}
    status, body = editor1.post("files/uploads", ref_of(b"x" * 1001))
    assert (status, body["error"], body["limit"]) == (413, "too_large", 1000)
    assert not FileUpload.objects.exists()
    status, schema = editor1.get("schema")
    assert schema["limits"] == {"max_file_bytes": 1000}


def test_bad_upload_requests_are_refused_naming_the_problem(editor1, media_root):
    sha = hashlib.sha256(b"a").hexdigest()
    for body, where in (
        ({"sha256": "ABC", "size": 1, "name": "a"}, "sha256"),
        ({"sha256": sha, "size": -1, "name": "a"}, "size"),
        ({"sha256": sha, "size": 1, "name": "a", "path": "/etc"}, "path"),
        ({"sha256": sha, "size": 1, "name": "a", "content_type": "text"}, "content type"),
    ):
        status, answer = editor1.post("files/uploads", body)
        assert status == 400 and where in answer["detail"] + answer.get("where", ""), answer
    status, answer = editor1.put(f"files/uploads/{sha}", b"a", offset=0)
    assert (status, answer["error"]) == (404, "not_found")
    status, answer = editor1.put(f"files/uploads/{sha}", b"a")
    assert (status, answer["where"]) == (400, "offset")
    assert not FileUpload.objects.exists()


def test_a_range_download_resumes_from_the_first_byte_missing(editor1, newsroom, photo):
    data = big_image()
    ref = upload(editor1, data, name="big.bmp", content_type="image/bmp")
    attach(editor1, newsroom, photo, ref)
    response = editor1.fetch(f"files/{ref['sha256']}", {"Range": "bytes=1000-"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    assert response["Content-Length"] == str(len(data) - 1000)
    assert data[:1000] + b"".join(response.streaming_content) == data
    response = editor1.fetch(f"files/{ref['sha256']}", {"Range": f"bytes={len(data)}-"})
    assert (response.status_code, response.json()["error"]) == (416, "range_not_satisfiable")
    assert response["Content-Range"] == f"bytes */{len(data)}"


def test_content_the_site_holds_is_complete_at_once_and_stored_once(
    editor1, newsroom, photo, media_root
):
    added = files_added(media_root)
    data = image_bytes("twice")
    ref = upload(editor1, data)
    attach(editor1, newsroom, photo, ref)
    other = Photo.objects.filter(article__section=newsroom).exclude(pk=photo.pk).first()

    editor2 = login("editor2", "editor2-laptop")
    assert Uploader(editor2).start(ref) == {"sha256": ref["sha256"], "size": len(data),
                                            "received": len(data), "complete": True}  # fmt: skip
    editor1.post(f"categories/{newsroom.pk}/checkin")
    second = Uploader(editor2)
    second.send(data, ref)
    assert second.sent == 0, "no byte travelled"
    attach(editor2, newsroom, other, {**ref, "name": "copy.jpg"})

    photo.refresh_from_db()
    other.refresh_from_db()
    assert photo.image.name == other.image.name, "the same content: the same stored file"
    assert added("photos") == [media_root / photo.image.name]
    assert StoredFile.objects.filter(sha256=ref["sha256"]).count() == 1


def test_content_is_404_to_a_user_who_may_see_no_record_referring_to_it(editor1, newsroom, photo):
    ref = upload(editor1, image_bytes("private"))
    attach(editor1, newsroom, photo, ref)
    editor2 = login("editor2", "editor2-laptop")
    assert editor2.fetch(f"files/{ref['sha256']}").status_code == 200

    CategoryGrant.objects.filter(user__username="editor2", category_key=str(newsroom.pk)).delete()
    response = editor2.fetch(f"files/{ref['sha256']}")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    unknown = editor1.fetch(f"files/{hashlib.sha256(b'nothing').hexdigest()}")
    assert unknown.status_code == 404 and unknown.json() == {**unknown.json(), "error": "not_found"}
    assert response.json()["detail"].replace(ref["sha256"], "X") == unknown.json()[
        "detail"
    ].replace(hashlib.sha256(b"nothing").hexdigest(), "X"), "the same answer: nothing learnt"


def test_content_uploaded_but_attached_to_no_record_is_404(editor1, photo):
    ref = upload(editor1, image_bytes("loose"))
    assert editor1.fetch(f"files/{ref['sha256']}").status_code == 404


def test_a_user_who_may_write_no_file_field_uploads_nothing(newsroom, media_root):
    from django.contrib.auth.models import Permission, User

    reader = User.objects.create_user("reader", password="demo-password")
    reader.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    status, body = login("reader").post("files/uploads", ref_of(image_bytes()))
    assert (status, body["error"]) == (403, "forbidden")
    assert not FileUpload.objects.exists()


def test_content_whose_copies_are_gone_is_asked_for_again(editor1, newsroom, photo, media_root):
    """Held means readable: an upload whose chunks, or a file its storage lost,
    is uploaded again rather than answered complete and then missed."""
    data = image_bytes("lost")
    ref = upload(editor1, data)
    shutil.rmtree(media_root / "fieldsync-uploads")
    assert Uploader(editor1).start(ref)["received"] == 0, "the chunks are gone: start again"
    upload(editor1, data)
    attach(editor1, newsroom, photo, ref)
    photo.refresh_from_db()
    shutil.rmtree(media_root / "fieldsync-uploads", ignore_errors=True)
    (media_root / photo.image.name).unlink()
    assert Uploader(editor1).start(ref)["complete"] is False


@pytest.mark.parametrize("value", [0, -1, "50 MB", True])
def test_a_file_limit_that_is_not_a_positive_number_is_a_system_error(settings, value):
    from django.core import checks

    settings.FIELDSYNC = {**settings.FIELDSYNC, "MAX_FILE_BYTES": value}
    errors = checks.run_checks(tags=["fieldsync"])
    assert any("MAX_FILE_BYTES" in e.msg for e in errors if e.level >= checks.ERROR), errors
