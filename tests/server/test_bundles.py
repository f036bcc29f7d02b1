"""Bundles on the central site: export a category for a device, upload its changes.

An upload goes through the push path itself, so these tests check what the
push tests check (applied, conflict, idempotent) with a file in between, and
that a file altered, or made for another device or site, or forged by whoever
read the central database, changes nothing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import html
import json
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from server_plugin import bundles
from server_plugin.demo.news.models import Article
from server_plugin.errors import ApiError
from server_plugin.models import ChangeReceipt, Checkout, Device, hash_token
from server_plugin.protocol import bundle_format
from server_plugin.protocol.bundle_format import BundleError
from tests.support.bundle_files import document_of, rewritten

from .conftest import Api, article_in, version_of

ADMIN = "/admin/fieldsync/device/bundles"


class Office(Api):
    """A device logged in as `fieldsync login` does: with a key pair of its own (the
    private half kept here, as in its keyring) and the site's key pinned."""

    def __init__(self, username: str, device: str):
        self.signing_key = bundle_format.new_signing_key()
        status, body = Api().post(
            "auth/token",
            {
                "username": username,
                "password": "demo-password",
                "device": device,
                "public_key": bundle_format.public_key_of(self.signing_key),
            },
        )
        assert status == 201, body
        super().__init__(body["token"])
        self.site_key = body["site_key"]


@pytest.fixture
def editor1(newsroom) -> Office:
    return Office("editor1", "editor1-laptop")


@pytest.fixture
def editor2(newsroom) -> Office:
    return Office("editor2", "editor2-laptop")


def device_of(api: Api) -> Device:
    return Device.objects.select_related("user").get(token_hash=hash_token(api.token))


def opened(data: bytes, api: Office) -> bundle_format.Bundle:
    """The bundle as the device's client reads it: signature checked with the site key
    it pinned at login."""
    bundle = bundle_format.read(data)
    bundle.verify(api.site_key)
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


def changes_bundle(api: Office, export: dict, *changes: dict, **header) -> bytes:
    """What `fieldsync export --changes` writes on the device (signed with its key),
    carrying `files` (bundle_format.CarriedFile) if given."""
    device = device_of(api)
    return bundle_format.make(
        bundle_format.CHANGES,
        signing_key=header.get("signing_key", api.signing_key),
        server=header.get("server", bundles.server_id()),
        device={"id": header.get("device", device.pk), "name": device.name, "user": "editor1"},
        payload={
            "changes": list(changes),
            "categories": [{"id": export["id"], "cursor": export["cursor"]}],
            "reference_cursor": 0,
        },
        files=header.get("files", ()),
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


def body_of(response) -> bytes:
    """A bundle download's bytes (streamed from a file, as the site sends them)."""
    return b"".join(response.streaming_content)


def answers_of(client: Client, response, api: Office) -> dict:
    """Download the answers bundle the results page offers, as the device reads it."""
    download = client.post(f"{ADMIN}/answers/", {"answers": response.context["answers_token"]})
    assert download.status_code == 200
    assert download["Content-Type"] == bundle_format.MEDIA_TYPE
    return opened(body_of(download), api).payload


# -- keys, exchanged at login ---------------------------------------------------------


def test_login_registers_the_devices_public_key_and_answers_the_sites(editor1, newsroom):
    device = device_of(editor1)

    assert device.public_key == bundle_format.public_key_of(editor1.signing_key)
    assert editor1.site_key == bundles.site_public_key()
    assert bundles.site_signing_key() not in str(database_copy_of(device))


@pytest.mark.parametrize(
    "public_key", ["not base64!", base64.b64encode(b"short").decode(), 42, "", ["a"]]
)
def test_a_login_with_a_malformed_public_key_is_refused_naming_it(newsroom, public_key):
    body = {"username": "editor1", "password": "demo-password", "device": "tablet"}

    status, answer = Api().post("auth/token", {**body, "public_key": public_key})

    assert status == 400 and answer["where"] == "public_key"
    assert "Ed25519 public key" in answer["detail"]
    assert not Device.objects.exists()


def test_a_login_without_a_public_key_syncs_online_but_signs_no_bundle(newsroom):
    body = {"username": "editor1", "password": "demo-password", "device": "old-client"}

    status, answer = Api().post("auth/token", body)

    assert status == 201 and answer["site_key"] == bundles.site_public_key()
    assert Device.objects.get().public_key == ""


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


def test_no_token_nor_its_hash_nor_a_private_key_is_written_in_a_bundle(editor1, newsroom):
    data, _ = bundles.export_category(device_of(editor1), str(newsroom.pk))
    text = json.dumps(document_of(data))

    assert editor1.token not in text
    assert hash_token(editor1.token) not in text
    assert editor1.signing_key not in text and bundles.site_signing_key() not in text


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
    assert opened(body_of(response), editor1).payload["categories"][0]["id"] == str(newsroom.pk)


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
    assert opened(body_of(response), editor1).kind == "category"
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
    assert "Not applied: 1 change(s) of Politics" in text_of(response)


# -- refused files -------------------------------------------------------------------------


def _flip_a_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :]


