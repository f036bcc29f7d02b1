"""Resolve conflicts field by field: base, mine and theirs side by side, and the result.

For the current field the three versions stand next to each other with what
each side inserted and deleted marked against the base; below, the Result
pane shows exactly what will be kept. Choices are per field (take mine,
theirs, the suggested merge, or edit the result); accepting combines them
into one resolution through the sync engine's `resolve`, which queues the
result against the server's version. A record deleted on one side is
decided as a whole: keep it or let it go.

A file field in conflict shows each side's file (name, size, here or not)
and previews an image that is here; the content of the server's file is
downloaded in a worker when it is within the editor's download limit. A file
is taken whole, mine or theirs: there is no merge of two files to suggest and
no result to type.

A clean merge never comes here (the server or the sync applied it), so a
suggested merge on this screen is a machine's guess for the editor to read:
it is shown as a suggestion, never as merged, and never chosen for them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...client.conflict_loading import as_editable_text, field_of, load_views, shown_value
from ...client.conflict_view import ConflictView, FieldInConflict
from ...store import files, queries
from ...store.schema import FieldError, Schema
from ...sync import conflicts as resolution
from ..app import in_store_thread
from ..conflict_choices import (
    EDITED,
    MERGE,
    MINE,
    THEIRS,
    Choice,
    combine,
    edit_start,
    field_choice,
    ready_to_accept,
    undecided,
    whole_record_choices,
)
from ..messages import (
    ActionFailed,
    Event,
    RecordDeleted,
    RecordSaved,
    SyncFinished,
)
from ..widgets.conflict_result import ResultPane
from ..widgets.conflict_sides import ConflictSides
from ..widgets.conflict_summary import ConflictSummary
from ..widgets.status_bar import StatusBar


@dataclass
class ConflictsLoaded(Event):
    conflicts: list[ConflictView]
    schema: Schema


@dataclass
class ConflictResolved(Event):
    conflict_id: int
    model: str
    pk: str
    record_deleted: bool


def waits_for_load(action: Callable) -> Callable:
    """A key typed before the conflicts are on screen is kept and acted on once they are
    (the screen takes keys at once; its content comes from a worker)."""

    @functools.wraps(action)
    def wrapped(self: ConflictScreen, *args) -> None:
        if not self.loaded:
            self.typed_early.append((action, args))
            return
        action(self, *args)

    return wrapped


_FIELD_KEYS = Binding.Group("Next/prev field", compact=False)
_CONFLICT_KEYS = Binding.Group("Next/prev conflict", compact=False)
_WHILE_EDITING = {"keep_edit", "discard_edit"}


class ConflictScreen(Screen):
    CSS_PATH = "conflict.tcss"
    BINDINGS = [
        Binding("m", "take_mine", "Take mine", id="take_mine"),
        Binding("t", "take_theirs", "Take theirs", id="take_theirs"),
        Binding("g", "take_merge", "Take suggestion", id="take_merge"),
        Binding("e", "edit_result", "Edit result", id="edit_result", show=False),
        Binding("n", "next_field", "Next field", id="next_field", group=_FIELD_KEYS, show=False),
        Binding(
            "p",
            "previous_field",
            "Previous field",
            id="previous_field",
            group=_FIELD_KEYS,
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "next_conflict",
            "Next conflict",
            id="next_conflict",
            key_display="]",
            group=_CONFLICT_KEYS,
            show=False,
        ),
        Binding(
            "left_square_bracket",
            "previous_conflict",
            "Previous conflict",
            id="previous_conflict",
            key_display="[",
            group=_CONFLICT_KEYS,
            show=False,
        ),
        Binding("enter", "accept", "Accept", id="accept"),
        Binding("escape", "back", "Back", id="back"),
        # The footer holds the choices, Accept, Back and ? at 80 columns; moving
        # between fields and conflicts (n p ] [) and e to edit are in help and the palette.
        Binding("question_mark", "app.help", "Help", id="help"),
        Binding("ctrl+s", "app.sync", "Sync", id="sync", show=False),
    ]

    def __init__(self, schema: Schema | None = None):
        super().__init__()
        self.schema = schema if schema else None
        self.conflicts: list[ConflictView] = []
        self.index = 0
        self.field_index = 0
        self.choices: dict[int, dict[str, Choice]] = {}  # conflict id -> field -> choice
        self.versions: dict[int, int | None] = {}  # conflict id -> theirs_version seen
        self.editing = False
        self.accepting = False
        self.loaded = False
        self.fetch_tried: set[str] = set()  # file contents this screen tried to download
        self.typed_early: list[tuple[Callable, tuple]] = []  # keys pressed before the load

    def compose(self) -> ComposeResult:
        yield StatusBar("Conflicts", id="status")
        yield Static("Loading conflicts…", id="conflict-title")
        yield Static("", id="conflict-notice")
        yield ConflictSides(id="sides")
        yield ResultPane(id="result-pane")
        with VerticalScroll(id="fields-summary"):
            yield ConflictSummary("", id="summary-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#conflict-notice").display = False
        self.load()

    # -- loading and accepting (workers) ---------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="conflicts")
    @in_store_thread
    def load(self) -> None:
        try:
            schema = self.schema
            if schema is None:
                schema = queries.local_schema()
            views = load_views(schema)
            self.post_message(ConflictsLoaded(views, schema))
        except Exception as error:  # shown, never a traceback
            self.app.post_message(ActionFailed("Conflicts", str(error) or type(error).__name__))
            return
        if self._fetch_files(views):
            self.post_message(ConflictsLoaded(load_views(schema), schema))

    def _fetch_files(self, views: list[ConflictView]) -> bool:
        """In the worker: download the content of the files in conflict that are not
        here, each within the editor's download limit (tried once per screen: offline
        or refused, they stay "not downloaded"). True when any arrived."""
        limit = files.download_limit()
        wanted = {
            shown.info.sha256: getattr(item, side)
            for view in views
            for item in view.fields
            for side, shown in (item.files or {}).items()
            if shown.info and not shown.info.here and shown.info.size <= limit
        }
        arrived = False
        for sha256, value in wanted.items():
            if sha256 in self.fetch_tried:
                continue
            self.fetch_tried.add(sha256)
            try:
                self.app.engine().fetch_file(value)
                arrived = True
            except Exception:  # offline, refused: the side says "not downloaded"
                continue
        return arrived

    @work(thread=True, exclusive=True, exit_on_error=False, group="conflict-resolve")
    @in_store_thread
    def resolve(self, view: ConflictView, take: str, edited: dict | None) -> None:
        try:
            record = resolution.resolve(self.schema, view.id, take, edited)
        except Exception as error:  # a refused value, a conflict resolved elsewhere…
            self.app.post_message(ActionFailed("Not resolved", str(error)))
            self.app.call_from_thread(self._accept_ended)
            return
        self.post_message(ConflictResolved(view.id, view.model, view.pk, record is None))

    def _accept_ended(self) -> None:
        self.accepting = False

    # -- handlers -----------------------------------------------------------------------

    @on(ConflictsLoaded)
    def conflicts_loaded(self, message: ConflictsLoaded) -> None:
        current = self.current.id if self.current else None
        self.schema = message.schema
        self.conflicts = message.conflicts
        self.loaded = True
        if not self.conflicts:
            self.notify("No conflicts left.")
            self._leave()
            return
        for view in self.conflicts:
            seen = self.versions.get(view.id, view.theirs_version)
            if seen != view.theirs_version:
                self.choices.pop(view.id, None)
                self.notify(
                    f"“{view.title}” changed on the server again; its choices start over.",
                    severity="warning",
                )
            self.versions[view.id] = view.theirs_version
            if view.id not in self.choices:
                self.choices[view.id] = {}  # the editor chooses every field, a suggestion too
        ids = [view.id for view in self.conflicts]
        if current in ids:
            self.index = ids.index(current)
        else:
            self.index, self.field_index = min(self.index, len(ids) - 1), 0
        self.field_index = min(self.field_index, max(len(self.current.fields) - 1, 0))
        self.show()
        typed, self.typed_early = self.typed_early, []
        for action, args in typed:
            action(self, *args)

    @on(SyncFinished)
    def sync_finished(self) -> None:
        if not self.accepting:
            self.load()  # a pull may have changed a conflict (or added one)

    @on(ConflictResolved)
    def conflict_resolved(self, message: ConflictResolved) -> None:
        self.accepting = False
        done = RecordDeleted(message.model, message.pk)
        if not message.record_deleted:
            done = RecordSaved(message.model, message.pk, created=False)
        self.app.post_message(done)
        self.app.refresh_status()
        self.choices.pop(message.conflict_id, None)
        self.conflicts = [v for v in self.conflicts if v.id != message.conflict_id]
        self.notify("Resolved; the result is queued for the next sync.", title="Conflict")
        if not self.conflicts:
            self._leave()
            return
        self.index, self.field_index = min(self.index, len(self.conflicts) - 1), 0
        self.show()

    # -- what is shown ------------------------------------------------------------------

    @property
    def current(self) -> ConflictView | None:
        return self.conflicts[self.index] if self.conflicts else None

    @property
    def current_field(self) -> FieldInConflict | None:
        view = self.current
        if view is None or not view.fields:
            return None
        return view.fields[self.field_index]

    @property
    def result_text(self) -> str:
        """The Result pane's text, exactly as shown."""
        return self.query_one(ResultPane).text

    def show(self) -> None:
        view, current = self.current, self.current_field
        if view is None:
            return
        title = (
            f"[b]Conflict {self.index + 1} of {len(self.conflicts)}[/b] · "
            f"[b]{_esc(view.title)}[/b] ({view.model})"
        )
        if current is not None:
            position = f"field {self.field_index + 1} of {len(view.fields)}"
            title += f" · {position}: [b]{_esc(current.name)}[/b]"
        self.query_one("#conflict-title", Static).update(Content.from_markup(title))
        self._show_notice(view)
        self.query_one(ConflictSides).show(view, current)
        if not self.editing:
            self.query_one(ResultPane).show(view, current, self._choice(view, current))
        self._show_summary(view)
        self.refresh_bindings()

    def _show_notice(self, view: ConflictView) -> None:
        notice = self.query_one("#conflict-notice", Static)
        notice.display = view.whole_record
        if view.deleted_on_server:
            notice.update(
                f"∅ DELETED ON THE SERVER (v{view.theirs_version}) while you edited it.  "
                "m keeps yours (it is created again) · t accepts the deletion"
            )
        elif view.deleted_here:
            notice.update(
                "∅ YOU DELETED THIS RECORD; the server changed it since "
                f"(v{view.theirs_version}).  m deletes it anyway · t keeps the server's version"
            )

    def _show_summary(self, view: ConflictView) -> None:
        summary = self.query_one("#summary-text", ConflictSummary)
        summary.show(view, self.choices.get(view.id, {}), self.field_index)

    # -- choices ------------------------------------------------------------------------

    def _choice(self, view: ConflictView, current: FieldInConflict | None) -> Choice | None:
        choices = self.choices.get(view.id, {})
        if current is None:
            return next(iter(choices.values()), None)
        return choices.get(current.name)

    def _choose(self, take: str) -> None:
        view, current = self.current, self.current_field
        if view is None or self.editing:
            return
        if view.whole_record:
            self.choices[view.id] = whole_record_choices(view, take)
        elif current is not None:
            self.choices[view.id][current.name] = field_choice(current, take)
        self.show()

    @waits_for_load
    def action_take_mine(self) -> None:
        self._choose(MINE)

    @waits_for_load
    def action_take_theirs(self) -> None:
        self._choose(THEIRS)

    @waits_for_load
    def action_take_merge(self) -> None:
        view, current = self.current, self.current_field
        if view is None:
            return
        if view.whole_record:
            self.notify(
                "One side deleted this record: keep it (m) or let it go (t).",
                title="No suggestion",
                severity="warning",
            )
            return
        if current is None or current.suggestion is None:
            name = current.label if current else "this record"
            self.notify(
                f"There is no suggested merge for {name}: take mine (m), theirs (t) or edit (e).",
                title="No suggestion",
                severity="warning",
            )
            return
        self._choose(MERGE)

    # -- editing the result ---------------------------------------------------------------

    @waits_for_load
    def action_edit_result(self) -> None:
        view, current = self.current, self.current_field
        if view is None or current is None:
            return
        if view.whole_record:
            self.notify(
                "One side deleted this record: keep it (m) or let it go (t), then edit it "
                "in the record form.",
                severity="warning",
            )
            return
        if current.is_file:
            self.notify(
                f"A file is taken whole: mine (m) or theirs (t). To attach another, accept "
                f"one, then change {current.label} in the record form.",
                severity="warning",
            )
            return
        start = edit_start(current, self.choices[view.id].get(current.name))
        schema_field = field_of(self.schema.get(view.model), current.name)
        self.editing = True
        self.query_one(ResultPane).start_editing(
            current.label, as_editable_text(schema_field, start), one_line(schema_field)
        )
        self.refresh_bindings()

    def action_keep_edit(self) -> None:
        view, current = self.current, self.current_field
        if not self.editing or view is None or current is None:
            return
        text = self.query_one(ResultPane).typed
        schema_field = field_of(self.schema.get(view.model), current.name)
        if one_line(schema_field) and "\n" in text:
            self.notify(f"{current.label} holds one line: remove the line break, or esc.",
                        title="Not kept", severity="error")  # fmt: skip
            return
        try:
            value = schema_field.parse(text) if schema_field else text
        except FieldError as error:
            self.notify(f"{current.label}: {error}", title="Not kept", severity="error")
            return
        shown = shown_value(self.schema, view.model, schema_field, value, {})  # ids as typed
        self.choices[view.id][current.name] = Choice(EDITED, value, shown)
        self._stop_editing()

    def action_discard_edit(self) -> None:
        if self.editing:
            self._stop_editing()

    def _stop_editing(self) -> None:
        self.editing = False
        self.query_one(ResultPane).stop_editing()
        self.show()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.editing:
            return action in _WHILE_EDITING or action in ("help", "app.help")
        return action not in _WHILE_EDITING

    # -- moving -----------------------------------------------------------------------

    @waits_for_load
    def action_next_field(self) -> None:
        self._move_field(+1)

    @waits_for_load
    def action_previous_field(self) -> None:
        self._move_field(-1)

    def _move_field(self, step: int) -> None:
        view = self.current
        if view is None or len(view.fields) < 2:
            self.notify("This conflict has one field.")
            return
        self.field_index = (self.field_index + step) % len(view.fields)
        self.show()

    @waits_for_load
    def action_next_conflict(self) -> None:
        self._move_conflict(+1)

    @waits_for_load
    def action_previous_conflict(self) -> None:
        self._move_conflict(-1)

    def _move_conflict(self, step: int) -> None:
        if len(self.conflicts) < 2:
            self.notify("This is the only conflict.")
            return
        self.index = (self.index + step) % len(self.conflicts)
        self.field_index = 0
        self.show()

    def action_back(self) -> None:
        self.dismiss()

    def _leave(self) -> None:
        """Back to the main screen; if a help screen is open on top, once it closes."""
        if self.is_current:
            self.dismiss()

    def on_screen_resume(self) -> None:
        if self.loaded and not self.conflicts:
            self.dismiss()

    # -- accepting ----------------------------------------------------------------------

    @waits_for_load
    def action_accept(self) -> None:
        view = self.current
        if view is None or self.accepting:
            return
        choices = self.choices.get(view.id, {})
        if not ready_to_accept(view, choices):
            left = undecided(view, choices)
            if left:
                self.field_index = view.fields.index(left[0])
                self.show()
            names = ", ".join(f.label for f in left) or "the record"
            self.notify(f"Choose for {names} first.", title="Not accepted", severity="warning")
            return
        take, edited = combine(view, choices)
        self.accepting = True
        self.resolve(view, take, edited)


def one_line(schema_field) -> bool:
    """Fields the record form edits in a one-line input: all but text and JSON."""
    return schema_field is not None and schema_field.kind not in ("text", "json")


def _esc(text: str) -> str:
    return escape(text)
