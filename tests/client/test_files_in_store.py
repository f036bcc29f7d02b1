"""File content in the local store alone (no server, fast): attaching copies a file in
under its hash once, checked offline (the site's size limit, an ImageField's image);
downloads are checked before they count; what is missing is listed; sizes read as
an editor types them. The end-to-end walk is test_files_end_to_end.py."""

from __future__ import annotations

import hashlib
import io

import pytest

FIND = "survey.find"
BOWL = "e88d41a0-5a4b-4f43-9e2a-1c0d7b6a5e01"
EXPEDITION = "1"
LIMIT = 64 * 1024


def _field(name: str, type_: str, **extra) -> dict:
    return {"name": name, "type": type_, "verbose_name": name.replace("_", " "), **extra}


SCHEMA = {
    "protocol": 1,
    "category_model": "survey.expedition",
    "limits": {"max_file_bytes": LIMIT},
    "models": [
        {
            "label": FIND,
            "verbose_name": "find",
            "verbose_name_plural": "finds",
            "pk": {"name": "id", "type": "UUIDField"},
            "category_path": "expedition",
            "reference": False,
            "writable": True,
            "policy": "client",
            "display_field": "title",
            "fields": [
                _field(
                    "expedition",
                    "ForeignKey",
                    related_model="survey.expedition",
                    related_pk_type="BigAutoField",
                ),
                _field("title", "CharField", max_length=200),
                _field("document", "FileField", blank=True, max_length=100),
                _field("photo", "FileField", field_class="ImageField", blank=True, max_length=100),
            ],
        }
    ],
}


@pytest.fixture
def survey(local_store, monkeypatch):
    """An account, a checked-out expedition and one find (no files yet); the content
    folder emptied."""
    import shutil

    from django.db import transaction

    from fieldsync_tui.store import files
    from fieldsync_tui.store.models import Account, Category, Conflict, PendingChange, Record
    from fieldsync_tui.store.schema import Schema

    monkeypatch.setenv("FIELDSYNC_TOKEN", "a-token-for-tests")  # nothing here goes online
    shutil.rmtree(files.folder(), ignore_errors=True)
    with transaction.atomic():
        for model in (Conflict, PendingChange, Record, Category, Account):
            model.objects.all().delete()
        Account.objects.create(
            server_url="http://127.0.0.1:9", username="editor1", device_name="tent", schema=SCHEMA
        )
        Category.objects.create(key=EXPEDITION, name="Delta survey", checked_out=True)
        values = {"expedition": 1, "title": "Glazed bowl", "document": "", "photo": ""}
        Record.objects.create(
            model=FIND, object_pk=BOWL, category_key=EXPEDITION, values=values,
            base_version=3, base_values=values, title="Glazed bowl",
        )  # fmt: skip
    return Schema(SCHEMA)


