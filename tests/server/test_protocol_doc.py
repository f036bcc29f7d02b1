"""docs/protocol.md, checked against the server: every example in it is run.

An example in the doc is written as::

    <!-- example: name -->
    ```http
    METHOD /fieldsync/v1/path?query
    Header: value

    body (usually JSON)
    ```
    Response: `200 OK`
    ```json
    {"the": "answer"}
    ```

An answer that is not JSON (a file's bytes) is written as an ``http`` block
of the headers that matter, a blank line and a word about the body: the
status and each header listed must match (placeholders match anything).

Each example runs in a freshly seeded demo newsroom (the `newsroom` fixture,
with ids restarted so they are the ones a fresh demo site has), after the
setup registered for it below (a checkout, the chief's edits on the central
site...). Placeholders in angle brackets are filled in the request: `<token>`
with editor1's real token, any `<...uuid...>` with a fresh UUID (one per name
per example). The real answer must have the documented status and the
documented shape: the same keys in every object, lists of the same length,
the same JSON types, and equal values for the keys that carry meaning. A
placeholder in the documented answer matches anything; a string with one
inside ("tmp:<uuid>") matches strings of that form.
"""

from __future__ import annotations

import hashlib
import http
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management.color import no_style
from django.db import connection
from django.test import Client
from django.urls import resolve

from server_plugin import urls as fieldsync_urls
from server_plugin.demo.news.models import Article, Author, Photo, Section, Tag

from .conftest import login

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

# Keys whose values are compared, not just their types.
MEANINGFUL = {
    "status",
    "error",
    "op",
    "more",
    "deleted",
    "model",
    "released",
    "revoked",
    "ok",
    "protocol",
    "mode",
    "where",
    "can_take_over",
    "received",
    "complete",
}

PLACEHOLDER = re.compile(r"<[a-z][a-z0-9-]*>")

# Records of the fresh demo newsroom the examples use (see setups below).
POLITICS, CULTURE = 1, 2
MARKET = "6513270e-269e-4d37-b2a7-4de452e6b438"  # "Market reopening delayed again"
HARVEST = "a260cd0b-7b45-445c-9a81-682c64e50cad"  # "Harvest festival delayed again"
HARVEST_PHOTOS = (1, 2)

# The text-merge examples: the chief set this body, the editor pulled it, then
# the chief rewrote the first sentence.
BASE_BODY = "The council met on Monday. The vote was close."
THEIR_BODY = "The council met on Tuesday. The vote was close."


# -- the doc ------------------------------------------------------------------


class DocError(AssertionError):
    pass


@dataclass
class Example:
    name: str
    line: int
    method: str
    path: str
    headers: dict[str, str]
    body: str
    status: int
    reason: str
    response: Any
    raw_headers: dict[str, str] | None = None  # an answer that is not JSON: its headers

    def __str__(self) -> str:
        return f"example {self.name!r} (docs/protocol.md line {self.line})"


_MARKER = re.compile(r"^<!-- example: ([a-z0-9-]+) -->$", re.M)
_BLOCKS = re.compile(
    r"<!-- example: [a-z0-9-]+ -->\n"
    r"```http\n(?P<request>.*?)```\n"
    r"Response: `(?P<status>\d{3}) (?P<reason>[^`]+)`\n"
    r"(?:```json\n(?P<response>.*?)```\n|```http\n(?P<raw>.*?)```\n)",
    re.S,
)


def parse_doc(text: str) -> list[Example]:
    examples: list[Example] = []
    for marker in _MARKER.finditer(text):
        name = marker.group(1)
        line = text.count("\n", 0, marker.start()) + 1
        where = f"example {name!r} (docs/protocol.md line {line})"
        blocks = _BLOCKS.match(text, marker.start())
        if blocks is None:
            raise DocError(
                f"{where}: the marker must be followed by an http block, a line "
                "'Response: `NNN Reason`' and a json block"
            )
        status = int(blocks["status"])
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            raise DocError(f"{where}: {status} is not an HTTP status") from None
        if blocks["reason"] != phrase:
            raise DocError(f"{where}: status {status} is '{phrase}', not '{blocks['reason']}'")
        head, _, body = blocks["request"].partition("\n\n")
        request_line, *header_lines = head.strip("\n").split("\n")
        method, _, path = request_line.partition(" ")
        if method not in ("GET", "POST", "DELETE", "PUT", "PATCH") or not path.startswith("/"):
            raise DocError(f"{where}: bad request line {request_line!r}")
        headers = _header_lines("\n".join(header_lines), where)
        raw_headers = None
        if blocks["raw"] is not None:
            response = None
            raw_headers = _header_lines(blocks["raw"].partition("\n\n")[0], where)
        else:
            try:
                response = json.loads(blocks["response"])
            except json.JSONDecodeError as error:
                raise DocError(f"{where}: the response is not valid JSON: {error}") from None
        if "Content-Type" in headers and headers["Content-Type"] == "application/json":
            try:
                json.loads(fill(body, {}, name, allow_unknown=True))
            except json.JSONDecodeError as error:
                if name not in MALFORMED_ON_PURPOSE:
                    raise DocError(
                        f"{where}: the request body is not valid JSON: {error}"
                    ) from None
        examples.append(
            Example(name, line, method, path, headers, body, status, blocks["reason"], response,
                    raw_headers)  # fmt: skip
        )
    names = [e.name for e in examples]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DocError(f"example names used twice: {', '.join(repeated)}")
    return examples


