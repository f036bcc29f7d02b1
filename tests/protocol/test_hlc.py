"""Clock stamps (server_plugin/protocol/hlc.py): read in their own format, ordered
as the edits happened, and a stamp stored before they were checked never makes a
later write fail."""

from __future__ import annotations

import pytest

from server_plugin.protocol import hlc

NOON = 1767268800000  # 2026-01-01 12:00 UTC, in ms


def test_a_stamp_reads_back_as_what_tick_made():
    stamp = hlc.tick(None, "editor1_laptop", now_ms=NOON)
    assert stamp == "1767268800000-0000-editor1_laptop"
    assert hlc.parse(stamp) == hlc.Stamp(NOON, 0, "editor1_laptop")


def test_each_tick_is_later_than_the_last_even_when_the_clock_stood_behind():
    first = hlc.tick(None, "laptop", now_ms=NOON)
    behind = hlc.tick(first, "laptop", now_ms=NOON - 60_000)
    assert hlc.order(behind) > hlc.order(first)
    assert hlc.parse(behind) == hlc.Stamp(NOON, 1, "laptop")


def test_a_counter_past_four_digits_still_orders_by_number():
    nine, ten = "1767268800000-9999-a", "1767268800000-10000-a"
    assert hlc.order(ten) > hlc.order(nine)


@pytest.mark.parametrize(
    "text",
    ["not-a-stamp", "", "1767268800000-0000", "176726880000-0000-a", "x" * 41, None, 5],
)
def test_anything_else_is_not_a_stamp(text):
    assert not hlc.is_stamp(text)
    with pytest.raises(hlc.StampError):
        hlc.parse(text)


def test_a_stamp_is_at_most_as_long_as_its_column():
    fits = "1767268800000-0000-" + "n" * (hlc.MAX_LENGTH - 19)
    assert hlc.is_stamp(fits) and not hlc.is_stamp(fits + "n")


@pytest.mark.parametrize(
    "stored", ["not-a-stamp", "x" * 100_000, "", None], ids=["text", "long", "empty", "none"]
)
def test_a_stored_unreadable_stamp_is_no_stamp_never_an_error(stored):
    """Rows written before stamps were checked may hold anything: the next central
    write still gets a fresh stamp, and any real stamp is later."""
    assert hlc.tick(stored, "central", now_ms=NOON) == "1767268800000-0000-central"
    assert hlc.order("0000000000000-0000-x") > hlc.order(stored)