def png_bytes(size=(8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def stored(local_store) -> list[str]:
    folder = local_store / "files"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_attaching_copies_the_file_in_under_its_hash(survey, local_store, tmp_path):
    from fieldsync_tui.store import files

    original = tmp_path / "trench plan.pdf"
    original.write_bytes(b"%PDF-1.4 a plan of the trench")

    ref = files.attach(survey, "find", "document", original)

    digest = hashlib.sha256(b"%PDF-1.4 a plan of the trench").hexdigest()
    assert ref == {"name": "trench plan.pdf", "size": 29, "sha256": digest,
                   "content_type": "application/pdf"}  # fmt: skip
    assert stored(local_store) == [digest]  # no .part left behind
    original.write_bytes(b"changed later")  # the attached copy does not follow
    assert files.content_path(ref).read_bytes() == b"%PDF-1.4 a plan of the trench"
    info = files.describe(ref)
    assert (info.here, info.size_text, info.summary()) == (
        True, "29 B", "trench plan.pdf (29 B, here)",
    )  # fmt: skip


def test_the_same_content_attached_twice_is_kept_once(survey, local_store, tmp_path):
    from fieldsync_tui.store import files

    (tmp_path / "a.txt").write_bytes(b"same")
    (tmp_path / "b.txt").write_bytes(b"same")

    first = files.attach(survey, "find", "document", tmp_path / "a.txt")
    second = files.attach(survey, "find", "document", tmp_path / "b.txt")

    assert first["sha256"] == second["sha256"] and (first["name"], second["name"]) == (
        "a.txt", "b.txt",
    )  # fmt: skip
    assert stored(local_store) == [first["sha256"]]


def test_a_file_over_the_sites_limit_is_refused_before_anything_is_copied(
    survey, local_store, tmp_path
):
    from fieldsync_tui.store import files

    big = tmp_path / "survey.mp4"
    with open(big, "wb") as out:
        out.truncate(LIMIT + 1)  # sparse: the size alone refuses it, nothing is read

    with pytest.raises(files.AttachError) as refused:
        files.attach(survey, "find", "document", big)

    assert str(refused.value) == (
        "document: survey.mp4 is 64 KB (65,537 bytes), over the site's limit of "
        "64 KB (65,536 bytes) per file"
    )
    assert stored(local_store) == []


def test_an_image_field_takes_only_an_image(survey, tmp_path):
    from fieldsync_tui.store import files

    (tmp_path / "notes.jpg").write_text("not a picture at all")
    (tmp_path / "bowl.png").write_bytes(png_bytes())

    with pytest.raises(files.AttachError, match=r"^photo: notes.jpg is not an image"):
        files.attach(survey, "find", "photo", tmp_path / "notes.jpg")
    ref = files.attach(survey, "find", "photo", tmp_path / "bowl.png")

    assert ref["content_type"] == "image/png" and files.has_content(ref)
    # A plain FileField takes any file.
    assert files.attach(survey, "find", "document", tmp_path / "notes.jpg")["size"] == 20


@pytest.mark.parametrize(
    "field, path, message",
    [
        ("title", "bowl.png", "title: not a file field (it is a CharField)"),
        ("document", "nowhere.pdf", "document: cannot read {tmp}/nowhere.pdf: No such file"),
        ("document", ".", "document: {tmp} is not a file"),
    ],
)
def test_what_cannot_be_attached_is_refused_in_one_line(survey, tmp_path, field, path, message):
    from fieldsync_tui.store import files

    with pytest.raises(files.AttachError) as refused:
        files.attach(survey, "find", field, tmp_path / path)

    assert str(refused.value).startswith(message.format(tmp=tmp_path))


def test_a_download_counts_only_once_its_hash_is_checked(survey, local_store):
    from fieldsync_tui.store import files
    from server_plugin.protocol.files import FileRef

    content = b"a photo of the bowl" * 100
    digest = hashlib.sha256(content).hexdigest()
    ref = FileRef("museum/bowl.jpg", len(content), digest, "image/jpeg")
    files.folder().mkdir(parents=True, exist_ok=True)
    files.partial_path(ref.sha256).write_bytes(content[:500])
    assert files.received_bytes(ref.sha256) == 500 and not files.has_content(ref)

    files.partial_path(ref.sha256).write_bytes(b"x" * len(content))  # damaged on the way
    with pytest.raises(files.ContentMismatch, match="is not the file the record names"):
        files.accept_partial(ref)
    assert files.received_bytes(ref.sha256) == 0  # dropped: the next try starts over

    files.partial_path(ref.sha256).write_bytes(content)
    assert files.accept_partial(ref).read_bytes() == content
    assert files.has_content(ref.to_wire()) and stored(local_store) == [ref.sha256]


def test_missing_lists_the_content_not_here_once_per_hash(survey, tmp_path):
    from fieldsync_tui.store import files
    from fieldsync_tui.store.models import Record

    def ref(n: int, size: int) -> dict:
        return {"name": f"p{n}.jpg", "size": size, "sha256": f"{n:064x}",
                "content_type": "image/jpeg"}  # fmt: skip

    (tmp_path / "here.txt").write_bytes(b"here")
    here = files.attach(survey, "find", "document", tmp_path / "here.txt")
    small, big = ref(1, 1000), ref(2, 5_000_000)
    for n, (document, photo) in enumerate([(here, small), (small, big), ("", big)]):
        Record.objects.create(
            model=FIND, object_pk=f"00000000-0000-4000-8000-00000000000{n}",
            category_key=EXPEDITION, title=f"find {n}", base_version=1,
            values={"expedition": 1, "title": f"find {n}", "document": document, "photo": photo},
        )  # fmt: skip

    assert [r.to_wire() for r in files.missing(survey)] == [small, big]
    assert [r.to_wire() for r in files.missing(survey, max_size=2 * 1024 * 1024)] == [small]
    assert files.missing(survey, category_key="elsewhere") == []


def test_a_copy_is_saved_where_the_editor_says(survey, tmp_path):
    from fieldsync_tui.store import files

    (tmp_path / "plan.pdf").write_bytes(b"plan")
    ref = files.attach(survey, "find", "document", tmp_path / "plan.pdf")
    out = tmp_path / "out"
    out.mkdir()

    assert files.save_copy(ref, out).read_bytes() == b"plan"
    assert files.save_copy(ref, out / "renamed.pdf") == out / "renamed.pdf"
    assert sorted(p.name for p in out.iterdir()) == ["plan.pdf", "renamed.pdf"]


def test_the_download_limit_is_an_editor_setting(survey):
    from fieldsync_tui.store import files

    assert files.download_limit() == 2 * 1024 * 1024
    files.set_download_limit(files.parse_size("5MB"))
    assert files.download_limit() == 5 * 1024 * 1024


@pytest.mark.parametrize(
    "text, size",
    [("5MB", 5 * 1024**2), ("300 KB", 300 * 1024), ("2.5m", int(2.5 * 1024**2)),
     ("1234", 1234), ("0", 0), ("1 GiB", 1024**3), ("7b", 7)],
)  # fmt: skip
def test_sizes_read_as_an_editor_types_them(local_store, text, size):
    from fieldsync_tui.store.files import parse_size

    assert parse_size(text) == size


# -- the command line, offline ---------------------------------------------------------


def bowl():
    from fieldsync_tui.store.models import Record

    return Record.objects.get(model=FIND, object_pk=BOWL)


def test_edit_attaches_a_file_with_at_path_and_show_tells_it_is_here(survey, cli_here, tmp_path):
    (tmp_path / "bowl.png").write_bytes(png_bytes())

    code, out, err = cli_here("edit", "find", BOWL, "--set", f"photo=@{tmp_path / 'bowl.png'}")

    assert (code, err) == (0, "") and "queued for the next sync" in out
    photo = bowl().values["photo"]
    assert photo["name"] == "bowl.png" and photo["content_type"] == "image/png"
    assert bowl().pending
    code, out, _ = cli_here("show", "find", BOWL)
    assert f"Photo: bowl.png ({photo['size']} B, here)" in out
    assert "Document: \n" in out  # no file: nothing, as --set takes it


def test_new_attaches_and_an_empty_value_clears(survey, cli_here, tmp_path):
    import json

    (tmp_path / "plan.pdf").write_bytes(b"%PDF plan")

    code, out, err = cli_here(
        "new", "find", "--category", EXPEDITION, "--set", "title=Lid",
        "--set", f"document=@{tmp_path / 'plan.pdf'}", "--json",
    )  # fmt: skip
    assert code == 0, err
    created = json.loads(out)
    assert created["values"]["document"]["name"] == "plan.pdf"

    code, out, err = cli_here("edit", "find", created["pk"], "--set", "document=")
    assert code == 0, err
    code, out, _ = cli_here("show", "find", created["pk"], "--json")
    assert json.loads(out)["values"]["document"] == "" and json.loads(out)["files"] == {}


@pytest.mark.parametrize(
    "value, message",
    [
        ("document=plan.pdf", "fieldsync: document: attach a file with @PATH"),
        ("document=@{tmp}/nowhere.pdf", "fieldsync: document: cannot read {tmp}/nowhere.pdf"),
        ("photo=@{tmp}/notes.jpg", "fieldsync: photo: notes.jpg is not an image"),
    ],
)
def test_a_file_that_cannot_be_attached_is_refused_in_one_line_and_nothing_is_queued(
    survey, cli_here, tmp_path, value, message
):
    (tmp_path / "notes.jpg").write_text("words")

    code, out, err = cli_here("edit", "find", BOWL, "--set", value.format(tmp=tmp_path))

    assert code == 1 and err.startswith(message.format(tmp=tmp_path)) and err.count("\n") == 1
    assert not bowl().pending and bowl().values["photo"] == ""


def test_an_edit_refused_after_its_file_was_copied_in_leaves_no_copy(
    survey, cli_here, local_store, tmp_path
):
    from fieldsync_tui.store.models import Record

    (tmp_path / "plan.pdf").write_bytes(b"%PDF plan")
    (tmp_path / "kept.pdf").write_bytes(b"%PDF kept")
    cli_here("edit", "find", BOWL, "--set", f"document=@{tmp_path / 'kept.pdf'}")
    kept = bowl().values["document"]["sha256"]
    Record.objects.filter(pk=bowl().pk).update(conflicted=True)

    for name in ("plan.pdf", "kept.pdf"):
        code, _, err = cli_here("edit", "find", BOWL, "--set", f"document=@{tmp_path / name}")
        assert code == 1 and "has an unresolved conflict" in err

    assert stored(local_store) == [kept]  # the one the record holds stays


def test_a_file_over_the_limit_is_refused_offline_naming_file_size_and_limit(
    survey, cli_here, tmp_path
):
    big = tmp_path / "dig.mov"
    with open(big, "wb") as out:
        out.truncate(3 * LIMIT)

    code, _, err = cli_here("edit", "find", BOWL, "--set", f"document=@{big}")

    assert code == 1
    assert err == (
        "fieldsync: document: dig.mov is 192 KB (196,608 bytes), over the site's limit of "
        "64 KB (65,536 bytes) per file\n"
    )


def test_file_writes_the_content_where_asked_and_says_where(survey, cli_here, tmp_path):
    (tmp_path / "plan.pdf").write_bytes(b"%PDF plan")
    cli_here("edit", "find", BOWL, "--set", f"document=@{tmp_path / 'plan.pdf'}")

    code, out, err = cli_here("file", "find", BOWL, "document", "-o", str(tmp_path / "copy.pdf"))

    assert (code, err) == (0, "")
    assert out == f"Wrote plan.pdf (9 B) to {tmp_path / 'copy.pdf'}.\n"
    assert (tmp_path / "copy.pdf").read_bytes() == b"%PDF plan"
    code, _, err = cli_here("file", "find", BOWL, "photo")
    assert code == 1 and err == "fieldsync: find “Glazed bowl” has no file in photo\n"


def test_config_sets_the_download_limit(survey, cli_here):
    assert cli_here("config") == (0, "download-limit = 2.0 MB\n", "")

    code, out, _ = cli_here("config", "download-limit", "5MB")

    assert code == 0 and out.startswith("download-limit = 5.0 MB: checkouts and syncs")
    assert cli_here("config", "download-limit", "lots")[2] == (
        "fieldsync: not a size: 'lots' (write it as 5MB, 300KB or 0)\n"
    )


def test_prune_removes_content_nothing_refers_to_and_keeps_the_rest(
    survey, local_store, tmp_path
):
    import os
    import time

    from fieldsync_tui.store import files
    from fieldsync_tui.store.edits import update_record

    for name in ("held.pdf", "dropped.pdf", "fresh.pdf"):
        (tmp_path / name).write_bytes(name.encode())
    held = files.attach(survey, "find", "document", tmp_path / "held.pdf")
    update_record(survey, FIND, BOWL, {"document": held})
    dropped = files.attach(survey, "find", "document", tmp_path / "dropped.pdf")
    fresh = files.attach(survey, "find", "document", tmp_path / "fresh.pdf")
    an_hour_ago = time.time() - 3600
    for ref in (held, dropped):
        os.utime(files.content_path(ref), (an_hour_ago, an_hour_ago))

    assert files.prune(survey) == [dropped["sha256"]]
    assert files.has_content(held) and files.has_content(fresh)  # fresh: an edit may follow
    assert files.prune(survey, only=[fresh, held]) == [fresh["sha256"]]
    assert stored(local_store) == [held["sha256"]]


def test_attaching_the_content_the_record_has_already_is_no_change(survey, cli_here, tmp_path):
    from fieldsync_tui.store.models import Record

    (tmp_path / "bowl.png").write_bytes(png_bytes())
    (tmp_path / "IMG_0042.PNG").write_bytes(png_bytes())
    cli_here("edit", "find", BOWL, "--set", f"photo=@{tmp_path / 'bowl.png'}")
    synced = {**bowl().values, "photo": {**bowl().values["photo"], "name": "finds/bowl.png"}}
    Record.objects.filter(pk=bowl().pk).update(values=synced, base_values=synced, pending=False)
    bowl().changes.all().delete()

    code, out, _ = cli_here("edit", "find", BOWL, "--set", f"photo=@{tmp_path / 'IMG_0042.PNG'}")

    assert code == 0 and out.startswith("Nothing changed:")  # same sha256: the same file
    assert not bowl().pending and bowl().values["photo"]["name"] == "finds/bowl.png"


def test_a_change_whose_files_the_server_lacks_stays_queued_and_frozen(survey, tmp_path):
    from fieldsync_tui.store import files
    from fieldsync_tui.store.edits import update_record
    from fieldsync_tui.store.models import PendingChange
    from fieldsync_tui.sync.apply import apply_push_results, freeze
    from fieldsync_tui.sync.engine import next_round
    from server_plugin.protocol import wire

    (tmp_path / "plan.pdf").write_bytes(b"%PDF plan")
    ref = files.attach(survey, "find", "document", tmp_path / "plan.pdf")
    update_record(survey, FIND, BOWL, {"document": ref})
    entry = PendingChange.objects.get()
    entry.payload = freeze(survey, entry)
    entry.save()
    answer = {"id": str(entry.change_id), "status": wire.NEEDS_FILES, "files": [ref["sha256"]]}

    statuses = apply_push_results(survey, [entry], [answer])

    kept = PendingChange.objects.get()
    assert statuses == {wire.NEEDS_FILES: 1}
    assert (kept.change_id, kept.payload, kept.state) == (
        entry.change_id, entry.payload, PendingChange.QUEUED,
    )  # fmt: skip
    assert "files did not reach the server" in kept.last_error and bowl().pending
    assert next_round() == [kept] and next_round(waiting={bowl().pk}) == []


def test_a_refusal_of_part_of_a_batch_names_the_change_in_the_whole_batch(local_store):
    from fieldsync_tui.sync.engine import _renumbered
    from fieldsync_tui.sync.transport import Refused

    batch = ["kept back here", "sent first", "sent second"]  # the first one's file cannot go
    refused = Refused(400, {"error": "bad_request", "where": "changes[1].values.title"})

    renamed = _renumbered(refused, batch[1:], batch)

    assert (renamed.status, renamed.body["where"]) == (400, "changes[2].values.title")
    assert _renumbered(Refused(403, {"where": "category"}), batch[1:], batch).body == {
        "where": "category"
    }
