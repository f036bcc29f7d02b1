"""After a check-in the store no longer shows the category as this editor's: not
checked out, and this device gone from its holders, at once (the next sync's listing
need not be waited for); after a checkout it shows it as held here at once. Store-level,
in this process, against a real site."""

from __future__ import annotations


def politics() -> dict:
    from fieldsync_tui.store import queries

    return next(c for c in queries.categories() if c["name"] == "Politics")


def test_a_checked_in_category_is_no_longer_shown_as_mine(engine_on):
    engine_on().checkout("Politics")
    assert politics()["checked_out"]
    assert [h["device"] for h in politics()["holders"]] == ["in-process"]
    engine_on().sync()  # the server's listing names this device as the holder

    engine_on().checkin("Politics")

    shown = politics()
    assert not shown["checked_out"]
    assert shown["holders"] == [] and shown["held_by"] == "" and not shown["mine_elsewhere"]
