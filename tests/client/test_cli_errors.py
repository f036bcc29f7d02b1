"""Bad input to the command line: one line on stderr, a non-zero exit, nothing changed."""

from __future__ import annotations

import uuid

import pytest

from tests.support.editor import Editor


def assert_one_line_error(result, code: int, *words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def ready(central, editor1) -> tuple[Editor, dict]:
    editor1.run("checkout", "Politics")
    pk = editor1.json("records", "Politics", "--model", "article")[0]["pk"]
    return editor1, editor1.json("show", "article", pk)


def snapshot(editor: Editor) -> tuple:
    return (
        editor.count("pendingchange"),
        editor.count("record"),
        sorted(editor.records("1").items()),
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["checkout", "Nowhere"], ["unknown category", "Nowhere"]),
        (["edit", "article", "{pk}", "--set", "status=gone"], ["status", "gone"]),
        (["edit", "article", "{pk}", "--set", "title=" + "x" * 201], ["title", "at most 200"]),
        (["edit", "article", "{pk}", "--set", "published_on=yesterday"], ["published_on"]),
        (["edit", "article", "{pk}", "--set", "headline=Hi"], ["headline"]),
        (["edit", "article", "{pk}", "--set", "titleNoEquals"], ["FIELD=VALUE"]),
        (["edit", "article", str(uuid.uuid4()), "--set", "title=x"], ["no news.article"]),
        (["edit", "comment", "{pk}", "--set", "title=x"], ["unknown model", "comment"]),
        (["show", "article", str(uuid.uuid4())], ["no news.article"]),
        (["new", "article", "--category", "Culture", "--set", "title=x", "--set", "body=y"],
         ["Culture", "not checked out"]),
        (["new", "article", "--category", "Politics", "--set", "title=x"], ["body", "blank"]),
        (["new", "photo", "--set", f"article={uuid.uuid4()}", "--set", "caption=x"], ["article"]),
        (["new", "author", "--set", "name=x"], ["read-only"]),
        (["resolve", "42", "--take", "mine"], ["no open conflict 42"]),
        (["records", "Culture"], ["Culture", "not checked out"]),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_error_and_changes_nothing(ready, args, words):
    editor, article = ready
    before = snapshot(editor)

    result = editor.run(*[a.format(pk=article["pk"]) for a in args], check=False)

    assert_one_line_error(result, 1, *words)
    assert snapshot(editor) == before


def test_wrong_password_is_refused_in_one_line(central, tmp_path, keyring_home):
    editor = Editor("editor1", tmp_path / "data", keyring_home)
    result = editor.login(central.url, password="not-it") if False else editor.run(
        "login", central.url, "--username", "editor1", "--password-stdin",
        stdin="not-it\n", check=False,
    )  # fmt: skip
    assert_one_line_error(result, 5, "login refused")
    assert not (keyring_home / "python_keyring").exists()


def test_unreachable_server_at_login_is_exit_4(tmp_path, keyring_home):
    editor = Editor("editor1", tmp_path / "data", keyring_home)
    result = editor.run(
        "login", "http://127.0.0.1:9", "--username", "editor1", "--password-stdin",
        stdin="demo-password\n", check=False,
    )  # fmt: skip
    assert_one_line_error(result, 4, "offline")


def test_commands_before_login_say_how_to_log_in(tmp_path, keyring_home):
    editor = Editor("editor1", tmp_path / "data", keyring_home)
    result = editor.run("status", check=False)
    assert_one_line_error(result, 5, "fieldsync login")


def test_checkout_held_by_another_editor_names_the_holder(central, editor1, editor2):
    editor1.run("checkout", "Politics")
    result = editor2.run("checkout", "Politics", check=False)
    assert_one_line_error(result, 1, "editor1")
