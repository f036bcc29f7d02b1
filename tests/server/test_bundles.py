"""Bundles on the central site: export a category for a device, upload its changes.

An upload goes through the push path itself, so these tests check what the
push tests check (applied, conflict, idempotent) with a file in between, and
that a file altered, or made for another device or site, changes nothing.
"""

from __future__ import annotations

import gzip
import html
import json
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from server_plugin import bundles
from server_plugin.demo.news.models import Article
from server_plugin.errors import ApiError
from server_plugin.models import ChangeReceipt, Checkout, Device, hash_token
from server_plugin.protocol import bundle_format
from server_plugin.protocol.bundle_format import BundleError

from .conftest import Api, article_in, version_of

ADMIN = "/admin/fieldsync/device/bundles"


def device_of(api: Api) -> Device:
    return Device.objects.select_related("user").get(token_hash=hash_token(api.token))


def opened(data: bytes, api: Api) -> bundle_format.Bundle:
    """The bundle as the device's client reads it: signature checked with its token."""
    bundle = bundle_format.read(data)
    bundle.verify(bundle_format.device_key(api.token))
    return bundle


def exported(api: Api, section) -> dict:
    """Export the category for the device; (model, pk) -> feed entry, plus the cursor."""
    data, _name = bundles.export_category(device_of(api), str(section.pk))
    category = opened(data, api).payload["categories"][0]
    records = {(c["model"], str(c["pk"])): c for c in category["changes"]}
    return {"records": records, "cursor": category["cursor"], "id": category["id"]}


def update_of(export: dict, article: Article, **values) -> dict:
    record = export["records"][("news.article", str(article.pk))]
    return {
        "id": str(uuid.uuid4()),
        "op": "update",
        "model": "news.article",
        "pk": record["pk"],
        "category": export["id"],
        "base_version": record["version"],
        "base_values": {name: record["fields"][name] for name in values},
        "values": values,
    }


def changes_bundle(api: Api, export: dict, *changes: dict, **header) -> bytes:
    """What `fieldsync export --changes` writes on the device (signed with its token)."""
    device = device_of(api)
    return bundle_format.make(
        bundle_format.CHANGES,
        key=header.get("key", bundle_format.device_key(api.token)),
        server=header.get("server", bundles.server_id()),
        device={"id": header.get("device", device.pk), "name": device.name, "user": "editor1"},
        payload={
            "changes": list(changes),
            "categories": [{"id": export["id"], "cursor": export["cursor"]}],
            "reference_cursor": 0,
        },
    )


def chief_admin() -> Client:
    client = Client()
    assert client.login(username="chief", password="demo-password")
    return client


def upload(client: Client, data: bytes, name: str = "changes.fieldsync"):
    return client.post(f"{ADMIN}/apply/", {"bundle": SimpleUploadedFile(name, data)})


