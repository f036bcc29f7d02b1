"""The wire's own reading of a push (server_plugin/protocol/wire.py), in plain Python.

One spelling per change id, versions that are versions, temporary ids exactly
as clients make them, clock stamps in their format and their column, and JSON
bodies within bounds: anything else is a WireError naming the part, never a
value that reaches a column, a recursion or Python's integer parser.
"""

from __future__ import annotations

import json
import uuid

import pytest

from server_plugin.protocol import hlc, wire
from server_plugin.protocol.wire import WireError

CHANGE_ID = "3f2c8a1e-0d4b-4c1e-9a7f-0a1b2c3d4e5f"


def update(**extra) -> dict:
    change = {
        "id": CHANGE_ID,
        "op": "update",
        "model": "news.article",
        "pk": "6513270e-269e-4d37-b2a7-4de452e6b438",
        "base_version": 1,
        "base_values": {"title": "Old"},
        "values": {"title": "New"},
    }
    change.update(extra)
    return change


def where_refused(data) -> str:
    with pytest.raises(WireError) as refused:
        wire.parse_push(data)
    return refused.value.where


def test_a_change_in_the_protocols_shape_is_read_as_sent():
    stamp = hlc.tick(None, "laptop", now_ms=1767225600000)
    (change,) = wire.parse_push({"changes": [update(hlc=stamp, edit_kind="major", category=1)]})
    assert (change.id, change.base_version, change.hlc, change.category) == (
        CHANGE_ID,
        1,
        stamp,
        1,
    )


@pytest.mark.parametrize(
    "spelling",
    [
        CHANGE_ID.upper(),
        uuid.UUID(CHANGE_ID).hex,
        "{" + CHANGE_ID + "}",
        "urn:uuid:" + CHANGE_ID,
        " " + CHANGE_ID,
        CHANGE_ID[:-1] + "E",
    ],
)
def test_a_change_id_in_any_other_spelling_is_refused_naming_the_canonical_one(spelling):
    with pytest.raises(WireError) as refused:
        wire.parse_push({"changes": [update(id=spelling)]})
    assert refused.value.where == "changes[0].id"
    assert "lower case" in refused.value.detail
    if spelling.strip() == spelling and uuid.UUID(spelling) == uuid.UUID(CHANGE_ID):
        assert CHANGE_ID in refused.value.detail  # the spelling to use instead


@pytest.mark.parametrize("version", [-1, -(2**63), 2**63, 1.5, "1", True])
def test_a_base_version_is_a_whole_number_from_zero_within_64_bits(version):
    assert where_refused({"changes": [update(base_version=version)]}) == "changes[0].base_version"


@pytest.mark.parametrize(
    "pk",
    [
        "tmp:" + "x" * 100_000,
        "tmp:not-a-uuid",
        "tmp:" + CHANGE_ID.upper(),
        "tmp:" + uuid.UUID(CHANGE_ID).hex,
        "tmp:" + CHANGE_ID + " ",
        "x" * 65,
        "",
        2**63,
        -(2**63) - 1,
        1.0,
        [1],
    ],
    ids=lambda pk: repr(pk)[:50],
)
def test_a_key_is_a_bounded_string_an_exact_temporary_id_or_a_64_bit_integer(pk):
    assert where_refused({"changes": [update(pk=pk)]}) == "changes[0].pk"


def test_a_temporary_id_is_tmp_and_a_uuid_in_lower_case():
    made = wire.new_temp_pk()
    assert wire.is_temp_pk(made)
    (change,) = wire.parse_push({"changes": [update(op="create", pk=made)]})
    assert change.pk == made
    assert not wire.is_temp_pk(made.upper()) and not wire.is_temp_pk("tmp:" + "x" * 36)


@pytest.mark.parametrize(
    "stamp",
    ["not-a-stamp", "1767225600000-0000-" + "x" * 100_000, "١٧٦٧٢٢٥٦٠٠٠٠٠-0000-x", 17, ""],
    ids=["not-a-stamp", "100000-characters", "arabic-digits", "a-number", "empty"],
)
def test_a_clock_stamp_is_read_in_its_own_format_and_fits_its_column(stamp):
    assert where_refused({"changes": [update(hlc=stamp)]}) == "changes[0].hlc"


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"base_verison": 1}, "changes[0].base_verison"),
        ({"x" * 1000: 1}, "changes[0]." + "x" * 40 + "…"),
    ],
    ids=["a-typo", "1000-characters"],
)
def test_a_key_a_change_does_not_have_is_refused_by_name(extra, where):
    assert where_refused({"changes": [update(**extra)]}) == where


def test_a_push_has_only_changes():
    assert where_refused({"changes": [], "dry_run": True}) == "dry_run"


def test_a_model_label_fits_its_column_and_a_category_key_the_side_table():
    assert where_refused({"changes": [update(model="a." + "b" * 200)]}) == "changes[0].model"
    assert where_refused({"changes": [update(category="c" * 65)]}) == "changes[0].category"
    assert where_refused({"changes": [update(category=2**63)]}) == "changes[0].category"


# -- the JSON itself ------------------------------------------------------------------


def test_json_within_bounds_reads_as_json():
    text = json.dumps({"changes": [update(values={"attributes": {"a": [[1, 2.5, None]]}})]})
    assert wire.read_json(text) == json.loads(text)


@pytest.mark.parametrize("depth", [wire.MAX_JSON_DEPTH + 1, 900, 5_000, 100_000])
def test_json_nested_deeper_than_the_bound_is_refused(depth):
    text = "[" * depth + "]" * depth
    with pytest.raises(WireError) as refused:
        wire.read_json(text)
    assert "nested more than" in refused.value.detail


def test_json_nested_to_the_bound_is_read():
    depth = wire.MAX_JSON_DEPTH
    assert wire.read_json("[" * depth + "]" * depth) is not None


def test_deep_json_is_refused_naming_where_it_is():
    value = []
    for _ in range(wire.MAX_JSON_DEPTH):
        value = [value]
    with pytest.raises(WireError) as refused:
        wire.read_json(json.dumps({"changes": [update(values={"attributes": value})]}))
    assert refused.value.where.startswith("changes[0].values.attributes[0][0]")


@pytest.mark.parametrize(
    "number",
    ["1" * 5_000, "-" + "9" * 101, "1e400", "-1e400", "NaN", "Infinity", "-Infinity"],
    ids=lambda number: number[:12],
)
def test_numbers_beyond_what_json_and_the_columns_hold_are_refused(number):
    with pytest.raises(WireError) as refused:
        wire.read_json('{"changes": [], "n": ' + number + "}")
    assert refused.value.where == "body"


def test_a_number_of_a_hundred_digits_is_still_a_number():
    assert wire.read_json('{"n": ' + "9" * 100 + "}") == {"n": int("9" * 100)}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"changes": [{"id": "\\u0000"}]}', "changes[0].id"),
        ('{"changes": [{"values": {"title": "a\\ud800b"}}]}', "changes[0].values.title"),
        ('{"changes": [{"values": {"ti\\udfffle": 1}}]}', "changes[0].values"),
    ],
)
def test_text_no_backend_can_store_is_refused_naming_where_it_is(text, where):
    with pytest.raises(WireError) as refused:
        wire.read_json(text)
    assert refused.value.where == where


def test_a_surrogate_pair_is_one_character_and_fine():
    assert wire.read_json('{"t": "\\ud83d\\ude00"}') == {"t": "😀"}
