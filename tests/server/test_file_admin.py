"""The admin's review and history pages show file fields as links to their
content, a thumbnail for an image; the admin serves the content only to staff
who may view something that refers to it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.test import Client

from server_plugin.demo.news.models import Photo
from server_plugin.models import RecordVersion, ReviewItem
from server_plugin.registry import get_registry
from tests.museum_site.models import Artefact

from .conftest import pulled, update
from .file_helpers import image_bytes, upload


@pytest.fixture
def photo(newsroom) -> Photo:
    return Photo.objects.filter(article__section=newsroom).order_by("pk").first()


def staff(username: str, *codenames: str) -> Client:
    user = User.objects.create_user(username, password="demo-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    assert client.login(username=username, password="demo-password")
    return client


def chief() -> Client:
    User.objects.filter(username="chief").update(is_superuser=True)
    client = Client()
    assert client.login(username="chief", password="demo-password")
    return client


def image_links(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)" alt="[^"]*" class="fs-thumb"', html)


def test_the_history_compare_page_links_both_files_with_thumbnails(editor1, newsroom, photo):
    editor1.checkout(newsroom)
    before = pulled(editor1, newsroom, photo.pk)["fields"]["image"]
    ref = upload(editor1, image_bytes("replacement"), name="replacement.jpg")
    editor1.push(update(pulled(editor1, newsroom, photo.pk), {"image": ref}))
    kept = RecordVersion.objects.get(object_pk=str(photo.pk))

    page = chief().post(
        "/admin/fieldsync/recordversion/",
        {"action": "compare_selected", "_selected_action": [kept.pk]},
    )
    html = page.content.decode()
    links = image_links(html)
    assert links == [
        f"/admin/fieldsync/recordversion/file/{before['sha256']}/",
        f"/admin/fieldsync/recordversion/file/{ref['sha256']}/",
    ]
    assert "replacement.jpg</a>" in html
    served = chief().get(links[1])
    assert served.status_code == 200 and b"".join(served.streaming_content) == image_bytes(
        "replacement"
    )
    assert served["X-Content-Type-Options"] == "nosniff"


def test_the_review_page_shows_the_submitted_file(editor1, newsroom, photo, settings):
    settings.FIELDSYNC = {**settings.FIELDSYNC, "MODELS": {
        **settings.FIELDSYNC["MODELS"],
        "news.Photo": {"category": "article__section", "policy": "review"},
    }}  # fmt: skip
    editor1.checkout(newsroom)
    ref = upload(editor1, image_bytes("for review"), name="for-review.jpg")
    _, body = editor1.push(update(pulled(editor1, newsroom, photo.pk), {"image": ref}))
    assert body["results"][0]["status"] == "review"
    item = ReviewItem.objects.get()

    html = chief().get(f"/admin/fieldsync/reviewitem/{item.pk}/change/").content.decode()
    assert "for-review.jpg</a>" in html
    url = f"/admin/fieldsync/recordversion/file/{ref['sha256']}/"
    assert url in image_links(html)
    served = chief().get(url)  # only an upload so far: served from its chunks
    assert b"".join(served.streaming_content) == image_bytes("for review")


def test_the_admin_serves_a_file_only_to_staff_who_may_view_what_refers_to_it(photo):
    url = f"/admin/fieldsync/recordversion/file/{_sha_of(photo)}/"
    assert staff("viewer", "view_photo").get(url).status_code == 200
    assert staff("other", "view_article").get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_a_non_image_file_is_a_download_not_a_page(museum, media_root, root):
    bowl = Artefact.objects.get(title="Glazed bowl")
    bowl.document.save("report.html", ContentFile(b"<script>alert(1)</script>"))
    ref = get_registry().get("museum.artefact").values_of(bowl)["document"]
    client = Client()
    client.force_login(root)
    served = client.get(f"/admin/fieldsync/recordversion/file/{ref['sha256']}/")
    assert served["Content-Disposition"] == "attachment"
    assert served["Content-Security-Policy"] == "sandbox"


def _sha_of(photo: Photo) -> str:
    return get_registry().get("news.photo").values_of(photo)["image"]["sha256"]
