"""The main screen: categories, the records of the selected one, the selected record."""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList

from ...client import session
from ...client.file_views import show_file
from ...store import files, queries
from ...store.schema import Schema
from ..app import in_store_thread
from ..messages import (
    CategoriesLoaded,
    ChangeDiscarded,
    RecordDeleted,
    RecordLoaded,
    RecordSaved,
    RecordsPageLoaded,
    SyncCancelled,
    SyncFailed,
    SyncFinished,
    WorkEnded,
)
from ..widgets.categories_list import CategoriesList
from ..widgets.record_detail import RecordDetail
from ..widgets.records_table import RecordsTable
from ..widgets.status_bar import StatusBar, when
from ..widgets.sync_progress import SyncProgress


class MainScreen(Screen):
    CSS_PATH = "main.tcss"
    # Below 100 columns the screen gets -narrow: main.tcss hides the categories
    # (b shows them again) and the detail pane, so the records keep their width.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("ctrl+s", "app.sync", "Sync", id="sync"),
        Binding("c", "check_out", "Check out", id="check_out"),
        Binding("i", "check_in", "Check in", id="check_in", show=False),
        Binding("enter", "edit", "Edit", id="edit"),
        Binding("n", "new", "New", id="new", show=False),
        Binding("d", "delete", "Delete", id="delete", show=False),
        Binding("u", "queue", "Queue", id="queue"),
        Binding("x", "conflicts", "Conflicts", id="conflicts"),
        Binding("slash", "find", "Find", id="find"),
        Binding("b", "toggle_categories", "Categories", id="toggle_categories"),
        Binding("question_mark", "app.help", "Help", id="help"),
        Binding("escape", "clear_find", "Clear find", id="clear_find", show=False),
        # No description: the palette lists Quit once, from the app (ctrl+q).
        Binding("q", "app.quit", "", id="main.quit", show=False),
    ]

    def __init__(self):
        super().__init__()
        self.schema: Schema | None = None
        self.category_key: str | None = None
        self.find_text = ""
        self._request = 0
        self._find_timer = None

    def action_toggle_categories(self) -> None:
        """Show or hide the categories pane (hidden by default when narrow); shown, it
        takes the keys, hidden, the records have them."""
        self.toggle_class("-categories-toggled")
        self.call_after_refresh(self._focus_shown_pane, move_to_categories=True)

    def on_resize(self) -> None:
        self.call_after_refresh(self._focus_shown_pane)

    def _focus_shown_pane(self, move_to_categories: bool = False) -> None:
        """Never leave the keys with a hidden pane (or nobody) at a narrow width."""
        categories, records = self.query_one(CategoriesList), self.query_one(RecordsTable)
        if categories.display:
            if move_to_categories:
                categories.focus()
        elif self.focused is None or self.focused is categories or not self.focused.display:
            records.focus()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="panes"):
            yield CategoriesList(id="categories")
            with Vertical(id="records-pane"):
                yield Input(placeholder="Find by title as you type, esc to clear", id="find")
                yield RecordsTable(id="records")
                yield Label("", id="range")
                yield SyncProgress()
            yield RecordDetail(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#find").display = False
        self.query_one(RecordsTable).border_title = "Records"
        self.load_schema()
        self.app.load_categories(refresh=True)

    # -- loading (workers) --------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="schema")
    @in_store_thread
    def load_schema(self) -> None:
        schema = queries.local_schema()
        line = session.account_line()
        self.app.call_from_thread(self._schema_loaded, schema, line)

    def _schema_loaded(self, schema: Schema, line: str) -> None:
        self.schema = schema
        self.app.account_line = line
        table = self.query_one(RecordsTable)
        table.status_fields = {
            label: next((f.name for f in model.fields if f.kind == "choice"), "")
            for label, model in schema.models.items()
        }
        table.model_names = {
            label: model.verbose_name[:1].upper() + model.verbose_name[1:]
            for label, model in schema.models.items()
        }
        if table.rows_shown:  # drawn before the schema came: again, with the models' names
            table.show_page(table.rows_shown, table.first_index, table.total, "keep")

    def load_records(
        self, *, after=None, before=None, at_end=False, from_row=None, cursor="first"
    ) -> None:
        """Load a window: the first one, the rows after or before a row, from a row on
        (itself included), or the category's last (`at_end`); `cursor` as show_page."""
        if self.category_key is None:
            return
        self._request += 1
        where = (
            ("after", after) if after is not None
            else ("before", before) if before is not None
            else ("from", from_row) if from_row is not None
            else ("end", None) if at_end
            else ("after", None)
        )  # fmt: skip
        self._records_worker(self.category_key, where, cursor, self.find_text, self._request)

    def reload_records(self, cursor="keep") -> None:
        """The same window again (its rows may have changed), not the category's first
        unless it is the first (then a record new at its top shows too)."""
        table = self.query_one(RecordsTable)
        shown = table.rows_shown if table.has_previous else None
        self.load_records(from_row=shown[0] if shown else None, cursor=cursor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="records")
    @in_store_thread
    def _records_worker(self, key, where, cursor, find, request_id) -> None:
        if isinstance(cursor, dict) and "id" not in cursor:  # named as the wire names it
            cursor = {"id": queries.row_id_of(cursor["model"], cursor["pk"])}
        rows = _window(key, where, find)
        followed = cursor.get("id") if isinstance(cursor, dict) else None
        if followed is not None and followed not in {row["id"] for row in rows}:
            moved = queries.record(followed)  # e.g. a new title sorts it elsewhere
            if moved is not None and moved["category_key"] == key:
                found = _window(key, ("from", moved), find)
                rows = found if any(row["id"] == followed for row in found) else rows
        total = queries.record_count(key, find=find)
        first = queries.position_of(key, rows[0]["title"], rows[0]["id"], find=find) if rows else 0
        message = RecordsPageLoaded(key, rows, total, first, request_id)
        message.cursor = cursor
        self.post_message(message)

    @work(thread=True, exclusive=True, exit_on_error=False, group="record")
    @in_store_thread
    def load_record(self, row_id: int) -> None:
        record = queries.record(row_id)
        if record is not None and self.schema:
            record["labels"] = _related_labels(self.schema, record)
            record["files"] = _shown_files(self.schema, record)
        self.post_message(RecordLoaded(record))

    # -- handlers -------------------------------------------------------------------

    @on(CategoriesLoaded)
    def categories_loaded(self, message: CategoriesLoaded) -> None:
        categories = self.query_one(CategoriesList)
        categories.show(message.categories)
        self._select_category(categories.selected_key, cursor="keep")

    @on(OptionList.OptionHighlighted, "#categories")
    def category_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self.category_key:
            self._select_category(event.option.id)

    def _select_category(self, key: str | None, cursor: str = "first") -> None:
        same = key == self.category_key
        self.category_key = key
        category = self.query_one(CategoriesList).selected
        table = self.query_one(RecordsTable)
        if category is None:
            table.border_title = "Records"
            return
        table.border_title = f"{category['name']} — {holder_words(category)}"
        if same and cursor == "keep":
            self.reload_records()
        else:
            self.load_records()

    @on(RecordsPageLoaded)
    def records_loaded(self, message: RecordsPageLoaded) -> None:
        if message.request_id != self._request:
            return  # an older answer overtaken by a newer request
        table = self.query_one(RecordsTable)
        table.show_page(message.rows, message.first_index, message.total, message.cursor)
        found_none = self.find_text and not message.total
        shown = f"No records match “{self.find_text}”" if found_none else table.range_text
        self.query_one("#range", Label).update(shown)
        current = table.current
        if current is None:
            self.query_one(RecordDetail).show(self.schema, None)
        else:  # a reload keeping the cursor where it was highlights no row: show it here
            self.load_record(current["id"])

    @on(RecordsTable.RowHighlighted)
    def row_highlighted(self, event: RecordsTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self.load_record(int(event.row_key.value))

    @on(RecordsTable.RowSelected)
    def row_selected(self, event: RecordsTable.RowSelected) -> None:
        self.action_edit()

    @on(RecordLoaded)
    def record_loaded(self, message: RecordLoaded) -> None:
        record = message.record
        labels = record.pop("labels", {}) if record else {}
        shown_files = record.pop("files", {}) if record else {}
        self.query_one(RecordDetail).show(self.schema, record, labels, shown_files)

    @on(RecordSaved)
    @on(RecordDeleted)
    @on(ChangeDiscarded)
    def record_changed(self, message) -> None:
        """The window stays where it was, the cursor on the edited row (followed if a new
        title sorts it elsewhere)."""
        current = self.query_one(RecordsTable).current
        saved = isinstance(message, RecordSaved)
        if saved and message.created:  # to the new record, wherever its title sorts
            cursor = {"model": message.model, "pk": message.pk}
        elif saved and current:
            cursor = {"id": current["id"]}
        else:
            cursor = "keep"
        self.reload_records(cursor=cursor)
        self.app.refresh_status()

    @on(SyncFinished)
    @on(SyncFailed)
    @on(SyncCancelled)
    @on(WorkEnded)
    def sync_ended(self, message) -> None:
        self.reload_records()

    # -- actions --------------------------------------------------------------------

    def _category(self) -> dict | None:
        category = self.query_one(CategoriesList).selected
        if category is None:
            self.notify("Choose a category first.", severity="warning")
        return category

    def action_check_out(self) -> None:
        from .confirm import ConfirmScreen

        category = self._category()
        if category is None:
            return
        if category["checked_out"]:
            self.notify(f"{category['name']} is already checked out to you.")
            return
        if category.get("mine_elsewhere"):
            self.app.push_screen(
                ConfirmScreen(take_over_question(category), "Take over"),
                lambda yes: yes and self.app.check_out(category["key"], take_over=True),
            )
            return
        if category["holders"]:
            holder = category["holders"][0]
            self.notify(
                f"{category['name']} is held by {holder['user']} ({holder['device']})"
                f"{_since(holder)}.",
                severity="warning",
            )
            return
        question = f"Check out {category['name']} ({category['records']:,} records)?"
        self.app.push_screen(
            ConfirmScreen(question, "Check out"),
            lambda yes: yes and self.app.check_out(category["key"]),
        )

    def action_check_in(self) -> None:
        from .confirm import ConfirmScreen

        category = self._category()
        if category is None:
            return
        if not category["checked_out"]:
            self.notify(_not_here(category), severity="warning")
            return
        question = (
            f"Check in {category['name']}? Queued changes are pushed first, "
            "then the category is released and its local copy removed."
        )
        self.app.push_screen(
            ConfirmScreen(question, "Check in"),
            lambda yes: yes and self.app.check_in(category["key"]),
        )

    def _editable_record(self) -> dict | None:
        record = self.query_one(RecordsTable).current
        if record is None:
            self.notify("No record selected.", severity="warning")
        return record

    def action_edit(self) -> None:
        from .record_form import RecordFormScreen

        record = self._editable_record()
        if record is not None and self.schema:
            if record["conflicted"]:
                self.action_conflicts()
                return
            self.app.push_screen(RecordFormScreen(self.schema, record_id=record["id"]))

    def action_new(self) -> None:
        from .record_form import RecordFormScreen

        category = self._category()
        if category is None or not self.schema:
            return
        if not category["checked_out"]:
            self.notify(_not_here(category), severity="warning")
            return
        self.app.push_screen(RecordFormScreen(self.schema, category_key=category["key"]))

    def action_delete(self) -> None:
        from .confirm import ConfirmScreen

        record = self._editable_record()
        if record is None:
            return
        self.app.push_screen(
            ConfirmScreen(f"Delete “{record['title']}”? The deletion is queued.", "Delete"),
            lambda yes: yes and self._delete(record),
        )

    @work(thread=True, exit_on_error=False, group="edit")
    @in_store_thread
    def _delete(self, record: dict) -> None:
        from ...store import edits

        try:
            edits.delete_record(self.schema, record["model"], record["object_pk"])
        except edits.EditError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.post_message(RecordDeleted(record["model"], record["object_pk"]))

    def action_queue(self) -> None:
        from .queue import QueueScreen

        self.app.push_screen(QueueScreen())

    def action_conflicts(self) -> None:
        from .conflict import ConflictScreen

        if self.app.status is not None and not self.app.status.conflicts:
            self.notify("No conflicts.")
            return
        self.app.push_screen(ConflictScreen(self.schema))

    def action_find(self) -> None:
        box = self.query_one("#find", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#find")
    def find_changed(self, event: Input.Changed) -> None:
        """Filter as the editor types, once they pause (each key would cost a query)."""
        if self._find_timer is not None:
            self._find_timer.stop()
        self._find_timer = self.set_timer(FIND_PAUSE, self._apply_find)

    def _apply_find(self) -> None:
        """Timer callback: only starts the records worker."""
        self._find_timer = None
        text = self.query_one("#find", Input).value.strip()
        if text != self.find_text:
            self.find_text = text
            self.load_records()

    @on(Input.Submitted, "#find")
    def find_submitted(self, event: Input.Submitted) -> None:
        self._apply_find()
        self.query_one(RecordsTable).focus()

    def action_clear_find(self) -> None:
        box = self.query_one("#find", Input)
        if box.display or self.find_text:
            if self._find_timer is not None:
                self._find_timer.stop()
                self._find_timer = None
            box.value, self.find_text, box.display = "", "", False
            self.load_records()
            self.query_one(RecordsTable).focus()


FIND_PAUSE = 0.25  # seconds of no typing before the find filters


def holder_words(category: dict) -> str:
    """Who holds the category, for the records pane's title."""
    if category["checked_out"]:
        return "checked out by you"
    if category.get("held_by"):
        return f"held by {category['held_by']}"
    if category["holders"]:
        return f"held by {category['holders'][0]['user']}"
    return "not checked out (c to check out)"


def _not_here(category: dict) -> str:
    """Why a category not checked out here cannot be checked in or added to, and the way
    out: `c` checks it out, or takes it over from the editor's other device."""
    name = category["name"]
    if category.get("mine_elsewhere"):
        return f"{name} is held by {category['held_by']}: press c to take it over to this device."
    if category.get("held_by"):
        return f"{name} is held by {category['held_by']}, not by you."
    return f"{name} is not checked out on this device: press c to check it out."


def take_over_question(category: dict) -> str:
    """The take-over's question: the other device, and what becomes of its work."""
    name = category["name"]
    return (
        f"{name} is held by {category['held_by']}. Take {name} over to this device? "
        f"What the other device has not synced of {name} can no longer be pushed: at "
        f"its next sync it is set aside in that device's set-aside folder, and its copy "
        f"of {name} is removed."
    )


def _window(key: str, where: tuple, find: str) -> list[dict]:
    """A window of rows by keyset: ("after", row|None), ("before", row), ("from", row),
    the row itself included, or ("end", None), the category's last."""
    kind, row = where
    if kind == "end":
        return queries.page_before(key, None, find=find)
    if kind == "before":
        return queries.page_before(key, (row["title"], row["id"]), find=find)
    if kind == "from":  # ids are integers: just below this id, this row comes first
        return queries.page_after(key, (row["title"], row["id"] - 1), find=find)
    return queries.page_after(key, (row["title"], row["id"]) if row else None, find=find)


def _since(holder: dict) -> str:
    """The " since 10:42" of a holder, from its ISO timestamp; empty if it has none."""
    try:
        return f" since {when(datetime.fromisoformat(holder['since']))}"
    except (KeyError, TypeError, ValueError):
        return ""


def _shown_files(schema: Schema, record: dict) -> dict:
    """Each file field as the detail pane shows it (an image's preview read here)."""
    model = schema.get(record["model"])
    return {
        field.name: show_file(record["values"].get(field.name), image=files.is_image_field(field))
        for field in files.file_fields(model)
    }


def _related_labels(schema: Schema, record: dict) -> dict:
    """Names instead of ids for foreign keys and many-to-many values."""
    model = schema.get(record["model"])
    labels = {}
    for field in model.fields:
        value = record["values"].get(field.name)
        if field.kind not in ("fk", "m2m") or value in (None, []):
            continue
        keys = [str(v) for v in (value if isinstance(value, list) else [value])]
        names = queries.names_of(schema, field.related_model, keys)
        labels[field.name] = ", ".join(names.get(k, k) for k in keys)
    return labels
