"""Mutated requests against the push path, and the oracle that judges the answers.

Plain Python (no Django), shared by the in-process fuzz test
(tests/server/test_fuzz_push.py) and the long run against a real central site
(benchmarks/fuzz_push.py). A `Mutator` makes requests from a seeded
`random.Random`: pushes built from the records the editor pulled, then broken
(wrong types, other spellings of ids already used, huge values, deep nesting,
unknown keys, numbers at and beyond every bound, hostile strings), feed
queries, checkouts and review questions. The `Oracle` holds the promises:

- no 5xx, ever;
- a refused request (4xx) writes nothing: the tables read the same after it;
- a change is applied at most once: every answer to one change id (in any
  spelling) is the first answer, word for word, and every spelling but the
  canonical one is refused.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

INT64 = 2**63
EDGES = [
    0, 1, -1, 2**15 - 1, 2**15, -(2**15) - 1, 2**31 - 1, 2**31, -(2**31) - 1,
    INT64 - 1, INT64, -INT64, -INT64 - 1, 2**64, 10**30, 10**99,
]  # fmt: skip
HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff", "\ufeff", "\u202e", "x" * 65, "x" * 5_000,
    "x" * 100_000, "tmp:", "tmp:x", "TMP:", "'; DROP TABLE news_article; --", "<script>x</script>",
    "%s%n%x", "../../etc/passwd", "１２", "٣", "NaN", "Infinity", "1e999", "null", "true",
    "0x10", "-0", "2026-02-30", "2026-11-25T10:42:00", "P1D", "\n", "\\", '"', "é" * 300,
    "😀" * 100,
]  # fmt: skip
NAN, INF = float("nan"), float("inf")


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def spellings(change_id: str) -> list[str]:
    """Spellings `uuid.UUID` reads as the same id (the first is the canonical one)."""
    parsed = uuid.UUID(change_id)
    text = str(parsed)
    return [
        text, text.upper(), parsed.hex, parsed.hex.upper(), "{" + text + "}",
        "urn:uuid:" + text, "{" + text.upper() + "}", "URN:UUID:" + text,
    ]  # fmt: skip


@dataclass
class Request:
    """One request, as any client sends it: a path under /fieldsync/v1/."""

    method: str
    path: str
    body: bytes | None = None
    params: dict = field(default_factory=dict)
    kind: str = ""  # what was made or broken, for the report
    change_ids: list = field(default_factory=list)  # the ids in a push, as sent

    def url(self) -> str:
        if not self.params:
            return self.path
        query = "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}"
                         for k, v in self.params.items())  # fmt: skip
        return f"{self.path}?{query}"


def encode(body: Any) -> bytes:
    """JSON as a hostile client may write it: NaN and lone surrogates included."""
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


@dataclass
class World:
    """What the fuzzing editor knows: the records it pulled, its category, the others."""

    records: list  # feed entries {"model", "pk", "version", "fields"} it may write
    category: str  # the category it holds
    other_categories: list  # categories it does not hold (another editor's, or unknown)
    tags: list  # tag keys (reference data)
    authors: list  # author keys (reference data, read-only)

    def of(self, model: str) -> list:
        return [r for r in self.records if r["model"] == model]


class Mutator:
    def __init__(self, rng: random.Random, world: World):
        self.rng = rng
        self.world = world
        self.used_ids: list[str] = []  # change ids pushed so far (canonical)

    # -- identifiers ---------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def temp_id(self) -> str:
        return f"tmp:{self.new_id()}"

    def stamp(self) -> str:
        return f"{self.rng.randrange(10**12, 10**13):013d}-{self.rng.randrange(10**4):04d}-fuzz"

    # -- plausible changes -------------------------------------------------------------

    def text(self, size: int = 30) -> str:
        words = ["budget", "vote", "harbour", "delayed", "again", "council", "Monday.", "the"]
        return " ".join(self.rng.choice(words) for _ in range(self.rng.randint(1, size // 5 + 1)))

    def plausible(self, model: str, name: str) -> Any:
        rng = self.rng
        choices = {
            "title": lambda: self.text(),
            "body": lambda: self.text(120),
            "status": lambda: rng.choice(["draft", "review", "published", "archived"]),
            "published_on": lambda: rng.choice([None, "2026-11-25", "2026-01-31"]),
            "featured": lambda: rng.random() < 0.5,
            "author": lambda: rng.choice([None, *self.world.authors]),
            "tags": lambda: rng.sample(
                self.world.tags, rng.randint(0, min(3, len(self.world.tags)))
            ),
            "section": lambda: int(self.world.category),
            "caption": lambda: self.text(),
            "credit": lambda: rng.choice(["", "Staff", "F. Haddad"]),
            "article": lambda: rng.choice(self.world.of("news.article") or [{"pk": None}])["pk"],
            "name": lambda: f"fuzz-{rng.randrange(10**6)}",
        }
        return choices.get(name, lambda: self.text())()

    def update(self, record: dict) -> dict:
        names = list(record["fields"])
        chosen = self.rng.sample(names, self.rng.randint(1, min(3, len(names))))
        values = {name: self.plausible(record["model"], name) for name in chosen}
        return {
            "id": self.new_id(),
            "op": "update",
            "model": record["model"],
            "pk": record["pk"],
            "base_version": record["version"],
            "base_values": {name: record["fields"][name] for name in chosen},
            "values": values,
            "category": self.world.category,
        }

    def create(self, model: str) -> dict:
        fields = {
            "news.photo": ["article", "caption", "credit"],
            "news.tag": ["name"],
            "news.article": ["section", "title", "body", "status", "featured", "tags"],
        }[model]
        pk = str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) if model == "news.article" \
            else self.temp_id()  # fmt: skip
        change = {
            "id": self.new_id(),
            "op": "create",
            "model": model,
            "pk": pk,
            "values": {name: self.plausible(model, name) for name in fields},
        }
        if model != "news.tag":
            change["category"] = self.world.category
        return change

    def delete(self, record: dict) -> dict:
        return {
            "id": self.new_id(), "op": "delete", "model": record["model"], "pk": record["pk"],
            "base_version": record["version"], "category": self.world.category,
        }  # fmt: skip

    def plausible_change(self) -> dict:
        roll = self.rng.random()
        records = self.world.records
        if roll < 0.6 and records:
            return self.update(self.rng.choice(records))
        if roll < 0.9:
            return self.create(self.rng.choice(["news.photo", "news.tag", "news.article"]))
        deletable = self.world.of("news.photo") + self.world.of("news.tag")
        return self.delete(self.rng.choice(deletable)) if deletable else self.create("news.tag")

    # -- what breaks them --------------------------------------------------------------

    def hostile_value(self) -> Any:
        rng = self.rng
        kind = rng.random()
        if kind < 0.3:
            return rng.choice(HOSTILE_TEXT)
        if kind < 0.55:
            return rng.choice(EDGES) * rng.choice([1, -1])
        if kind < 0.65:
            return rng.choice([None, True, False, 1.5, -0.0, 1e308, NAN, INF, -INF, 1e-320])
        if kind < 0.8:
            return rng.choice([[], {}, [1, "a"], {"a": {"b": [1]}}, [None], list(range(50))])
        if kind < 0.9:
            return nested(rng.choice([10, 30, 62, 63, 64, 65, 70, 200]))
        if kind < 0.95:
            return [rng.choice(EDGES) for _ in range(rng.randint(1, 5))]  # many-to-many keys
        return rng.choice([self.temp_id(), self.temp_id().upper(), "tmp:" + "x" * 100_000])

    def mutate_change(self, change: dict) -> tuple[dict, str]:
        rng = self.rng
        change = dict(change)
        roll = rng.random()
        if roll < 0.15 and self.used_ids:
            used = rng.choice(self.used_ids)
            change["id"] = rng.choice(spellings(used)) if rng.random() < 0.8 else used
            return change, "an id used before, in some spelling"
        if roll < 0.22:
            change["id"] = rng.choice(spellings(change["id"])[1:] + [
                "", "not-a-uuid", 17, None, change["id"] + "0", change["id"][:-1]])  # fmt: skip
            return change, "an id spelled otherwise"
        if roll < 0.4:
            key = rng.choice(list(change) + ["values", "base_values"])
            change[key] = self.hostile_value()
            return change, f"a hostile {key}"
        if roll < 0.62:
            part = rng.choice(["values", "base_values"])
            values = dict(change.get(part) or {}) if isinstance(change.get(part), dict) else {}
            name = rng.choice(list(values) or ["title"]) if rng.random() < 0.85 else \
                rng.choice(HOSTILE_TEXT[:12])  # fmt: skip
            values[name] = self.hostile_value()
            change[part] = values
            return change, f"a hostile value in {part}"
        if roll < 0.7:
            upper = "tmp:" + self.new_id().upper()
            change["pk"] = rng.choice([*EDGES, self.temp_id(), "tmp:" + "x" * 100_000, upper,
                                       "", "x" * 65, True, 1.0])  # fmt: skip
            return change, "a hostile pk"
        if roll < 0.76:
            change["base_version"] = rng.choice([*EDGES, -5, "1", 1.0, True, None])
            return change, "a hostile base_version"
        if roll < 0.82:
            change["hlc"] = rng.choice([self.stamp(), "not-a-stamp", "x" * 41,
                                        self.stamp() + "x" * 30,
                                        "1767225600000-0000-" + "x" * 100_000, 5, ""])  # fmt: skip
            return change, "a clock stamp"
        if roll < 0.88:
            change[rng.choice(["base_verison", "extra", "ID", "x" * 1000, ""])] = 1
            return change, "an unknown key"
        if roll < 0.93 and len(change) > 1:
            del change[rng.choice(list(change))]
            return change, "a key left out"
        change["op"] = rng.choice(["upsert", "", "CREATE", None, 1])
        return change, "a hostile op"

    def push(self) -> Request:
        rng = self.rng
        changes = [self.plausible_change() for _ in range(rng.choice([1, 1, 1, 2, 3, 5]))]
        kind = "plausible"
        if rng.random() < 0.75:
            index = rng.randrange(len(changes))
            changes[index], kind = self.mutate_change(changes[index])
        if rng.random() < 0.05 and changes:
            changes.append(dict(changes[0]))
            kind += ", a change twice"
        body: Any = {"changes": changes}
        if rng.random() < 0.03:
            body["dry_run"] = True
            kind += ", an unknown top-level key"
        ids = [c.get("id") for c in changes if isinstance(c, dict)]
        raw = self.raw_body() if rng.random() < 0.06 else None
        if raw is not None:
            return Request("POST", "push", raw[1], kind=raw[0])
        return Request("POST", "push", encode(body), kind=kind, change_ids=ids)

    def raw_body(self) -> tuple[str, bytes]:
        rng = self.rng
        depth = rng.choice([65, 900, 5_000, 50_000])
        choices = [
            ("nested deep", b'{"changes": ' + b"[" * depth + b"]" * depth + b"}"),
            ("a 5,000-digit number", b'{"changes": [], "n": ' + b"7" * 5_000 + b"}"),
            ("a huge exponent", b'{"changes": [{"id": 1e999999}]}'),
            ("cut off", b'{"changes": [{"id": "'),
            ("not UTF-8", b'{"changes": ["\xff\xfe"]}'),
            ("not an object", rng.choice([b"[]", b"null", b'"changes"', b"17"])),
            ("empty", b""),
            ("NaN", b'{"changes": [NaN]}'),
            ("a lone surrogate", b'{"changes": [{"id": "\\ud800"}]}'),
            ("a NUL", b'{"changes": [{"id": "\\u0000"}]}'),
            ("changes not a list", b'{"changes": {"0": {}}}'),
        ]
        return rng.choice(choices)

    def feed(self) -> Request:
        rng = self.rng
        params = {}
        for name in rng.sample(["since", "limit", "count", "models"], rng.randint(1, 3)):
            params[name] = rng.choice([
                *EDGES, "yesterday", "", "1e3", "１２", "-5", " 3", "0x10", "9" * 5000,
                "news.photo", "news.comment", ",", "news.tag", "true",
            ])  # fmt: skip
        category = self.world.category if rng.random() < 0.7 else self.category_id()
        path = "reference/changes" if rng.random() < 0.2 else f"categories/{category}/changes"
        return Request("GET", path, params=params, kind="feed query")

    def category_id(self) -> str:
        return quote(str(self.rng.choice([
            *self.world.other_categories, *EDGES, "abc", "%00", "１", "-1", "1.0", "x" * 300, " ",
        ])), safe="")  # fmt: skip

    def checkout(self) -> Request:
        category = self.world.category if self.rng.random() < 0.3 else self.category_id()
        return Request("POST", f"categories/{category}/checkout", b"", kind="checkout")

    def reviews(self) -> Request:
        rng = self.rng
        known = self.used_ids
        ids = [rng.choice(spellings(rng.choice(known)) if known else [self.new_id()])
               for _ in range(rng.randint(0, 3))]  # fmt: skip
        if rng.random() < 0.4:
            ids.append(self.hostile_value())
        body = rng.choice([{"ids": ids}, {"ids": self.hostile_value()}, {}])
        return Request("POST", "reviews", encode(body), kind="review outcomes")

    def next(self) -> Request:
        roll = self.rng.random()
        if roll < 0.75:
            return self.push()
        if roll < 0.87:
            return self.feed()
        if roll < 0.93:
            return self.checkout()
        return self.reviews()


@dataclass
class Figures:
    bodies: int = 0
    server_errors: list = field(default_factory=list)  # (kind, status, answer)
    refused_with_writes: list = field(default_factory=list)  # (kind, status, tables changed)
    double_applies: list = field(default_factory=list)  # (change id, first, later)
    statuses: dict = field(default_factory=dict)  # HTTP status -> count
    results: dict = field(default_factory=dict)  # change status -> count
    seconds: float = 0.0
    slowest: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.bodies} bodies in {self.seconds:.1f} s (slowest {self.slowest * 1000:.0f} ms): "
            f"{len(self.server_errors)} 5xx, {len(self.refused_with_writes)} refused with writes, "
            f"{len(self.double_applies)} double applies; "
            f"HTTP {dict(sorted(self.statuses.items()))}; "
            f"changes {dict(sorted(self.results.items()))}"
        )

    @property
    def clean(self) -> bool:
        return not (self.server_errors or self.refused_with_writes or self.double_applies)


class Oracle:
    """Judges each answer; `figures` says what it found."""

    def __init__(self):
        self.figures = Figures()
        self.first_answers: dict[str, dict] = {}  # canonical change id -> its first result

    def judge(self, request: Request, status: int, answer: Any, before, after) -> None:
        figures = self.figures
        figures.bodies += 1
        figures.statuses[status] = figures.statuses.get(status, 0) + 1
        if status >= 500:
            figures.server_errors.append((request.kind, status, str(answer)[:300]))
        if status >= 400 and before != after:
            changed = sorted(name for name in after if before.get(name) != after[name])
            figures.refused_with_writes.append((request.kind, status, changed))
        if request.path == "push" and status == 200 and isinstance(answer, dict):
            results = answer.get("results") or []
            if len(results) != len(request.change_ids):
                self.figures.double_applies.append(("(batch)", "one result per change", results))
            self.judge_results(results)

    def judge_results(self, results: list) -> None:
        """Answers to changes (a push's, an uploaded bundle's): each id's first answer stands."""
        for result in results:
            change_id = result.get("id")
            self.figures.results[result["status"]] = (
                self.figures.results.get(result["status"], 0) + 1
            )
            key = str(uuid.UUID(change_id))
            if change_id != key:  # only the canonical spelling is ever answered
                self.figures.double_applies.append(
                    (change_id, "answered in another spelling", result)
                )
            first = self.first_answers.setdefault(key, result)
            if first != result:
                self.figures.double_applies.append((change_id, first, result))

    def used_ids(self) -> list[str]:
        return list(self.first_answers)


