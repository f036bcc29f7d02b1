"""Bundles carry the files they need (docs/bundles.md, docs/files.md).

A category bundle carries the content of its records' files up to a size per
file (the rest travel as references); a changes bundle carries the files the
office attached, which the site stores as completed uploads of the device
(verified, kept once) before the changes go through the push path, so
uploading it twice stores and applies nothing twice. A carried file that is
not what the signed list names refuses the whole bundle: nothing stored,
nothing applied. Files of the format before files still apply.
"""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from django.core.files.base import ContentFile

from server_plugin import bundles
from server_plugin.demo.news.models import Photo
from server_plugin.models import ChangeReceipt, FileUpload, StoredFile
from server_plugin.protocol import bundle_format
from server_plugin.protocol.bundle_format import CarriedFile
from tests.support.bundle_files import document_of, old_format, rewritten

from .conftest import stored_state, version_of
from .file_helpers import Uploader, files_added, files_under, image_bytes, ref_of
from .test_bundles import (
    ADMIN,
    Office,
    body_of,
    changes_bundle,
    chief_admin,
    device_of,
    exported,
    opened,
    text_of,
    upload,
)


@pytest.fixture
def office(newsroom) -> Office:
    """editor1's device, logged in with a key pair as `fieldsync login` makes one."""
    return Office("editor1", "editor1-laptop")


def politics_photos(section) -> list[Photo]:
    return list(Photo.objects.filter(article__section=section).order_by("pk"))


def content_of(photo: Photo) -> bytes:
    photo.refresh_from_db()
    with photo.image.open("rb") as stream:
        return stream.read()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def carried(data: bytes, content_type: str = "image/jpeg") -> CarriedFile:
    return CarriedFile(sha(data), len(data), lambda: io.BytesIO(data), content_type)


def photo_update(export: dict, photo: Photo, **values) -> dict:
    record = export["records"][("news.photo", str(photo.pk))]
    return {
        "id": str(uuid.uuid4()),
        "op": "update",
        "model": "news.photo",
        "pk": record["pk"],
        "category": export["id"],
        "base_version": record["version"],
        "base_values": {name: record["fields"][name] for name in values},
        "values": values,
    }


def office_photo(text: str = "from the office") -> bytes:
    return image_bytes(text, size=(120, 80))


# -- category bundles: content up to the limit, references beyond -------------------------


def test_a_category_bundle_carries_small_files_and_only_references_for_big_ones(
    office, newsroom
):
    small, big = politics_photos(newsroom)[:2]
    large = image_bytes("a big scan", size=(400, 300), kind="BMP")  # ~360 KB
    big.image.save("scan.bmp", ContentFile(large))
    limit = 100_000

    data, _ = bundles.export_category(device_of(office), str(newsroom.pk), download_limit=limit)
    bundle = opened(data, office)
    bundle.check_files()

    images = {
        int(entry["pk"]): entry["fields"]["image"]
        for entry in bundle.payload["categories"][0]["changes"]
        if entry["model"] == "news.photo"
    }
    assert images[big.pk]["sha256"] == sha(large) and images[big.pk]["size"] == len(large)
    assert sha(large) not in bundle.files, "over the limit: a reference only"
    assert set(bundle.files) == {ref["sha256"] for pk, ref in images.items() if pk != big.pk}
    with bundle.open_file(images[small.pk]["sha256"]) as member:
        assert member.read() == content_of(small)


def test_the_api_carries_files_up_to_the_limit_the_editor_asks(office, newsroom):
    photos = politics_photos(newsroom)
    url = f"/fieldsync/v1/categories/{newsroom.pk}/bundle"
    auth = {"Authorization": f"Bearer {office.token}"}

    everything = opened(body_of(office.client.get(url, headers=auth)), office)
    nothing = opened(body_of(office.client.get(url, {"download_limit": 0}, headers=auth)), office)
    status, refused = office.get(f"categories/{newsroom.pk}/bundle", download_limit="2MB")

    assert set(everything.files) == {sha(content_of(photo)) for photo in photos}
    assert nothing.files == {}
    assert status == 400 and refused["where"] == "download_limit"


