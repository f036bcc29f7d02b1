"""End to end: editors on the real command line against a real central site."""

from __future__ import annotations

import json

import pytest

from tests.support.editor import Editor

from .conftest import make_editor

pytestmark = pytest.mark.both_backends  # the central database matters here

PARAGRAPHS = (
    "The council met on Monday. It agreed the budget.\n\n"
    "Residents asked about the bridge. The mayor promised an answer."
)


def first_article(editor: Editor, category: str = "Politics") -> dict:
    articles = editor.json("records", category, "--model", "article")
    return editor.json("show", "article", articles[0]["pk"])


def assert_converged(site, *editors: Editor, category: str = "Politics") -> None:
    key = site.category_key(category)
    server = site.records(key)
    for editor in editors:
        assert editor.records(key) == server, f"{editor.name} differs from the server"


def set_body_centrally(site, pk: str, body: str) -> None:
    site.shell(
        "from server_plugin.demo.news.models import Article\n"
        f"a = Article.objects.get(pk={pk!r}); a.body = {body!r}; a.save()"
    )


def test_offline_edits_arrive_when_the_server_comes_back(central, editor1):
    editor1.run("checkout", "Politics")
    article = first_article(editor1)
    central.stop()

    editor1.run("edit", "article", article["pk"], "--set", "title=Written offline")
    offline = editor1.run("sync", check=False)
    status = editor1.json("status")

    assert offline.returncode == 4
    assert offline.stderr.count("\n") == 1 and "offline" in offline.stderr
    assert status["online"] is False and status["queued"] == 1

    central.start()
    editor1.run("sync")

    server = central.records(central.category_key("Politics"))
    record = server[("news.article", article["pk"])]
    assert record["values"]["title"] == "Written offline"
    assert record["version"] == article["version"] + 1
    assert editor1.json("status")["queued"] == 0
    assert_converged(central, editor1)


def test_two_editors_changing_different_fields_both_survive(
    advisory_central, tmp_path, keyring_home
):
    one = make_editor("editor1", tmp_path, keyring_home, advisory_central)
    two = make_editor("editor2", tmp_path, keyring_home, advisory_central)
    one.run("checkout", "Politics")
    two.run("checkout", "Politics")
    pk = first_article(one)["pk"]

    one.run("edit", "article", pk, "--set", "title=Title by one")
    two.run("edit", "article", pk, "--set", "status=published")
    one.run("sync")
    two.run("sync")
    one.run("sync")

    values = advisory_central.records(advisory_central.category_key("Politics"))[
        ("news.article", pk)
    ]["values"]
    assert (values["title"], values["status"]) == ("Title by one", "published")
    assert_converged(advisory_central, one, two)


def test_editor_and_central_shell_changing_different_fields_both_survive(central, editor1):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]

    editor1.run("edit", "article", pk, "--set", "title=Title from the field")
    central.shell(
        "from server_plugin.demo.news.models import Article\n"
        f"a = Article.objects.get(pk={pk!r}); a.status = 'review'; a.save()"
    )
    editor1.run("sync")

    values = central.records(central.category_key("Politics"))[("news.article", pk)]["values"]
    assert (values["title"], values["status"]) == ("Title from the field", "review")
    assert_converged(central, editor1)


def test_same_text_field_in_different_paragraphs_is_merged(central, editor1):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]
    set_body_centrally(central, pk, PARAGRAPHS)
    editor1.run("sync")

    set_body_centrally(central, pk, PARAGRAPHS.replace("on Monday", "on Tuesday"))
    mine = PARAGRAPHS.replace("an answer", "an answer by Friday")
    editor1.run("edit", "article", pk, "--set", f"body={mine}")
    result = editor1.run("sync")

    assert "merged" in result.stdout
    body = central.records(central.category_key("Politics"))[("news.article", pk)]["values"]["body"]
    assert "on Tuesday" in body and "an answer by Friday" in body
    assert_converged(central, editor1)


@pytest.mark.parametrize("take", ["mine", "theirs", "merge"])
def test_same_sentence_is_a_conflict_resolved_each_way_and_everyone_converges(
    central, editor1, take
):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]
    base = PARAGRAPHS
    set_body_centrally(central, pk, base)
    editor1.run("sync")
    theirs = base.replace("met on Monday", "met on Tuesday")
    mine = base.replace("met on Monday", "met on Monday evening")
    set_body_centrally(central, pk, theirs)

    editor1.run("edit", "article", pk, "--set", f"body={mine}")
    synced = editor1.run("sync", check=False)
    conflicts = editor1.json("conflicts")

    assert synced.returncode == 3
    assert len(conflicts) == 1 and set(conflicts[0]["fields"]) == {"body"}
    field = conflicts[0]["fields"]["body"]
    assert (field["base"], field["mine"], field["theirs"]) == (base, mine, theirs)
    assert editor1.run("checkin", "Politics", check=False).returncode == 1

    resolved = editor1.json("resolve", str(conflicts[0]["id"]), "--take", take)
    editor1.run("sync")

    expected = {"mine": mine, "theirs": theirs, "merge": field["suggestion"]}[take]
    server = central.records(central.category_key("Politics"))[("news.article", pk)]
    assert server["values"]["body"] == expected == resolved["values"]["body"]
    assert editor1.json("conflicts") == []
    assert_converged(central, editor1)