def _edit_the_payload(data: bytes) -> bytes:
    document = document_of(data)
    document["payload"]["changes"][0]["values"]["title"] = "Not what the office wrote"
    return rewritten(data, document=document)


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
            editor1, export, change, signing_key=editor2.signing_key
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


def test_a_bundle_naming_no_central_site_is_refused(editor1, newsroom):
    export = exported(editor1, newsroom)
    change = update_of(export, article_in(newsroom), title="From nowhere")

    response = upload(chief_admin(), changes_bundle(editor1, export, change, server=None))

    assert "refused: the bundle's header names no central site" in text_of(response)
    assert not ChangeReceipt.objects.exists()


# -- a thief of the central database ---------------------------------------------------------


def database_copy_of(device: Device) -> dict:
    """The device's row as a copy of the central database holds it, read with SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM fieldsync_device WHERE id = %s", [device.pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _secrets_in(value: str) -> list[bytes]:
    """The 32-byte keys a value could be: its hex, its base64, or a hash of it."""
    found = [hashlib.sha256(value.encode()).digest()]
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            raw = decode(value)
        except ValueError:
            continue
        if len(raw) == 32:
            found.append(raw)
    return found


def forgeries_from(row: dict, export: dict, change: dict) -> list[bytes]:
    """Every changes bundle whoever read the device's row can sign in its name: the file
    of the old format (HMAC keyed by the stored token hash: what the audit applied), and
    files of today's format signed with each stored value as the key."""
    device = {"id": row["id"], "name": row["name"], "user": "editor1"}
    payload = {
        "changes": [change],
        "categories": [{"id": export["id"], "cursor": export["cursor"]}],
        "reference_cursor": 0,
    }
    header = {"format": "fieldsync-bundle", "version": 1, "kind": "changes", "server": None,
              "device": row["id"], "device_name": row["name"], "user": "editor1"}  # fmt: skip
    canonical = json.dumps(
        {"header": header, "payload": payload}, sort_keys=True, separators=(",", ":")
    ).encode()
    digest = hmac.new(bytes.fromhex(row["token_hash"]), canonical, hashlib.sha256).hexdigest()
    old = {"header": header, "payload": payload, "signature": "hmac-sha256:" + digest}
    files = [gzip.compress(json.dumps(old).encode())]
    for value in (v for v in row.values() if isinstance(v, str) and v):
        for secret in _secrets_in(value):
            files.append(
                bundle_format.make(
                    bundle_format.CHANGES,
                    signing_key=bundle_format.signing_key_from_seed(secret),
                    server=bundles.server_id(),
                    device=device,
                    payload=payload,
                )
            )
    return files


