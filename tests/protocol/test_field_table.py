"""The table of field types (server_plugin/protocol/fields.py), in plain Python.

What an editor types becomes the wire value the server stores; the wire value
reads back as the same Python value; equal values spelled differently compare
equal (so they never make a false conflict); and what the table refuses, it
refuses with words an editor understands.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server_plugin.protocol import fields, merge
from server_plugin.protocol.fields import FieldValueError

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
OFFSETS = [datetime.UTC, *(datetime.timezone(datetime.timedelta(minutes=m)) for m in (330, -480))]


def row(name: str) -> fields.FieldType:
    return fields.field_type(name)


# -- equal by value -------------------------------------------------------------


def test_decimals_compare_by_value_not_by_spelling():
    decimal_row = row("DecimalField")
    assert decimal_row.same("12.5", "12.500")
    assert decimal_row.same("12.5", 12.5)
    assert not decimal_row.same("12.5", "12.51")


def test_json_compares_by_structure():
    json_row = row("JSONField")
    assert json_row.same({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1.0})
    assert not json_row.same({"a": [1, 2]}, {"a": [2, 1]})
    assert not json_row.same({"flag": True}, {"flag": 1}), "true is not the number 1"
    assert not json_row.same({"glaze": "red"}, '{"glaze": "red"}'), "an object is not its text"


def test_datetimes_compare_as_instants_to_the_microsecond():
    moment = row("DateTimeField")
    assert moment.same("2026-11-25T10:42:00.123456+00:00", "2026-11-25T11:42:00.123456+01:00")
    assert moment.same("2026-11-25T10:42:00Z", "2026-11-25T10:42:00+00:00")
    assert not moment.same("2026-11-25T10:42:00.123456+00:00", "2026-11-25T10:42:00.123457+00:00")


def test_other_spellings_compare_equal():
    assert row("UUIDField").same(
        "3F2C0C8E-7B5A-4C43-9D5C-0A1B2C3D4E5F", "3f2c0c8e-7b5a-4c43-9d5c-0a1b2c3d4e5f"
    )
    assert row("GenericIPAddressField").same("2001:db8::1", "2001:0db8:0000::0001")
    assert row("FloatField").same(1, 1.0)
    assert row("DurationField").same("P0DT01H30M00S", "P0DT00H90M00S")


def test_a_many_to_many_value_compares_as_a_set():
    m2m = fields.type_of("ManyToManyField", "BigAutoField", temp_ids=True)
    assert m2m.same([3, 1, 2], [1, 2, 3])
    assert m2m.merge == merge.SET


def test_no_false_conflict_from_equal_values_spelled_differently():
    types = {"weight": row("DecimalField"), "seen": row("DateTimeField")}
    base = {"weight": "12.500", "seen": "2026-11-25T10:42:00+00:00"}
    theirs = {"weight": "12.5", "seen": "2026-11-25T11:42:00+01:00"}  # the same values
    mine = {"weight": "13.000"}
    result = merge.three_way_merge(base, mine, theirs, types)
    assert result.clean and result.values == {"weight": "13.000"}
    assert merge.changed_fields(base, theirs, types) == {}


# -- what an editor types ---------------------------------------------------------


def test_json_text_becomes_a_json_value_of_its_own_type():
    json_row = row("JSONField")
    assert json_row.parse('{"glaze": "red"}') == {"glaze": "red"}
    assert json_row.parse("[1, 2]") == [1, 2]
    assert json_row.parse('"red"') == "red"
    assert json_row.parse("3") == 3
    with pytest.raises(FieldValueError, match=r"not valid JSON: .*line 1, column"):
        json_row.parse("{glaze: red}")


def test_a_time_typed_without_an_offset_is_the_editors_local_time(in_new_york):
    typed = row("DateTimeField").parse("2026-11-25 10:42")
    assert typed == "2026-11-25T10:42:00-05:00"
    assert row("DateTimeField").same(typed, "2026-11-25T15:42:00+00:00")
    # and it is shown back in local time, so showing then parsing changes nothing
    shown = row("DateTimeField").show("2026-11-25T15:42:00.000250+00:00")
    assert shown == "2026-11-25 10:42:00.000250-05:00"
    assert row("DateTimeField").same(
        row("DateTimeField").parse(shown), "2026-11-25T15:42:00.00025Z"
    )


def test_the_wire_refuses_a_datetime_without_its_offset():
    with pytest.raises(FieldValueError, match="no time zone offset"):
        row("DateTimeField").check("2026-11-25T10:42:00")


def test_microseconds_survive_the_wire():
    moment = datetime.datetime(2026, 11, 25, 10, 42, 0, 123456, tzinfo=datetime.UTC)
    wire = row("DateTimeField").to_wire(moment)
    assert wire == "2026-11-25T10:42:00.123456+00:00"
    assert row("DateTimeField").check(wire) == moment


@pytest.mark.parametrize(
    ("typed", "wire"),
    [
        ("2:30:00", "P0DT02H30M00S"),
        ("1 day, 4:00:00", "P1DT04H00M00S"),
        ("90m", "P0DT01H30M00S"),
        ("1d 2h", "P1DT02H00M00S"),
        ("P1DT2H", "P1DT02H00M00S"),
        ("-1 day, 23:00:00", "-P0DT01H00M00S"),
        ("0:00:01.5", "P0DT00H00M01.500000S"),
    ],
)
def test_durations_typed_the_ways_people_write_them(typed, wire):
    assert row("DurationField").parse(typed) == wire


def test_integers_are_refused_outside_what_every_backend_stores():
    small = row("PositiveSmallIntegerField")
    assert small.parse(" 12 ") == 12
    with pytest.raises(FieldValueError, match="from 0 to 32767"):
        small.check(40000)
    with pytest.raises(FieldValueError, match="whole number"):
        small.check(True)
    with pytest.raises(FieldValueError, match="not a whole number"):
        small.parse("12.5")


def test_booleans_and_decimals_typed():
    assert row("BooleanField").parse("Yes") is True
    assert row("BooleanField").parse("") is None, "empty means unknown (a nullable boolean)"
    assert row("DecimalField").parse("12.500") == "12.500", "the editor's digits are kept"
    with pytest.raises(FieldValueError, match="not a decimal number"):
        row("DecimalField").parse("twelve")


def test_a_relation_takes_its_targets_type_and_temporary_ids():
    fk = fields.type_of("ForeignKey", "BigAutoField", temp_ids=True)
    assert fk.parse("12") == 12
    temp = f"tmp:{uuid.uuid4()}"
    assert fk.parse(temp) == temp
    by_code = fields.type_of("ForeignKey", "CharField")  # to_field="code", or a natural key
    assert by_code.parse("GLZ") == "GLZ"
    m2m = fields.type_of("ManyToManyField", "CharField")
    assert m2m.parse("clay, glass") == ["clay", "glass"]


def test_every_row_documents_its_wire_form_and_what_an_editor_types():
    for name, table_row in fields.TABLE.items():
        assert table_row.wire and table_row.typed, name
        assert table_row.merge in (merge.TEXT, merge.VALUE, merge.SET), name
    assert fields.TABLE["TextField"].merge == merge.TEXT
    assert fields.TABLE["CharField"].merge == merge.VALUE, "titles are never merged"


def test_a_type_the_table_does_not_know_is_not_supported():
    assert not fields.supported("ArrayField")
    assert not fields.supported("BinaryField")
    with pytest.raises(LookupError):
        fields.field_type("HStoreField")


# -- properties: parse, wire and compare agree for any value -------------------------


@settings(max_examples=150, deadline=None, derandomize=True)
@given(JSON_VALUES)
def test_any_json_value_round_trips_as_text_and_compares_equal_to_itself(value):
    json_row = row("JSONField")
    typed = json_row.parse(json_row.show(value))
    assert json_row.same(typed, value)
    assert json_row.same(json.loads(json.dumps(value)), value)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, min_value=-(10**6), max_value=10**6
    )
)
def test_decimals_round_trip_exactly(number):
    decimal_row = row("DecimalField")
    wire = decimal_row.to_wire(number)
    assert decimal_row.check(wire) == number
    assert decimal_row.same(decimal_row.parse(decimal_row.show(wire)), wire)
    assert decimal_row.same(wire, str(number.normalize()))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.datetimes(
        min_value=datetime.datetime(1900, 1, 1),
        max_value=datetime.datetime(2200, 1, 1),
        timezones=st.sampled_from(OFFSETS),
    )
)
def test_datetimes_round_trip_as_the_same_instant(moment):
    moment_row = row("DateTimeField")
    wire = moment_row.to_wire(moment)
    assert moment_row.check(wire) == moment
    assert moment_row.same(moment_row.parse(moment_row.show(wire)), wire)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.timedeltas(
        min_value=datetime.timedelta(days=-99999), max_value=datetime.timedelta(days=99999)
    )
)
def test_durations_round_trip(span):
    duration_row = row("DurationField")
    wire = duration_row.to_wire(span)
    assert duration_row.check(wire) == span
    assert duration_row.check(duration_row.parse(duration_row.show(wire))) == span


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.times())
def test_times_round_trip(clock):
    time_row = row("TimeField")
    wire = time_row.to_wire(clock)
    assert time_row.check(time_row.parse(time_row.show(wire))) == clock


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(-(2**63), 2**63 - 1), st.sampled_from(sorted(fields.TABLE)))
def test_integers_in_range_round_trip_and_out_of_range_are_refused(number, name):
    table_row = row(name)
    if table_row.bounds is None:
        return
    low, high = table_row.bounds
    if low <= number <= high:
        assert table_row.check(table_row.parse(table_row.show(number))) == number
    else:
        with pytest.raises(FieldValueError):
            table_row.check(number)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.uuids())
def test_uuids_in_any_spelling_parse_to_the_canonical_one(value):
    uuid_row = row("UUIDField")
    for spelling in (str(value).upper(), value.hex, f"{{{value}}}", value.urn):
        assert uuid_row.parse(spelling) == str(value)


def test_decimal_limits_are_exact():
    assert row("DecimalField").check("0.1") + row("DecimalField").check("0.2") == decimal.Decimal(
        "0.3"
    )


def test_the_docs_name_every_row_of_the_table():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "field-types.md").read_text()
    missing = [name for name in [*fields.TABLE, *fields.RELATIONS] if f"`{name}`" not in page]
    assert not missing, f"docs/field-types.md does not describe {missing}"


def test_a_local_time_that_does_not_exist_or_happens_twice_is_refused_not_moved():
    from tests.support.local_time import local_time_zone

    moment = row("DateTimeField")
    with local_time_zone("Europe/Berlin"):
        with pytest.raises(FieldValueError, match="does not exist in your time zone"):
            moment.parse("2026-03-29 02:30")  # the clocks jump from 02:00 to 03:00
        with pytest.raises(FieldValueError, match="happens twice"):
            moment.parse("2026-10-25 02:30")  # the clocks go back from 03:00 to 02:00
        assert moment.parse("2026-10-25 02:30+01:00") == "2026-10-25T02:30:00+01:00"
        assert moment.parse("2026-03-29 03:30") == "2026-03-29T03:30:00+02:00"


def test_durations_every_backend_stores_and_bare_seconds():
    duration = row("DurationField")
    assert duration.parse("45") == "P0DT00H00M45S"
    assert duration.parse("0") == "P0DT00H00M00S"
    assert duration.parse("1.5") == "P0DT00H00M01.500000S"
    assert duration.parse("106751991 days") == "P106751991DT00H00M00S"
    with pytest.raises(FieldValueError, match="too long"):
        duration.parse("999999999 days")  # a timedelta, but more microseconds than 64 bits
    with pytest.raises(FieldValueError, match="too long"):
        duration.check("P999999999DT00H00M00S")


def test_json_that_is_not_json_is_refused():
    json_row = row("JSONField")
    for text in ('{"a": NaN}', "Infinity", "-Infinity", "1e400", '[1, {"b": 1e999}]'):
        with pytest.raises(FieldValueError, match="not valid JSON"):
            json_row.parse(text)
    with pytest.raises(FieldValueError, match="not valid JSON"):
        json_row.check({"a": float("nan")})


def test_an_empty_address_is_no_address():
    address = row("GenericIPAddressField")
    assert address.parse("") is None and address.parse("  ") is None
    assert address.parse(" 192.0.2.1 ") == "192.0.2.1"
