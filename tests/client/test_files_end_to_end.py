"""Files and photos end to end: the real CLI against a real central site (the demo
newsroom, whose photos have an ImageField). A photo attached offline lands in the
site's storage, byte for byte, and reaches a second editor; one put centrally
reaches the client; clearing, both ways of resolving a conflict over a file, a cut
upload and a cut download (resumed, not started over: the bytes are counted), a
file over the limit refused offline, and a hostile file name. What the store does
alone (no server) is in test_files_in_store.py."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
from pathlib import Path

import pytest
import requests

from server_plugin.protocol.files import CHUNK_BYTES, safe_name, size_text
from tests.support.editor import Editor

from .conftest import make_editor
from .test_sync_end_to_end import assert_converged

PHOTO = "server_plugin.demo.news.models"


def image_file(path: Path, side: int = 16, noise: bool = False) -> Path:
    """A real PNG: small and plain, or `side`² pixels of noise (it hardly compresses:
    about 3·side² bytes)."""
    from PIL import Image

    if noise:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    else:
        image = Image.new("RGB", (side, side), (30, 90, 200))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0 if noise else 6)
    path.write_bytes(out.getvalue())
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def photos(editor: Editor) -> list[str]:
    return [r["pk"] for r in editor.json("records", "Politics", "--model", "photo")]


def central_image(site, pk: str) -> dict:
    """The photo's image as the site's storage holds it: name, and the sha256 of its bytes."""
    out = site.shell(
        f"import hashlib, json\nfrom {PHOTO} import Photo\n"
        f"p = Photo.objects.get(pk={pk})\n"
        "data = p.image.read() if p.image else b''\n"
        "print(json.dumps({'name': p.image.name or '', "
        "'sha256': hashlib.sha256(data).hexdigest() if data else ''}))"
    )
    return json.loads(out.strip().splitlines()[-1])


def put_centrally(site, pk: str, source: Path, name: str) -> None:
    """Save a file on the photo through the site's own field (as the admin would)."""
    site.shell(
        f"from django.core.files import File\nfrom {PHOTO} import Photo\n"
        f"p = Photo.objects.get(pk={pk})\n"
        f"with open({str(source)!r}, 'rb') as f: p.image.save({name!r}, File(f), save=True)"
    )


def upload_in_admin(site, pk: str, source: Path) -> None:
    """The chief replaces the photo's image in the site's admin, as a person would:
    logged in, the change form posted with the file (multipart), over HTTP."""
    admin = requests.Session()
    admin.get(f"{site.url}/admin/login/", timeout=30)
    answer = admin.post(f"{site.url}/admin/login/?next=/admin/", timeout=30, data={
        "username": "chief", "password": "demo-password", "next": "/admin/",
        "csrfmiddlewaretoken": admin.cookies["csrftoken"]})  # fmt: skip
    assert answer.url.endswith("/admin/"), answer.text[-500:]
    current = json.loads(site.shell(
        f"import json\nfrom {PHOTO} import Photo\np = Photo.objects.get(pk={pk})\n"
        "print(json.dumps({'article': str(p.article_id), 'caption': p.caption, "
        "'credit': p.credit}))").strip().splitlines()[-1])  # fmt: skip
    page = f"{site.url}/admin/news/photo/{pk}/change/"
    admin.get(page, timeout=30)
    with open(source, "rb") as content:
        form = {**current, "_save": "Save", "csrfmiddlewaretoken": admin.cookies["csrftoken"]}
        answer = admin.post(page, timeout=30, allow_redirects=False, data=form,
                            files={"image": (source.name, content, "image/png")})  # fmt: skip
    assert answer.status_code == 302, answer.text[-2000:]  # saved: back to the list


def image_of(editor: Editor, pk: str) -> dict:
    return editor.json("show", "photo", pk)["files"].get("image", {})