def test_a_bundle_forged_from_a_copy_of_the_database_is_refused(editor1, newsroom, tmp_path):
    export = exported(editor1, newsroom)
    article = article_in(newsroom)
    before = (article.title, version_of(article))
    row = database_copy_of(device_of(editor1))
    forgeries = forgeries_from(row, export, update_of(export, article, title="Forged"))
    client = chief_admin()

    pages = [text_of(upload(client, data, "forged.fieldsync")) for data in forgeries]
    commands = []
    for data in forgeries:
        (tmp_path / "forged.fieldsync").write_bytes(data)
        with pytest.raises(CommandError) as refused:
            call_command("fieldsync_apply_bundle", str(tmp_path / "forged.fieldsync"))
        commands.append(str(refused.value))

    article.refresh_from_db()
    assert len(forgeries) > 3 and row["public_key"] == device_of(editor1).public_key
    assert all("Applied forged.fieldsync" not in page for page in pages)
    assert "refused: the bundle has format version 1" in pages[0]
    assert all("refused: the bundle's signature does not match" in p for p in pages[1:])
    assert all("forged.fieldsync refused: the bundle" in message for message in commands)
    assert (article.title, version_of(article)) == before
    assert not ChangeReceipt.objects.exists()


def test_the_genuine_bundle_of_that_device_still_applies(editor1, newsroom):
    export = exported(editor1, newsroom)
    change = update_of(export, article_in(newsroom), title="Genuine")

    response = upload(chief_admin(), changes_bundle(editor1, export, change), "office.fieldsync")

    assert "Applied office.fieldsync" in text_of(response) and "1 applied" in text_of(response)


def test_the_site_signs_with_a_key_of_its_secret_key_not_of_its_database(editor1, newsroom):
    data, _ = bundles.export_category(device_of(editor1), str(newsroom.pk))
    staging = bundles.site_public_key("the staging site's own secret key, long enough")

    bundle = bundle_format.read(data)
    bundle.verify(editor1.site_key)  # what the device pinned at login
    with pytest.raises(BundleError, match="not signed by the central site"):
        bundle.verify(staging)
    assert bundle.server == bundle_format.key_id(editor1.site_key) == bundles.server_id()
    assert bundles.site_public_key() == editor1.site_key != staging


# -- devices that logged in before device keys --------------------------------------------------


def test_a_device_without_a_key_is_told_to_log_in_again_everywhere(editor1, newsroom, tmp_path):
    export = exported(editor1, newsroom)
    data = changes_bundle(editor1, export, update_of(export, article_in(newsroom), title="Old"))
    Device.objects.update(public_key="")  # as a device of before this version is
    device = device_of(editor1)
    (tmp_path / "office.fieldsync").write_bytes(data)
    client = chief_admin()

    form = text_of(client.get(f"{ADMIN}/export/"))
    applied = text_of(upload(client, data, "office.fieldsync"))
    exported_page = text_of(
        client.post(f"{ADMIN}/export/", {"device": device.pk, "category": newsroom.pk})
    )
    with pytest.raises(CommandError) as by_command:
        call_command("fieldsync_apply_bundle", str(tmp_path / "office.fieldsync"))
    with pytest.raises(CommandError) as export_command:
        call_command("fieldsync_export_bundle", device=device.pk, category=str(newsroom.pk),
                     output=tmp_path / "politics.fieldsync")  # fmt: skip
    status, body = editor1.get(f"categories/{newsroom.pk}/bundle")

    for told in (applied, exported_page, str(by_command.value), str(export_command.value)):
        assert "log in again on that computer (`fieldsync login URL" in told, told
    assert f"device {device.pk} (editor1-laptop, editor1) logged in before" in exported_page
    assert status == 403 and "log in again" in body["detail"]
    assert "editor1-laptop (editor1) — logged in before bundle keys: must log in again" in form
    assert not ChangeReceipt.objects.exists()


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
