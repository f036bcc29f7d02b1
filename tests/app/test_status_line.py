"""The status line shortens its least important parts first instead of being cut."""

from fieldsync_tui.app.widgets.status_bar import Part, abbreviate, cells

LINE = [
    Part(("[b]editor1@central[/b]   ", ""), yields=0),
    Part(("[b]● ONLINE[/]",)),
    Part((" · synced 10:42", " · 10:42", ""), yields=2),
    Part((" · 3 queued",)),
    Part((" · [dim]no conflicts[/dim]", ""), yields=1),
]


def plain(markups):
    return (
        "".join(markups)
        .replace("[b]", "")
        .replace("[/b]", "")
        .replace("[/]", "")
        .replace("[dim]", "")
        .replace("[/dim]", "")
    )


def test_a_wide_line_is_kept_whole():
    assert (
        plain(abbreviate(LINE, 200))
        == "editor1@central   ● ONLINE · synced 10:42 · 3 queued · no conflicts"
    )


def test_the_account_goes_first_then_no_conflicts_then_the_sync_word():
    assert plain(abbreviate(LINE, 50)) == "● ONLINE · synced 10:42 · 3 queued · no conflicts"
    assert plain(abbreviate(LINE, 40)) == "● ONLINE · synced 10:42 · 3 queued"
    assert plain(abbreviate(LINE, 30)) == "● ONLINE · 10:42 · 3 queued"
    assert plain(abbreviate(LINE, 20)) == "● ONLINE · 3 queued"


def test_online_queued_and_conflicts_are_never_dropped():
    line = LINE[:4] + [Part((" · [b]⚠ 2 conflicts[/]",))]
    assert plain(abbreviate(line, 5)) == "● ONLINE · 3 queued · ⚠ 2 conflicts"


def test_every_result_fits_when_it_can():
    for width in range(20, 90):
        assert cells("".join(abbreviate(LINE, width))) <= width