@pytest.mark.both_backends
def test_a_photo_attached_offline_reaches_the_central_storage_and_a_second_editor(
    central, editor1, tmp_path, keyring_home
):
    editor1.run("checkout", "Politics")
    pk = photos(editor1)[0]
    hostile = "..\\..\\settings\x1b[2J.png"  # folders the Windows way, a terminal escape
    image = image_file(tmp_path / hostile)
    central.stop()  # attached offline

    attached = editor1.run("edit", "photo", pk, "--set", f"image=@{image}")
    central.start()
    synced = editor1.json("sync")

    assert "queued for the next sync" in attached.stdout
    assert (synced["files"]["uploaded"], synced["files"]["uploaded_bytes"]) == (
        1, image.stat().st_size,
    )  # fmt: skip
    stored = central_image(central, pk)
    # No folders, no escape: safe_name, then the storage's own valid name, under upload_to.
    assert safe_name(hostile) == "settings[2J.png"
    assert stored == {"name": "photos/settings2J.png", "sha256": sha(image)}
    mine = image_of(editor1, pk)
    assert (mine["name"], mine["sha256"], mine["here"]) == (stored["name"], sha(image), True)
    assert_converged(central, editor1)

    editor1.run("checkin", "Politics")
    editor2 = make_editor("editor2", tmp_path, keyring_home, central)
    checked_out = editor2.json("checkout", "Politics")
    theirs = image_of(editor2, pk)

    assert checked_out["files"]["downloaded"] >= 1
    assert (theirs["name"], theirs["sha256"], theirs["here"]) == (stored["name"], sha(image), True)
    assert Path(theirs["path"]).read_bytes() == image.read_bytes()
    shown = editor2.run("show", "photo", pk).stdout
    assert f"Image: settings2J.png ({image.stat().st_size} B, here)" in shown


@pytest.mark.both_backends
def test_a_file_uploaded_in_the_admin_reaches_the_client_and_clearing_it_works(
    central, editor1, tmp_path
):
    editor1.run("checkout", "Politics")
    pk = photos(editor1)[0]
    image = image_file(tmp_path / "harbour.png", side=40)
    upload_in_admin(central, pk, image)

    synced = editor1.json("sync")

    assert synced["files"]["downloaded"] == 1
    held = image_of(editor1, pk)
    assert (held["name"], held["sha256"], held["here"]) == ("photos/harbour.png", sha(image), True)
    written = editor1.run("file", "photo", pk, "image", "-o", str(tmp_path / "copy.png"))
    assert written.stdout.startswith("Wrote harbour.png (") and "copy.png" in written.stdout
    assert (tmp_path / "copy.png").read_bytes() == image.read_bytes()

    lost = image_file(tmp_path / "lost.png", side=50)
    editor1.run("edit", "photo", pk, "--set", f"image=@{lost}")
    (editor1.folder / "files" / sha(lost)).unlink()  # gone from the folder, never uploaded
    stuck = editor1.run("sync", check=False)
    (rejected,) = editor1.json("rejected")

    assert stuck.returncode == 3 and central_image(central, pk)["sha256"] == sha(image)
    assert rejected["reasons"] == [
        "image: the content of lost.png is not in this folder; attach it again"
    ]
    editor1.run("edit", "photo", pk, "--set", "image=")  # the next edit replaces it
    editor1.run("sync")

    assert central_image(central, pk) == {"name": "", "sha256": ""}
    assert image_of(editor1, pk) == {} and editor1.json("show", "photo", pk)["values"][
        "image"
    ] == ""
    assert editor1.json("rejected") == [] and editor1.json("status")["queued"] == 0
    assert_converged(central, editor1)