def _header_lines(text: str, where: str) -> dict[str, str]:
    headers = {}
    for header in text.strip("\n").split("\n") if text.strip() else []:
        key, sep, value = header.partition(": ")
        if not sep:
            raise DocError(f"{where}: bad header line {header!r}")
        headers[key] = value
    return headers


def fill(text: str, values: dict[str, str], name: str, *, allow_unknown=False) -> str:
    """The request text with its placeholders replaced by real values."""

    def replace(match: re.Match) -> str:
        placeholder = match.group(0)
        if placeholder not in values:
            if "uuid" in placeholder:
                values[placeholder] = str(uuid.uuid4())
            elif allow_unknown:
                return "0"
            else:
                raise DocError(f"example {name!r}: no value for the placeholder {placeholder}")
        return str(values[placeholder])

    return PLACEHOLDER.sub(replace, text)


# -- comparing an answer with the doc -------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _pattern(documented: str) -> re.Pattern:
    parts = PLACEHOLDER.split(documented)
    return re.compile(".+".join(re.escape(part) for part in parts), re.S)


def compare(documented: Any, real: Any, where: str = "$", key: str | None = None) -> list[str]:
    """How `real` differs from `documented`: one sentence per difference."""
    if isinstance(documented, str) and PLACEHOLDER.fullmatch(documented):
        return []
    if _json_type(documented) != _json_type(real):
        return [
            f"{where}: documented as {_json_type(documented)} "
            f"({json.dumps(documented)[:60]}), the server sent {_json_type(real)} "
            f"({json.dumps(real)[:60]})"
        ]
    if isinstance(documented, dict):
        problems = []
        missing = sorted(set(documented) - set(real))
        extra = sorted(set(real) - set(documented))
        if missing:
            problems.append(f"{where}: the server sent no key {', '.join(map(repr, missing))}")
        if extra:
            problems.append(f"{where}: the server sent undocumented key(s) {extra}")
        for name in documented:
            if name in real:
                problems += compare(documented[name], real[name], f"{where}.{name}", name)
        return problems
    if isinstance(documented, list):
        if len(documented) != len(real):
            return [f"{where}: documented {len(documented)} item(s), the server sent {len(real)}"]
        problems = []
        for index, (doc_item, real_item) in enumerate(zip(documented, real, strict=True)):
            problems += compare(doc_item, real_item, f"{where}[{index}]", key)
        return problems
    # A string with a placeholder inside ("tmp:<uuid>") is a template, checked everywhere.
    template = isinstance(documented, str) and PLACEHOLDER.search(documented)
    if template or key in MEANINGFUL:
        same = (
            _pattern(documented).fullmatch(real) is not None
            if isinstance(documented, str)
            else documented == real
        )
        if not same:
            return [
                f"{where}: documented {json.dumps(documented)}, the server sent {json.dumps(real)}"
            ]
    return []


def compare_headers(documented: dict[str, str], response) -> list[str]:
    """How a non-JSON answer's headers differ from the documented ones."""
    problems = []
    for name, value in documented.items():
        real = response.get(name)
        if real is None:
            problems.append(f"{name}: the server sent no such header")
        elif _pattern(value).fullmatch(real) is None:
            problems.append(f"{name}: documented {value!r}, the server sent {real!r}")
    return problems


# -- what each example needs first ----------------------------------------------


@dataclass
class Context:
    """What a setup may use: editor1's device, logging in others, the placeholders.

    `login(username, device)` answers an object with conftest's `Api` methods;
    setups use only `get`, `post`, `put` and `delete`, so the same setups can
    drive a real demo site over HTTP when an example's answer is captured again.
    """

    editor1: Any
    login: Callable[[str, str], Any]
    values: dict[str, str] = field(default_factory=dict)


SETUPS: dict[str, Callable[[Context], None]] = {}
# Examples whose request is sent twice; the answers must be identical.
REPEATED = {"push-retry"}
# Examples whose request body is not valid JSON on purpose.
MALFORMED_ON_PURPOSE = {"push-malformed-json"}


def setup(*names: str):
    def register(function):
        for name in names:
            SETUPS[name] = function
        return function

    return register