def test_the_admin_export_takes_a_limit_in_megabytes(office, newsroom):
    device = device_of(office)
    client = chief_admin()

    form = text_of(client.get(f"{ADMIN}/export/"))
    none = client.post(f"{ADMIN}/export/", {"device": device.pk, "category": newsroom.pk,
                                           "download_limit": "0"})  # fmt: skip
    some = client.post(f"{ADMIN}/export/", {"device": device.pk, "category": newsroom.pk,
                                           "download_limit": "0.5"})  # fmt: skip

    assert "File content up to (MB)" in form
    assert opened(body_of(none), office).files == {}
    assert len(opened(body_of(some), office).files) == len(politics_photos(newsroom))


# -- changes bundles: the office's files stored once, changes applied once -------------------


def test_a_photo_attached_offline_is_stored_from_the_bundle_and_nothing_twice(
    office, newsroom, media_root, django_capture_on_commit_callbacks
):
    export = exported(office, newsroom)
    photo = politics_photos(newsroom)[0]
    content = office_photo()
    change = photo_update(export, photo, image=ref_of(content, name="office.jpg"))
    data = changes_bundle(office, export, change, files=[carried(content)])
    client = chief_admin()
    added = files_added(media_root)

    with django_capture_on_commit_callbacks(execute=True):  # the push's cleanup, on commit
        first = upload(client, data)
    stored = added()
    version = version_of(photo)
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(client, data)

    assert "1 applied" in text_of(first) and "Files: 1 stored" in text_of(first)
    assert content_of(photo) == content and photo.image.name == "photos/office.jpg"
    assert [path.name for path in stored] == ["office.jpg"], "in the field's storage, once"
    assert files_under(media_root, "fieldsync-uploads") == [], "the upload is gone once stored"
    assert not FileUpload.objects.exists()
    assert "Files: 1 the site held already" in text_of(second)
    assert added() == stored and version_of(photo) == version
    assert ChangeReceipt.objects.count() == 1
    assert second.context["applied"].results == first.context["applied"].results
    (result,) = first.context["applied"].results
    assert result["status"] == "applied" and result["values"]["image"]["sha256"] == sha(content)


def test_the_same_photo_on_two_records_travels_and_is_stored_once(
    office, newsroom, media_root, django_capture_on_commit_callbacks
):
    export = exported(office, newsroom)
    first, second = politics_photos(newsroom)[:2]
    content = office_photo("twice")
    changes = [photo_update(export, p, image=ref_of(content, name="same.jpg"))
               for p in (first, second)]  # fmt: skip
    added = files_added(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(chief_admin(), changes_bundle(office, export, *changes,
                                                        files=[carried(content)]))  # fmt: skip

    assert "2 applied" in text_of(response) and "Files: 1 stored" in text_of(response)
    assert content_of(first) == content_of(second) == content
    assert first.image.name == second.image.name and len(added()) == 1


def test_an_upload_cut_online_is_completed_from_the_bundle(
    office, newsroom, media_root, django_capture_on_commit_callbacks
):
    export = exported(office, newsroom)
    photo = politics_photos(newsroom)[0]
    content = image_bytes("cut online", size=(400, 300), kind="BMP")
    ref = ref_of(content, name="cut.bmp", content_type="image/bmp")
    Uploader(office, chunk=64 * 1024).send(content, ref, stop_after=2)  # cut, then offline

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(chief_admin(), changes_bundle(office, export, photo_update(
            export, photo, image=ref), files=[carried(content, "image/bmp")]))  # fmt: skip

    assert "1 applied" in text_of(response)
    assert content_of(photo) == content and not FileUpload.objects.exists()


def test_the_answers_carry_files_changed_centrally_but_not_the_offices_own(
    office, newsroom
):
    export = exported(office, newsroom)
    mine, theirs = politics_photos(newsroom)[:2]
    content, central = office_photo("office"), image_bytes("desk", size=(90, 60))
    theirs.image.save("desk.jpg", ContentFile(central))  # meanwhile, at the central desk
    client = chief_admin()

    response = upload(client, changes_bundle(office, export, photo_update(
        export, mine, image=ref_of(content)), files=[carried(content)]))  # fmt: skip
    download = client.post(f"{ADMIN}/answers/", {"answers": response.context["answers_token"]})
    answers = opened(body_of(download), office)
    answers.check_files()

    assert sha(central) in answers.files
    assert sha(content) not in answers.files, "the office has its own photo"
    with answers.open_file(sha(central)) as member:
        assert member.read() == central


# -- refused: nothing stored, nothing applied ----------------------------------------------


def _other_bytes(data: bytes, content: bytes) -> bytes:
    """The member replaced by other bytes of the same size (a valid zip: only the hash
    in the signed list tells)."""
    return rewritten(data, replace={f"files/{sha(content)}": content[:-1] + b"\x00"})


def _flipped(data: bytes, content: bytes) -> bytes:
    at = data.index(content[:200]) + 150
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1 :]