def test_conflict_resolved_by_editing_the_result(central, editor1):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]
    central.shell(
        "from server_plugin.demo.news.models import Article\n"
        f"a = Article.objects.get(pk={pk!r}); a.title = 'Chief title'; a.save()"
    )
    editor1.run("edit", "article", pk, "--set", "title=Editor title")
    editor1.run("sync", check=False)
    (conflict,) = editor1.json("conflicts")

    editor1.run("resolve", str(conflict["id"]), "--take", "mine", "--set", "title=Agreed title")
    editor1.run("sync")

    server = central.records(central.category_key("Politics"))[("news.article", pk)]
    assert server["values"]["title"] == "Agreed title"
    assert_converged(central, editor1)


def test_records_created_offline_get_their_permanent_ids_everywhere(central, editor1):
    editor1.run("checkout", "Politics")
    article = editor1.json(
        "new", "article", "--category", "Politics",
        "--set", "title=Made in the field", "--set", "body=First paragraph.",
    )  # fmt: skip
    photo = editor1.json(
        "new", "photo", "--set", f"article={article['pk']}", "--set", "caption=River crossing"
    )
    assert photo["pk"].startswith("tmp:")
    editor1.run("edit", "photo", photo["pk"], "--set", "caption=River crossing at dawn")

    editor1.run("sync")

    key = central.category_key("Politics")
    server = central.records(key)
    assert server[("news.article", article["pk"])]["values"]["title"] == "Made in the field"
    photos = [
        (pk, r["values"]) for (model, pk), r in server.items()
        if model == "news.photo" and r["values"]["caption"] == "River crossing at dawn"
    ]  # fmt: skip
    ((permanent, values),) = photos
    assert values["article"] == article["pk"]
    local = editor1.records(key)
    assert ("news.photo", permanent) in local
    assert not [pk for (_, pk) in local if pk.startswith("tmp:")]
    assert_converged(central, editor1)


def test_a_new_tag_with_a_temporary_id_is_replaced_in_the_articles_that_use_it(central, editor1):
    editor1.run("checkout", "Politics")
    article = first_article(editor1)
    tag = editor1.json("new", "tag", "--set", "name=field-office")
    tags = ",".join(str(t) for t in article["values"]["tags"] + [tag["pk"]])
    editor1.run("edit", "article", article["pk"], "--set", f"tags={tags}")

    editor1.run("sync")

    shown = editor1.json("show", "article", article["pk"])
    assert all(isinstance(t, int) for t in shown["values"]["tags"])
    server = central.records(central.category_key("Politics"))[("news.article", article["pk"])]
    assert sorted(server["values"]["tags"]) == sorted(shown["values"]["tags"])
    assert_converged(central, editor1)


def test_checkin_releases_the_category_for_another_editor(central, editor1, editor2):
    editor1.run("checkout", "Politics")
    refused = editor2.run("checkout", "Politics", check=False)
    assert refused.returncode == 1 and "editor1" in refused.stderr

    editor1.run("checkin", "Politics")

    editor2.run("checkout", "Politics")
    listed = {c["name"]: c for c in editor1.json("categories")}
    assert listed["Politics"]["holders"][0]["user"] == "editor2"


def test_deleting_a_record_reaches_the_server(central, editor1):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]

    editor1.run("delete", "article", pk)
    editor1.run("sync")

    assert ("news.article", pk) not in central.records(central.category_key("Politics"))
    assert_converged(central, editor1)


def test_no_token_is_in_any_file_of_the_data_folder(central, editor1, keyring_home):
    secrets = _secrets_in_keyring(keyring_home / "python_keyring" / "keyring_pass.cfg")
    assert len(secrets) == 2, "the device token and the bundle signing key"
    status, _ = editor1.json("status"), None
    assert status["online"] is True  # the token works: it is the one in use

    files = [path for path in editor1.folder.rglob("*") if path.is_file()]
    assert files
    for path in files:
        for secret in secrets:
            assert secret.encode() not in path.read_bytes(), path


def _secrets_in_keyring(path) -> list[str]:
    """What the file-based test keyring holds for fieldsync (base64 under [fieldsync])."""
    import base64
    import configparser

    stored = configparser.RawConfigParser()
    stored.read(path)
    return [base64.b64decode("".join(v.split())).decode() for v in stored["fieldsync"].values()]


def test_status_json_reports_what_waits(central, editor1):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]
    editor1.run("edit", "article", pk, "--set", "title=Waiting")

    status = editor1.json("status")

    assert status["online"] is True
    assert status["queued"] == 1 and status["conflicts"] == 0
    assert status["checked_out"] == ["Politics"]
    assert json.dumps(status)  # plain JSON for scripts


def test_taking_theirs_after_the_server_moved_again_keeps_the_newest_server_text(central, editor1):
    editor1.run("checkout", "Politics")
    pk = first_article(editor1)["pk"]
    set_body_centrally(central, pk, PARAGRAPHS)
    editor1.run("sync")
    set_body_centrally(central, pk, PARAGRAPHS.replace("met on Monday", "met on Tuesday"))
    editor1.run("edit", "article", pk, "--set",
                f"body={PARAGRAPHS.replace('met on Monday', 'met on Friday')}")  # fmt: skip
    editor1.run("sync", check=False)
    newest = PARAGRAPHS.replace("met on Monday", "met on Thursday")
    set_body_centrally(central, pk, newest)  # the chief edits again before it is resolved
    editor1.run("sync", check=False)
    (conflict,) = editor1.json("conflicts")
    assert conflict["fields"]["body"]["theirs"] == newest

    editor1.run("resolve", str(conflict["id"]), "--take", "theirs")
    editor1.run("sync")

    server = central.records(central.category_key("Politics"))[("news.article", pk)]
    assert server["values"]["body"] == newest
    assert_converged(central, editor1)