def _ok(answer) -> None:
    status, body = answer
    assert status == 200, body


def chief_edits(model, pk, **values) -> None:
    """An edit made on the central site (admin, shell), outside the API."""
    instance = model.objects.get(pk=pk)
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()


@setup("revoked-token")
def _logged_out(ctx: Context) -> None:
    _ok(ctx.editor1.delete("auth/token"))


@setup("categories")
def _two_checkouts(ctx: Context) -> None:
    _ok(ctx.editor1.post(f"categories/{POLITICS}/checkout"))
    _ok(ctx.login("editor2", "editor2-laptop").post(f"categories/{CULTURE}/checkout"))


@setup("checkout-taken")
def _held_by_editor2(ctx: Context) -> None:
    _ok(ctx.login("editor2", "editor2-laptop").post(f"categories/{POLITICS}/checkout"))


@setup("checkout-held-by-me", "checkout-take-over")
def _held_on_my_desktop(ctx: Context) -> None:
    _ok(ctx.login("editor1", "desktop").post(f"categories/{POLITICS}/checkout"))


@setup("push-taken-over")
def _taken_over_by_my_desktop(ctx: Context) -> None:
    _ok(ctx.editor1.post(f"categories/{POLITICS}/checkout"))
    _ok(ctx.login("editor1", "desktop").post(f"categories/{POLITICS}/checkout",
                                             {"take_over": True}))  # fmt: skip


@setup(
    "checkin",
    "push-applied",
    "push-rejected",
    "push-create",
    "push-delete",
    "push-retry",
    "push-no-permission",
    "push-needs-files",
)
def _checked_out(ctx: Context) -> None:
    _ok(ctx.editor1.post(f"categories/{POLITICS}/checkout"))


@setup("changes", "changes-tombstone")
def _central_edits(ctx: Context) -> None:
    first, second = HARVEST_PHOTOS
    chief_edits(Photo, second, caption="The parade at noon")
    Photo.objects.get(pk=first).delete()


@setup("push-merged")
def _credit_changed_centrally(ctx: Context) -> None:
    _ok(ctx.editor1.post(f"categories/{POLITICS}/checkout"))
    chief_edits(Photo, HARVEST_PHOTOS[0], credit="Chief desk")


@setup("push-merged-text", "push-conflict")
def _body_changed_centrally(ctx: Context) -> None:
    _ok(ctx.editor1.post(f"categories/{POLITICS}/checkout"))
    chief_edits(Article, MARKET, body=BASE_BODY)  # version 2: what the editor pulled
    chief_edits(Article, MARKET, body=THEIR_BODY)  # version 3: the chief's later edit


# The file examples' content (docs/protocol.md, Files): two chunks of 12 and 30 bytes.
NOTES = b"Field notes\nThe harbour wall, north side.\n"
NOTES_REF = {"sha256": hashlib.sha256(NOTES).hexdigest(), "size": len(NOTES),
             "content_type": "text/plain", "name": "harbour-wall.txt"}  # fmt: skip


def _upload_started(ctx: Context, first_bytes: int = 0) -> None:
    _ok(ctx.editor1.post("files/uploads", NOTES_REF))
    if first_bytes:
        _ok(ctx.editor1.put(f"files/uploads/{NOTES_REF['sha256']}", NOTES[:first_bytes], offset=0))


@setup("file-upload-state", "file-upload-chunk", "file-upload-wrong-offset",
       "file-upload-mismatch")  # fmt: skip
def _first_chunk_sent(ctx: Context) -> None:
    _upload_started(ctx, first_bytes=12)


@setup("file-upload-held")
def _notes_uploaded(ctx: Context) -> None:
    _upload_started(ctx, first_bytes=len(NOTES))


@setup("file-download")
def _photo_image(ctx: Context) -> None:
    _, photo = ctx.editor1.get(f"categories/{POLITICS}/changes")
    image = next(c for c in photo["changes"] if c["model"] == "news.photo" and c["pk"] == 1)
    ctx.values["<sha256>"] = image["fields"]["image"]["sha256"]


# -- running the examples ---------------------------------------------------------


def _load() -> tuple[list[Example], str | None]:
    try:
        return parse_doc(DOC.read_text(encoding="utf-8")), None
    except (OSError, DocError) as error:
        return [], str(error)


EXAMPLES, PARSE_ERROR = _load()