def _list_edited(data: bytes, content: bytes) -> bytes:
    """The list says the other bytes' hash, the member holds them: the signature tells."""
    other = content[:-1] + b"\x00"
    document = document_of(data)
    document["header"]["files"] = [{"sha256": sha(other), "size": len(other)}]
    return rewritten(data, document=document, drop=(f"files/{sha(content)}",),
                     replace={f"files/{sha(other)}": other})  # fmt: skip


@pytest.mark.parametrize(
    "tamper, message",
    [
        (_other_bytes, "is not the content its signed list names"),
        (_flipped, "is damaged"),
        (_list_edited, "signature does not match"),
    ],
)
def test_a_tampered_file_refuses_the_whole_bundle_and_stores_nothing(
    office, newsroom, media_root, tamper, message
):
    export = exported(office, newsroom)
    photos = politics_photos(newsroom)
    content = office_photo()
    data = changes_bundle(
        office, export,
        photo_update(export, photos[0], caption="A caption alone"),
        photo_update(export, photos[1], image=ref_of(content)),
        files=[carried(content)],
    )  # fmt: skip
    before = stored_state()
    added = files_added(media_root)

    response = upload(chief_admin(), tamper(data, content))

    assert "Changes.fieldsync refused: " in text_of(response) and message in text_of(response)
    assert stored_state() == before
    assert added() == [] and not FileUpload.objects.exists()
    assert not StoredFile.objects.filter(sha256=sha(content)).exists()


def test_a_carried_file_over_the_sites_limit_refuses_the_bundle(
    office, newsroom, settings, media_root
):
    export = exported(office, newsroom)
    content = office_photo()
    data = changes_bundle(office, export, photo_update(
        export, politics_photos(newsroom)[0], image=ref_of(content)), files=[carried(content)])
    settings.FIELDSYNC = {**settings.FIELDSYNC, "MAX_FILE_BYTES": len(content) - 1}
    before = stored_state()

    response = upload(chief_admin(), data)

    assert "over the site's limit" in text_of(response)
    assert stored_state() == before and not FileUpload.objects.exists()


# -- files made before bundles carried files ---------------------------------------------------


def test_a_changes_bundle_of_the_format_before_files_still_applies(office, newsroom):
    export = exported(office, newsroom)
    photo = politics_photos(newsroom)[0]
    device = device_of(office)
    data = old_format(
        bundle_format.CHANGES,
        signing_key=office.signing_key,
        server=bundles.server_id(),
        device={"id": device.pk, "name": device.name, "user": "editor1"},
        payload={
            "changes": [photo_update(export, photo, caption="Written before files travelled")],
            "categories": [{"id": export["id"], "cursor": export["cursor"]}],
            "reference_cursor": 0,
        },
    )

    response = upload(chief_admin(), data, "old.fieldsync")

    photo.refresh_from_db()
    assert "Applied old.fieldsync" in text_of(response) and "1 applied" in text_of(response)
    assert photo.caption == "Written before files travelled"