def text_of(response) -> str:
    """The page as a person reads it (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


def answers_of(client: Client, response, api: Api) -> dict:
    """Download the answers bundle the results page offers, as the device reads it."""
    download = client.post(f"{ADMIN}/answers/", {"answers": response.context["answers_token"]})
    assert download.status_code == 200
    assert download["Content-Type"] == bundle_format.MEDIA_TYPE
    return opened(download.content, api).payload


# -- export ---------------------------------------------------------------------------


def test_category_export_carries_the_feed_the_schema_and_takes_the_checkout(editor1, newsroom):
    data, name = bundles.export_category(device_of(editor1), str(newsroom.pk))
    bundle = opened(data, editor1)
    status, feed = editor1.changes(newsroom, limit=5000)

    category = bundle.payload["categories"][0]
    assert status == 200
    assert bundle.kind == "category" and bundle.device_id == device_of(editor1).pk
    assert bundle.server == bundles.server_id()
    assert category["changes"] == feed["changes"] and category["cursor"] == feed["cursor"]
    assert category["since"] == 0 and category["name"] == "Politics"
    assert {"news.article", "news.author"} <= {
        m["label"] for m in bundle.payload["schema"]["models"]
    }
    assert any(c["model"] == "news.author" for c in bundle.payload["reference"]["changes"])
    assert Checkout.objects.active().get(category_key=str(newsroom.pk)).device == device_of(editor1)
    assert name.endswith(".fieldsync") and "politics" in name


def test_no_token_nor_its_hash_is_written_in_a_bundle(editor1, newsroom):
    data, _ = bundles.export_category(device_of(editor1), str(newsroom.pk))
    text = gzip.decompress(data).decode()

    assert editor1.token not in text
    assert hash_token(editor1.token) not in text


def test_export_is_refused_naming_the_holder_when_another_device_holds_it(
    editor1, editor2, newsroom
):
    editor2.checkout(newsroom)

    with pytest.raises(ApiError) as refused:
        bundles.export_category(device_of(editor1), str(newsroom.pk))

    assert refused.value.code == "checked_out" and "editor2" in refused.value.detail


def test_a_connected_editor_gets_a_bundle_from_the_api(editor1, newsroom):
    response = editor1.client.get(
        f"/fieldsync/v1/categories/{newsroom.pk}/bundle",
        headers={"Authorization": f"Bearer {editor1.token}"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == bundle_format.MEDIA_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert opened(response.content, editor1).payload["categories"][0]["id"] == str(newsroom.pk)


def test_the_api_answers_json_when_the_bundle_is_refused(editor1, editor2, newsroom):
    editor2.checkout(newsroom)

    status, body = editor1.get(f"categories/{newsroom.pk}/bundle")

    assert status == 409 and body["error"] == "checked_out"


def test_the_admin_exports_a_category_for_a_device(editor1, newsroom):
    client = chief_admin()
    device = device_of(editor1)

    form = client.get(f"{ADMIN}/export/", {"device": device.pk})
    response = client.post(f"{ADMIN}/export/", {"device": device.pk, "category": newsroom.pk})

    assert form.status_code == 200 and "Export a category for a device" in text_of(form)
    assert response.status_code == 200
    assert response["Content-Type"] == bundle_format.MEDIA_TYPE
    assert opened(response.content, editor1).kind == "category"
    assert Checkout.objects.active().filter(device=device, category_key=str(newsroom.pk)).exists()


def test_the_admin_export_says_who_holds_the_category(editor1, editor2, newsroom):
    editor2.checkout(newsroom)

    response = chief_admin().post(
        f"{ADMIN}/export/", {"device": device_of(editor1).pk, "category": newsroom.pk}
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Not exported: Politics is checked out by editor2" in text_of(response)


# -- upload -------------------------------------------------------------------------------


def test_changes_uploaded_in_the_admin_are_applied_and_answered(editor1, newsroom):
    export = exported(editor1, newsroom)
    article = article_in(newsroom)
    before = version_of(article)
    change = update_of(export, article, title="Written in the office")
    client = chief_admin()

    response = upload(client, changes_bundle(editor1, export, change))
    answers = answers_of(client, response, editor1)

    article.refresh_from_db()
    assert response.status_code == 200
    assert article.title == "Written in the office" and version_of(article) == before + 1
    assert "1 applied" in text_of(response)
    (result,) = answers["results"]
    assert (result["id"], result["status"], result["version"]) == (
        change["id"],
        "applied",
        before + 1,
    )
    category = answers["categories"][0]
    assert category["since"] == export["cursor"] and category["cursor"] > export["cursor"]
    entry = next(c for c in category["changes"] if c["pk"] == str(article.pk))
    assert entry["fields"]["title"] == "Written in the office"


def test_uploading_the_same_bundle_twice_applies_nothing_twice(editor1, newsroom):
    export = exported(editor1, newsroom)
    article = article_in(newsroom)
    before = version_of(article)
    data = changes_bundle(editor1, export, update_of(export, article, title="Once only"))
    client = chief_admin()

    first = upload(client, data)
    second = upload(client, data)

    assert version_of(article) == before + 1
    assert ChangeReceipt.objects.count() == 1
    assert second.context["applied"].results == first.context["applied"].results
    assert answers_of(client, second, editor1)["results"] == first.context["applied"].results


def test_a_conflict_inside_a_bundle_is_answered_as_a_conflict(editor1, newsroom):
    export = exported(editor1, newsroom)
    article = article_in(newsroom)
    article.title = "Changed by the chief meanwhile"
    article.save()
    client = chief_admin()

    response = upload(
        client, changes_bundle(editor1, export, update_of(export, article, title="Office title"))
    )
    answers = answers_of(client, response, editor1)

    article.refresh_from_db()
    assert article.title == "Changed by the chief meanwhile"
    (result,) = answers["results"]
    assert result["status"] == "conflict"
    assert result["conflicts"]["title"]["mine"] == "Office title"
    assert result["conflicts"]["title"]["theirs"] == "Changed by the chief meanwhile"
    assert "1 conflict" in text_of(response)


def test_an_expired_checkout_is_taken_again_when_the_category_is_free(editor1, newsroom):
    export = exported(editor1, newsroom)
    Checkout.objects.update(released_at=Checkout.objects.first().taken_at)  # broken by staff
    article = article_in(newsroom)

    applied = bundles.apply_changes(
        bundles.read_changes(
            changes_bundle(editor1, export, update_of(export, article, title="After a break"))
        )
    )

    assert [r["status"] for r in applied.results] == ["applied"]
    assert Checkout.objects.active().get().device == device_of(editor1)


def test_changes_to_a_category_another_device_took_are_refused_naming_it(
    editor1, editor2, newsroom
):
    export = exported(editor1, newsroom)
    Checkout.objects.update(released_at=Checkout.objects.first().taken_at)
    editor2.checkout(newsroom)
    article = article_in(newsroom)
    change = update_of(export, article, title="Too late")

    response = upload(chief_admin(), changes_bundle(editor1, export, change))

    article.refresh_from_db()
    assert article.title != "Too late" and not ChangeReceipt.objects.exists()
    (refusal,) = response.context["applied"].refused
    assert refusal.changes == [change["id"]] and "editor2" in refusal.detail
    assert "Not applied: 1 change(s) of category" in text_of(response)


# -- refused files -------------------------------------------------------------------------


def _flip_a_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :]


def _edit_the_payload(data: bytes) -> bytes:
    document = json.loads(gzip.decompress(data))
    document["payload"]["changes"][0]["values"]["title"] = "Not what the office wrote"
    return gzip.compress(json.dumps(document).encode())


def _cut_off(data: bytes) -> bytes:
    return data[: len(data) - 20]


@pytest.mark.parametrize(
    "tamper, message",
    [
        (_flip_a_byte, "refused: the bundle is"),
        (_edit_the_payload, "refused: the bundle's signature does not match"),
        (_cut_off, "refused: the bundle is"),
    ],
)
def test_an_altered_bundle_is_refused_and_changes_nothing(editor1, newsroom, tamper, message):
    export = exported(editor1, newsroom)
    article = article_in(newsroom)
    before = (article.title, version_of(article))
    data = changes_bundle(editor1, export, update_of(export, article, title="Office title"))

    response = upload(chief_admin(), tamper(data))

    article.refresh_from_db()
    assert message in text_of(response)
    assert (article.title, version_of(article)) == before
    assert not ChangeReceipt.objects.exists()


@pytest.mark.parametrize(
    "forge, message",
    [
        ("other-device", "signature does not match"),
        ("unknown-device", "unknown here"),
        ("other-server", "belongs to another central site"),
        ("category-bundle", "this is a category bundle"),
        ("not-a-bundle", "not a fieldsync bundle"),
        ("other-json", "no fieldsync-bundle header"),
    ],
)
def test_a_foreign_file_is_refused_and_changes_nothing(editor1, editor2, newsroom, forge, message):
    export = exported(editor1, newsroom)
    article = article_in(newsroom)
    before = (article.title, version_of(article))
    change = update_of(export, article, title="Office title")
    files = {
        # signed by editor2's device, claiming to be editor1's
        "other-device": lambda: changes_bundle(
            editor1, export, change, key=bundle_format.device_key(editor2.token)
        ),
        "unknown-device": lambda: changes_bundle(editor1, export, change, device=99999),
        "other-server": lambda: changes_bundle(editor1, export, change, server="0" * 20),
        "category-bundle": lambda: bundles.export_category(device_of(editor1), newsroom.pk)[0],
        "not-a-bundle": lambda: b"title,body\nhello,world\n",
        "other-json": lambda: gzip.compress(b'{"changes": []}'),
    }

    response = upload(chief_admin(), files[forge]())

    article.refresh_from_db()
    assert message in text_of(response)
    assert (article.title, version_of(article)) == before
    assert not ChangeReceipt.objects.exists()


def test_a_revoked_device_bundle_is_refused(editor1, newsroom):
    export = exported(editor1, newsroom)
    data = changes_bundle(editor1, export, update_of(export, article_in(newsroom), title="X"))
    Device.objects.update(revoked_at=Checkout.objects.first().taken_at)

    with pytest.raises(BundleError, match="was revoked"):
        bundles.read_changes(data)


def test_a_bundle_of_a_site_with_a_rotated_secret_key_is_still_accepted(
    editor1, newsroom, settings
):
    export = exported(editor1, newsroom)
    data = changes_bundle(editor1, export, update_of(export, article_in(newsroom), title="X"))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new key after a rotation, long enough to be a key"

    assert bundles.read_changes(data).device == device_of(editor1)


# -- who may -------------------------------------------------------------------------------


def test_the_bundle_pages_need_staff_and_the_device_permission(editor1, newsroom):
    staff = User.objects.create_user("desk", password="demo-password", is_staff=True)
    anonymous, desk = Client(), Client()
    desk.login(username="desk", password="demo-password")

    assert anonymous.get(f"{ADMIN}/apply/").status_code == 302  # to the login page
    assert desk.get(f"{ADMIN}/apply/").status_code == 403
    assert desk.get(f"{ADMIN}/export/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_device"))
    assert desk.get(f"{ADMIN}/apply/").status_code == 200


def test_the_devices_and_checkouts_lists_link_to_the_bundle_pages(newsroom):
    client = chief_admin()
    for page in ("device", "checkout"):
        content = text_of(client.get(f"/admin/fieldsync/{page}/"))
        assert f"{ADMIN}/export/" in content and f"{ADMIN}/apply/" in content, page


# -- management commands ---------------------------------------------------------------------


def test_management_commands_export_and_apply_a_bundle(editor1, newsroom, tmp_path, capsys):
    device = device_of(editor1)
    category_file = tmp_path / "politics.fieldsync"
    call_command(
        "fieldsync_export_bundle",
        device=device.pk,
        category=str(newsroom.pk),
        output=category_file,
    )
    bundle = opened(category_file.read_bytes(), editor1)
    category = bundle.payload["categories"][0]
    export = {
        "id": category["id"],
        "cursor": category["cursor"],
        "records": {(c["model"], str(c["pk"])): c for c in category["changes"]},
    }
    article = article_in(newsroom)
    changes_file = tmp_path / "office.fieldsync"
    changes_file.write_bytes(
        changes_bundle(editor1, export, update_of(export, article, title="By command"))
    )

    call_command("fieldsync_apply_bundle", str(changes_file))
    call_command("fieldsync_apply_bundle", str(changes_file))  # again: nothing twice

    article.refresh_from_db()
    output = capsys.readouterr().out
    assert article.title == "By command"
    assert output.count("applied   news.article") == 2 and "Results: 1 applied." in output
    answers = opened((tmp_path / "office.answers.fieldsync").read_bytes(), editor1)
    assert answers.kind == "answers" and answers.payload["results"][0]["status"] == "applied"


def test_management_commands_refuse_with_a_clear_error(editor1, editor2, newsroom, tmp_path):
    editor2.checkout(newsroom)
    junk = tmp_path / "junk.fieldsync"
    junk.write_bytes(b"not a bundle")

    with pytest.raises(CommandError, match="checked out by editor2"):
        call_command(
            "fieldsync_export_bundle",
            device=device_of(editor1).pk,
            category=str(newsroom.pk),
            output=tmp_path / "x.fieldsync",
        )
    with pytest.raises(CommandError, match="junk.fieldsync refused: this is not a fieldsync"):
        call_command("fieldsync_apply_bundle", str(junk))
    with pytest.raises(CommandError, match="there is no device 99999"):
        call_command("fieldsync_export_bundle", device=99999, category="1", output=junk)