def _restart_ids() -> None:
    """Make the seed's integer ids those of a fresh demo site (1, 2, ...)."""
    news_models = [Section, Author, Tag, Photo, Article, Article.tags.through]
    assert not any(m.objects.exists() for m in news_models), "the newsroom is not empty"
    if connection.vendor == "postgresql":
        statements = connection.ops.sequence_reset_sql(no_style(), news_models)
    elif connection.vendor == "sqlite":
        names = ", ".join(f"'{m._meta.db_table}'" for m in news_models)
        statements = [f"DELETE FROM sqlite_sequence WHERE name IN ({names})"]
    else:
        statements = []
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def demo_site(request, db) -> Context:
    """The seeded demo newsroom, as a fresh demo site has it, and editor1 logged in."""
    _restart_ids()
    request.getfixturevalue("newsroom")
    unlike = "the seeded newsroom is not the demo site the doc's examples come from"
    assert Section.objects.get(name="Politics").pk == POLITICS, unlike
    assert Section.objects.get(name="Culture").pk == CULTURE, unlike
    assert Article.objects.filter(pk=MARKET, section_id=POLITICS).exists(), unlike
    photos = Photo.objects.filter(article_id=HARVEST).order_by("pk")
    assert list(photos.values_list("pk", flat=True)) == list(HARVEST_PHOTOS), unlike
    editor1 = login("editor1", "editor1-laptop")
    return Context(editor1=editor1, login=login, values={"<token>": editor1.token})


def send(example: Example, values: dict[str, str], client: Client | None = None):
    """Send the example's request with its placeholders filled: (status, JSON), or
    (status, the response) for an answer documented as headers (a file)."""
    client = client or Client()
    headers = {k: fill(v, values, example.name) for k, v in example.headers.items()}
    content_type = headers.pop("Content-Type", "application/octet-stream")
    body = fill(example.body, values, example.name).encode()
    response = client.generic(
        example.method,
        fill(example.path, values, example.name),
        data=body,
        content_type=content_type,
        headers=headers,
    )
    if example.raw_headers is not None:
        return response.status_code, response
    assert response["Content-Type"] == "application/json", (
        f"{example}: the answer is {response['Content-Type']}, not JSON"
    )
    return response.status_code, json.loads(response.content)


def test_the_doc_parses_and_has_examples():
    assert PARSE_ERROR is None, PARSE_ERROR
    assert len(EXAMPLES) >= 20
    unknown = sorted((set(SETUPS) | REPEATED | MALFORMED_ON_PURPOSE) - {e.name for e in EXAMPLES})
    assert not unknown, f"setups for examples the doc no longer has: {unknown}"


def test_every_endpoint_has_an_example():
    covered = set()
    for example in EXAMPLES:
        match = resolve(example.path.split("?")[0])
        covered.add((match.url_name, example.method))
    for pattern in fieldsync_urls.urlpatterns:
        if pattern.name is None:
            continue  # the catch-all that answers unknown paths with a JSON 404
        assert any(name == pattern.name for name, _ in covered), (
            f"docs/protocol.md has no example of {pattern.pattern}"
        )
    assert ("token", "DELETE") in covered, "docs/protocol.md has no example of logging out"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_matches_the_server(example: Example, demo_site: Context):
    SETUPS.get(example.name, lambda ctx: None)(demo_site)
    values = demo_site.values
    status, answer = send(example, values)
    if example.name in REPEATED:
        again = send(example, values)
        assert again == (status, answer), f"{example}: the retried request answered differently"
    problems = []
    if status != example.status:
        problems.append(f"status: documented {example.status}, the server sent {status}")
    if example.raw_headers is not None:
        problems += compare_headers(example.raw_headers, answer)
        answer = dict(answer.items())
    else:
        problems += compare(example.response, answer)
    assert not problems, f"{example} disagrees with the server:\n  " + "\n  ".join(
        problems + [f"the server sent: {json.dumps(answer)[:2000]}"]
    )


# -- the comparison itself can fail --------------------------------------------


def test_the_comparison_finds_renamed_keys_wrong_types_and_wrong_meaningful_values():
    documented = {
        "results": [{"id": "<uuid>", "status": "applied", "version": 2, "temp_pk": "tmp:<uuid>"}]
    }
    real = {"results": [{"id": "x", "status": "applied", "version": 3, "temp_pk": "tmp:abc"}]}
    assert compare(documented, real) == []
    renamed = {"results": [{"id": "x", "state": "applied", "version": 3, "temp_pk": "tmp:a"}]}
    assert len(compare(documented, renamed)) == 2  # one key missing, one undocumented
    assert compare(documented, {"results": [{**real["results"][0], "version": "3"}]})
    assert compare(documented, {"results": [{**real["results"][0], "status": "merged"}]})
    assert compare(documented, {"results": [{**real["results"][0], "temp_pk": "abc"}]})
    assert compare(documented, {"results": []})
    assert compare({"more": False}, {"more": True})


def test_the_header_comparison_finds_missing_and_different_headers():
    documented = {"ETag": '"<sha256>"', "Content-Range": "bytes 100-<last>/<size>"}
    assert compare_headers(documented, {"ETag": '"abc"', "Content-Range": "bytes 100-9/10"}) == []
    assert len(compare_headers(documented, {"ETag": "abc"})) == 2  # unquoted, and one missing