# The tables a push, a bundle, a feed read or a checkout may write on the demo site.
DEMO_TABLES = [
    "news_section", "news_article", "news_article_tags", "news_photo", "news_tag", "news_author",
    "fieldsync_trackedrow", "fieldsync_feedcounter", "fieldsync_changereceipt",
    "fieldsync_reviewitem", "fieldsync_recordversion", "fieldsync_checkout", "fieldsync_recordflag",
]  # fmt: skip


def read_tables(cursor, tables: list[str]) -> dict:
    """Every row of each table, in key order, through any DB-API cursor (SQLite, PostgreSQL)."""
    found = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        found[table] = cursor.fetchall()
    return found


def run(
    count: int,
    seed: int,
    world: Callable[[], World],
    send: Callable[[Request], tuple[int, Any]],
    state: Callable[[], dict],
    *,
    refresh_every: int = 50,
) -> Figures:
    """Send `count` mutated requests; the oracle judges each against the tables' state."""
    rng = random.Random(seed)
    mutator = Mutator(rng, world())
    oracle = Oracle()
    started = time.perf_counter()
    before = state()
    for number in range(count):
        if number and number % refresh_every == 0:
            mutator.world = world()  # pull again: bases move as the fuzzer writes
            before = state()  # pulling renews the checkout
        mutator.used_ids = oracle.used_ids()
        request = mutator.next()
        sent = time.perf_counter()
        status, answer = send(request)
        oracle.figures.slowest = max(oracle.figures.slowest, time.perf_counter() - sent)
        after = state()
        oracle.judge(request, status, answer, before, after)
        before = after
    oracle.figures.seconds = time.perf_counter() - started
    return oracle.figures
