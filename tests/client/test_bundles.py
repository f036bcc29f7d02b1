"""End to end: an office with no connection at all, syncing through bundle files.

The central site exports a category (management command or the API), the
office imports it with the site STOPPED, edits, exports its changes; the
site applies them with its management command (straight on its database:
the site's web process stays down) and the office imports the answers.
Every step after the export works with nothing to connect to, and at the
end the office holds exactly what the server holds, photos' content
included: it travels in the bundles both ways.
"""

from __future__ import annotations

import base64
import configparser
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server_plugin.protocol import bundle_format
from tests.support.bundle_files import document_of, old_format, rewritten
from tests.support.central import ROOT, CentralSite
from tests.support.editor import Editor

from .test_files_end_to_end import central_image, image_file, image_of, sha
from .test_sync_end_to_end import assert_converged


def manage(site: CentralSite, *args: str) -> str:
    """A management command of the central site, run on its database."""
    env = site.site_env()
    env.setdefault("DJANGO_SETTINGS_MODULE", "server_plugin.demo.settings")
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
    return result.stdout


def device_id(editor: Editor) -> int:
    with sqlite3.connect(editor.folder / "store.sqlite3") as db:
        return db.execute("SELECT device_id FROM fieldsync_store_account").fetchone()[0]


def one_line_error(result, code: int = 1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("fieldsync: ")
    return result.stderr


def signing_key_in_keyring(editor: Editor) -> str:
    """The device's private bundle key, read from the test's file keyring."""
    stored = configparser.RawConfigParser()
    stored.read(editor.keyring_home / "python_keyring" / "keyring_pass.cfg")
    (value,) = [
        stored.get(section, option)
        for section in stored.sections()
        for option in stored.options(section)
        if "signing" in option
    ]
    return base64.b64decode(value).decode()


def resigned(data: bytes, signing_key: str, **header) -> bytes:
    """The same bundle, its header changed as given, signed by another key."""
    document = document_of(data)
    return bundle_format.make(
        document["header"]["kind"],
        signing_key=signing_key,
        server=header.get("server", document["header"]["server"]),
        device={"id": document["header"]["device"], "name": "", "user": ""},
        payload=document["payload"],
    )


def test_an_office_without_a_connection_syncs_through_bundles(central, editor1, tmp_path):
    key = central.category_key("Politics")
    category_file, changes_file, answers_file = (
        tmp_path / name for name in ("politics.fieldsync", "office.fieldsync", "answers.fieldsync")
    )  # fmt: skip
    manage(central, "fieldsync_export_bundle", "--device", str(device_id(editor1)),
           "--category", key, "-o", str(category_file))  # fmt: skip
    exported = central.records(key)
    central.stop()  # from here on there is nothing to connect to

    imported = editor1.run("import", str(category_file))
    assert "Imported Politics" in imported.stdout
    assert editor1.records(key) == exported
    articles = editor1.json("records", "Politics", "--model", "article")
    photos = editor1.json("records", "Politics", "--model", "photo")
    editor1.run("edit", "article", articles[0]["pk"], "--set", "title=Written in the office")
    article = editor1.json(
        "new", "article", "--category", "Politics",
        "--set", "title=Made offline", "--set", "body=No connection here.",
    )  # fmt: skip
    photo = editor1.json(
        "new", "photo", "--set", f"article={article['pk']}", "--set", "caption=The valley"
    )
    editor1.run("delete", "photo", photos[0]["pk"])
    written = editor1.json("export", "--changes", "-o", str(changes_file))
    assert written["changes"] == 4 and editor1.json("status")["online"] is False

    applied = manage(central, "fieldsync_apply_bundle", str(changes_file), "-o", str(answers_file))
    again = manage(central, "fieldsync_apply_bundle", str(changes_file), "-o", str(answers_file))
    editor1.run("import", str(answers_file))
    twice = editor1.json("import", str(answers_file))  # nothing left to settle or pull

    assert "Results: 4 applied." in applied and "Results: 4 applied." in again
    assert (twice["settled"], twice["pulled"], twice["problems"]) == ({}, {}, [])
    status = editor1.json("status")
    assert (status["queued"], status["conflicts"], status["rejected"]) == (0, 0, 0)
    created = editor1.json("records", "Politics", "--model", "photo")
    assert photo["pk"] not in {p["pk"] for p in created}  # the temporary id was replaced
    central.start()
    assert_converged(central, editor1)
    server = central.records(key)
    assert server[("news.article", articles[0]["pk"])]["values"]["title"] == "Written in the office"
    assert ("news.photo", photos[0]["pk"]) not in server
    assert any(r["values"].get("caption") == "The valley" for r in server.values())


def test_a_conflict_inside_a_bundle_comes_back_and_is_resolved_offline(central, editor1, tmp_path):
    key = central.category_key("Politics")
    editor1.run("export", "Politics", "-o", str(tmp_path / "politics.fieldsync"))  # via the API
    central.stop()
    editor1.run("import", str(tmp_path / "politics.fieldsync"))
    pk = editor1.json("records", "Politics", "--model", "article")[0]["pk"]
    editor1.run("edit", "article", pk, "--set", "title=The office's title")
    editor1.run("export", "--changes", "-o", str(tmp_path / "first.fieldsync"))
    central.shell(  # meanwhile, at the central desk (the site's database, no web process)
        "from server_plugin.demo.news.models import Article\n"
        f"a = Article.objects.get(pk={pk!r}); a.title = 'The desk title'; a.save()"
    )

    applied = manage(central, "fieldsync_apply_bundle", str(tmp_path / "first.fieldsync"))
    answered = editor1.run("import", str(tmp_path / "first.answers.fieldsync"), check=False)
    (conflict,) = editor1.json("conflicts")
    editor1.json("resolve", str(conflict["id"]), "--take", "mine")
    editor1.run("export", "--changes", "-o", str(tmp_path / "second.fieldsync"))
    manage(central, "fieldsync_apply_bundle", str(tmp_path / "second.fieldsync"))
    editor1.run("import", str(tmp_path / "second.answers.fieldsync"))

    assert "1 conflict" in applied
    assert answered.returncode == 3 and "1 conflict" in answered.stdout
    assert conflict["fields"]["title"]["theirs"] == "The desk title"
    assert editor1.json("conflicts") == []
    central.start()
    assert central.records(key)[("news.article", pk)]["values"]["title"] == "The office's title"
    assert_converged(central, editor1)


def test_a_tampered_or_foreign_bundle_is_refused_by_import(central, editor1, editor2, tmp_path):
    good = tmp_path / "politics.fieldsync"
    editor1.run("export", "Politics", "-o", str(good))
    site_key = central.shell("from server_plugin import bundles\nprint(bundles.site_signing_key())")
    central.stop()
    document = document_of(good.read_bytes())
    first = document["header"]["files"][0]
    swap = {f"files/{first['sha256']}": b"\0" * first["size"]}
    photo = tmp_path / "photo.fieldsync"  # a photo's content swapped, the zip still valid
    photo.write_bytes(rewritten(good.read_bytes(), replace=swap))
    before_files = tmp_path / "before-files.fieldsync"  # as fieldsync wrote it before files
    before_files.write_bytes(old_format(
        "category", signing_key=site_key.strip(), server=document["header"]["server"],
        device={"id": device_id(editor1), "name": "", "user": ""}, payload=document["payload"],
    ))  # fmt: skip
    document = document_of(good.read_bytes())
    document["payload"]["categories"][0]["changes"][0]["fields"]["title"] = "Forged"
    forged = tmp_path / "forged.fieldsync"
    forged.write_bytes(rewritten(good.read_bytes(), document=document))
    damaged = tmp_path / "damaged.fieldsync"
    data = good.read_bytes()
    damaged.write_bytes(data[: len(data) // 2] + b"\x00" * 16 + data[len(data) // 2 + 16 :])

    other_site = bundle_format.new_signing_key()
    for name, data in {
        "other-site.fieldsync": resigned(
            good.read_bytes(),
            other_site,
            server=bundle_format.key_id(bundle_format.public_key_of(other_site)),
        ),
        "claims-this-site.fieldsync": resigned(good.read_bytes(), other_site),
        "no-site.fieldsync": resigned(good.read_bytes(), other_site, server=None),
    }.items():
        (tmp_path / name).write_bytes(data)

    edited = editor1.run("import", str(forged), check=False)
    broken = editor1.run("import", str(damaged), check=False)
    foreign = editor2.run("import", str(good), check=False)
    another_site = editor1.run("import", str(tmp_path / "other-site.fieldsync"), check=False)
    claimed = editor1.run("import", str(tmp_path / "claims-this-site.fieldsync"), check=False)
    no_site = editor1.run("import", str(tmp_path / "no-site.fieldsync"), check=False)
    swapped = editor1.run("import", str(photo), check=False)

    assert "signature does not match" in one_line_error(edited)
    assert "damaged" in one_line_error(broken) or "cut off" in broken.stderr
    assert f"made for device {device_id(editor1)}" in one_line_error(foreign)
    assert "signed by another central site's key" in one_line_error(another_site)
    assert "not signed by the central site" in one_line_error(claimed)
    assert "names no central site" in one_line_error(no_site)
    assert "is not the content its signed list names" in one_line_error(swapped)
    assert editor1.count("record") == 0 and editor2.count("record") == 0
    assert editor1.count("category", "checked_out = 1") == 0
    assert not (editor1.folder / "files").exists() or not any((editor1.folder / "files").iterdir())
    old = editor1.json("import", str(before_files))  # the genuine file, in the old format
    assert editor1.count("category", "checked_out = 1") == 1 and editor1.count("record") > 0
    assert old["files"] == {} and old["pulled"]["new"] == editor1.count("record")
    again = editor1.json("import", str(good))  # the same, with files: no records twice
    assert again["pulled"] == {} and again["files"]["placed"] == len(document["header"]["files"])


def test_a_changes_bundle_is_not_imported_by_the_client(central, editor1, tmp_path):
    editor1.run("checkout", "Politics")
    central.stop()
    editor1.run("export", "--changes", "-o", str(tmp_path / "office.fieldsync"))

    refused = editor1.run("import", str(tmp_path / "office.fieldsync"), check=False)

    assert "upload it on the central site" in one_line_error(refused)


def test_the_private_key_stays_in_the_keyring_and_signs_the_changes(central, editor1, tmp_path):
    editor1.run("checkout", "Politics")
    editor1.run("export", "--changes", "-o", str(tmp_path / "office.fieldsync"))
    signing_key = signing_key_in_keyring(editor1)
    bundle = bundle_format.read((tmp_path / "office.fieldsync").read_bytes())

    registered = central.shell(  # what the site holds for this device: the public half
        "from server_plugin.models import Device\n"
        f"print(Device.objects.get(pk={device_id(editor1)}).public_key)"
    )

    bundle.verify(bundle_format.public_key_of(signing_key))
    assert registered.strip() == bundle_format.public_key_of(signing_key)
    for path in editor1.folder.rglob("*"):
        assert not path.is_file() or signing_key.encode() not in path.read_bytes(), path


def test_a_folder_logged_in_before_bundle_keys_is_told_to_log_in_again(central, editor1, tmp_path):
    editor1.run("checkout", "Politics")
    editor1.run("export", "Politics", "-o", str(tmp_path / "politics.fieldsync"))
    with sqlite3.connect(editor1.folder / "store.sqlite3") as db:  # as an older login left it
        db.execute("UPDATE fieldsync_store_account SET site_key = '', server_id = ''")

    exporting = editor1.run("export", "--changes", "-o", str(tmp_path / "o.fieldsync"), check=False)
    importing = editor1.run("import", str(tmp_path / "politics.fieldsync"), check=False)
    asking = editor1.run("export", "Politics", "-o", str(tmp_path / "again.fieldsync"), check=False)
    editor1.login(central.url)
    after = editor1.json("export", "--changes", "-o", str(tmp_path / "o.fieldsync"))

    for told in (exporting, importing, asking):
        message = one_line_error(told, code=5)
        assert f"log in again (`fieldsync login {central.url} --username editor1`)" in message
    assert not (tmp_path / "again.fieldsync").exists()
    assert after["file"] == str(tmp_path / "o.fieldsync")  # logged in again: signed


@pytest.mark.both_backends
def test_photos_travel_in_bundles_both_ways_and_are_stored_once(central, editor1, tmp_path):
    key = central.category_key("Politics")
    category_file, changes_file, answers_file = (
        tmp_path / name for name in ("politics.fieldsync", "office.fieldsync", "answers.fieldsync")
    )  # fmt: skip
    manage(central, "fieldsync_export_bundle", "--device", str(device_id(editor1)),
           "--category", key, "-o", str(category_file))  # fmt: skip
    pks = [pk for (model, pk) in central.records(key) if model == "news.photo"]
    images = {pk: central_image(central, pk) for pk in pks}
    central.stop()  # from here on there is nothing to connect to

    imported = editor1.json("import", str(category_file))
    brought = {pk: image_of(editor1, pk) for pk in pks}
    photo = image_file(tmp_path / "taken in the office.png", side=64, noise=True)
    editor1.run("edit", "photo", pks[0], "--set", f"image=@{photo}")
    written = editor1.json("export", "--changes", "-o", str(changes_file))
    applied = manage(central, "fieldsync_apply_bundle", str(changes_file), "-o", str(answers_file))
    again = manage(central, "fieldsync_apply_bundle", str(changes_file), "-o", str(answers_file))
    stored = central_image(central, pks[0])
    answered = editor1.json("import", str(answers_file))
    twice = editor1.json("import", str(answers_file))

    assert imported["files"]["placed"] == len({i["sha256"] for i in images.values()}) > 1
    for pk, image in images.items():  # every photo's content came with the category
        assert (brought[pk]["sha256"], brought[pk]["here"]) == (image["sha256"], True)
        assert sha(Path(brought[pk]["path"])) == image["sha256"]
    assert (written["changes"], written["files"]) == (1, 1)
    assert written["file_bytes"] == photo.stat().st_size
    assert "Files: 1 stored" in applied and "Results: 1 applied." in applied
    assert "Files: 1 the site held already" in again and "Results: 1 applied." in again
    assert stored == {"name": "photos/taken_in_the_office.png", "sha256": sha(photo)}
    assert answered["settled"] == {"applied": 1}
    assert image_of(editor1, pks[0])["name"] == stored["name"]
    assert (twice["settled"], twice["pulled"], twice["problems"]) == ({}, {}, [])
    central.start()
    assert_converged(central, editor1)