@pytest.mark.both_backends
def test_a_conflict_over_a_file_resolves_by_taking_mine_or_theirs(central, editor1, tmp_path):
    editor1.run("checkout", "Politics")
    keep_mine, take_theirs = photos(editor1)[:2]
    mine = {pk: image_file(tmp_path / f"mine-{pk}.png", side=20 + n) for n, pk in
            enumerate((keep_mine, take_theirs))}  # fmt: skip
    theirs = {pk: image_file(tmp_path / f"theirs-{pk}.png", side=30 + n) for n, pk in
              enumerate((keep_mine, take_theirs))}  # fmt: skip
    for pk in (keep_mine, take_theirs):
        editor1.run("edit", "photo", pk, "--set", f"image=@{mine[pk]}")
        put_centrally(central, pk, theirs[pk], f"central-{pk}.png")

    conflicted = editor1.run("sync", check=False)
    found = {c["pk"]: c for c in editor1.json("conflicts")}

    assert conflicted.returncode == 3 and set(found) == {keep_mine, take_theirs}
    assert list(found[keep_mine]["fields"]) == ["image"]
    editor1.run("resolve", str(found[keep_mine]["id"]), "--take", "mine")
    editor1.run("resolve", str(found[take_theirs]["id"]), "--take", "theirs")
    editor1.run("sync")

    assert central_image(central, keep_mine)["sha256"] == sha(mine[keep_mine])
    assert central_image(central, take_theirs)["sha256"] == sha(theirs[take_theirs])
    kept = image_of(editor1, take_theirs)
    assert (kept["sha256"], kept["here"]) == (sha(theirs[take_theirs]), True)
    assert editor1.json("status")["queued"] == 0
    assert_converged(central, editor1)


@pytest.mark.both_backends  # the upload's progress is a row of the central database
def test_a_file_over_the_limit_is_refused_offline_and_a_cut_upload_resumes_where_it_stopped(
    central, editor1, tmp_path
):
    editor1.run("checkout", "Politics")
    pk = photos(editor1)[0]
    content = sorted((editor1.folder / "files").iterdir())
    video = tmp_path / "walkthrough.png"
    with open(video, "wb") as out:
        out.truncate(50 * 1024 * 1024 + 1)  # sparse: the size alone refuses it
    refused = editor1.run("edit", "photo", pk, "--set", f"image=@{video}", check=False)
    assert (refused.returncode, refused.stderr) == (1, (
        "fieldsync: image: walkthrough.png is 50 MB (52,428,801 bytes), over the site's "
        "limit of 50 MB (52,428,800 bytes) per file\n"
    ))  # fmt: skip
    assert editor1.json("status")["queued"] == 0
    assert sorted((editor1.folder / "files").iterdir()) == content  # nothing copied

    image = image_file(tmp_path / "survey.png", side=1100, noise=True)  # about 3.6 MB
    size = image.stat().st_size
    assert 3 * CHUNK_BYTES < size < 4 * CHUNK_BYTES
    editor1.run("edit", "photo", pk, "--set", f"image=@{image}")
    before = central_image(central, pk)

    killed = editor1.run("sync", env={"FIELDSYNC_CRASH_AT": "upload-chunk:2"}, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert central_image(central, pk) == before  # nothing applied yet
    resumed = editor1.json("sync")

    assert resumed["files"]["uploaded_bytes"] == size - 2 * CHUNK_BYTES  # not from 0
    assert central_image(central, pk)["sha256"] == sha(image)
    assert editor1.json("status")["queued"] == 0
    assert_converged(central, editor1)


def test_a_cut_download_resumes_where_it_stopped(central, editor1, tmp_path):
    pk_source = image_file(tmp_path / "dig.png", side=1100, noise=True)
    size = pk_source.stat().st_size
    editor1.run("checkout", "Politics")
    pk = photos(editor1)[0]
    put_centrally(central, pk, pk_source, "dig.png")

    synced = editor1.json("sync")  # the 2 MB default: the reference comes, not the content
    assert (synced["files"]["downloaded"], synced["files"]["on_demand"]) == (0, 1)
    assert f"dig.png ({size_text(size)}, not here)" in editor1.run("show", "photo", pk).stdout
    killed = editor1.run(
        "file", "photo", pk, "image", "-o", str(tmp_path / "out.png"),
        env={"FIELDSYNC_CRASH_AT": "download-chunk:2"}, check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL and not (tmp_path / "out.png").exists()

    editor1.run("config", "download-limit", "5MB")
    resumed = editor1.json("sync")

    assert resumed["files"]["downloaded_bytes"] == size - 2 * CHUNK_BYTES  # not from 0
    held = image_of(editor1, pk)
    assert held["here"] and Path(held["path"]).read_bytes() == pk_source.read_bytes()
    assert not list((editor1.folder / "files").glob("*.part"))
