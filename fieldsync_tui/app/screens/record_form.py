"""Edit or create a record in a form built from the server's schema.

Text area for long text, inputs for short text, numbers and dates, a switch
for booleans, a select for choices and foreign keys (local records of the
target model), a selection list for many-to-many. Save checks every field
first; a wrong value is marked on its field with the reason, and nothing is
saved until all are right.

A file field shows its file (name, size, here or not) and takes keys while
focused: attach a file of this computer (typed with completion, or picked),
clear it, open it with the system's program, or save a copy somewhere;
content that is not here is downloaded first, in a worker. An attached file
is a value like any other: saved with the form (ctrl+s), dropped with it (esc).
"""

from __future__ import annotations

import json
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Static,
    Switch,
    TextArea,
)

from ...store import edits, files, queries
from ...store.schema import SERVER_DEFAULT, FieldError, FieldSchema, ModelSchema, Schema
from .. import file_opening
from ..app import in_store_thread
from ..messages import (
    ActionFailed,
    FileAttached,
    FileCopySaved,
    FileDownloaded,
    FileOpened,
    FileRefused,
    RecordSaved,
)
from ..widgets.file_field import FileField
from .file_path import SAVE, FilePathScreen

CHOICES_SHOWN = 500  # a select lists at most this many local records


class RecordFormScreen(Screen):
    CSS_PATH = "record_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(
        self,
        schema: Schema,
        *,
        record_id: int | None = None,
        category_key: str | None = None,
        model_label: str | None = None,
    ):
        super().__init__()
        self.schema = schema
        self.record_id = record_id
        self.category_key = category_key
        self.model: ModelSchema | None = (
            schema.get(model_label) if model_label else _default_model(schema)
        )
        self.record: dict | None = None
        self.options: dict[str, list[tuple[str, object]]] = {}
        self.file_infos: dict[str, files.FileInfo | None] = {}
        self.attached: list[dict] = []  # files copied in for this form: forgotten unless saved
        self._as_built: dict | None = None  # the widgets' values when the form was filled in
        self._typed_early = ""  # printable keys typed before the fields existed

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="form-title")
        with Horizontal(id="model-choice"):
            yield Label("Kind of record ")
            yield Select(
                [(m.verbose_name, m.label) for m in self._creatable_models()],
                value=self.model.label if self.model else Select.NULL,
                allow_blank=False,
                id="model",
            )
        yield VerticalScroll(id="fields")
        yield Label("", id="form-error")
        yield Footer()

    def _creatable_models(self) -> list[ModelSchema]:
        return [m for m in self.schema.models.values() if not m.reference and m.writable] or list(
            self.schema.models.values()
        )

    def on_mount(self) -> None:
        self.query_one("#model-choice").display = self.record_id is None
        self.load()

    @on(Select.Changed, "#model")
    def model_changed(self, event: Select.Changed) -> None:
        if self.record_id is None and event.value != (self.model.label if self.model else None):
            self.model = self.schema.get(event.value)
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="form")
    @in_store_thread
    def load(self) -> None:
        record = queries.record(self.record_id) if self.record_id is not None else None
        model = self.schema.get(record["model"]) if record else self.model
        options = {}
        for field in model.fields:
            if field.kind in ("fk", "m2m"):
                options[field.name] = _related_options(self.schema, field)
        values = record["values"] if record else {}
        infos = {f.name: files.describe(values.get(f.name)) for f in files.file_fields(model)}
        self.app.call_from_thread(self._build, model, record, options, infos)

    async def _build(
        self, model: ModelSchema, record: dict | None, options: dict, infos: dict
    ) -> None:
        self.model, self.record, self.options, self.file_infos = model, record, options, infos
        values = record["values"] if record else {f.name: f.empty_value() for f in model.fields}
        values = {name: None if v is SERVER_DEFAULT else v for name, v in values.items()}
        if record is None and self.category_key and model.category_field:
            field = model.field(model.category_field)
            if field.related_model == self.schema.category_model:
                values[field.name] = field.parse(self.category_key)
        title = self.query_one("#form-title", Static)
        if record:
            name = escape(record["title"] or record["object_pk"])
            title.update(f"[b]Edit[/b] — {name} ({model.label})   [dim]ctrl+s save · esc cancel[/]")
        else:
            title.update(
                f"[b]New {escape(model.verbose_name)}[/b] ({model.label})   "
                "[dim]ctrl+s save · esc cancel[/]"
            )
        container = self.query_one("#fields", VerticalScroll)
        await container.remove_children()
        widgets = []
        for field in model.fields:
            if not field.editable:
                continue
            required = not field.blank and not (field.kind == "boolean" and not field.null)
            widgets.append(Label(field.label + (" *" if required else ""), classes="field-label"))
            widgets.append(self._widget_for(field, values.get(field.name)))
            widgets.append(Label("", id=f"error-{field.name}", classes="field-error"))
        if model.policy == "major-minor":
            widgets.append(Label("Edit kind", classes="field-label"))
            widgets.append(
                RadioSet(
                    RadioButton("minor", value=True, id="kind-minor"),
                    RadioButton("major", id="kind-major"),
                    id="edit-kind",
                )
            )
        await container.mount_all(widgets)
        self._as_built = self._widget_values()
        first = container.query("Input, TextArea, Select, Switch, SelectionList, FileField").first()
        if self._typed_early:  # typed while loading: into the first field that takes text
            first = container.query("Input, TextArea").first() or first
            _type_into(first, self._typed_early)
            self._typed_early = ""
        if first is not None:
            first.focus()

    def on_key(self, event) -> None:
        """Keys typed while the form fills in are kept for its first field, not lost."""
        if self._as_built is None and event.is_printable and event.character:
            self._typed_early += event.character
            event.stop()

    def _widget_for(self, field: FieldSchema, value):
        wid = f"field-{field.name}"
        kind = field.kind
        if files.is_file_field(field):
            return FileField(field, value, self.file_infos.get(field.name), id=wid)
        if kind == "text":
            return TextArea(value or "", id=wid, soft_wrap=True, classes="text-field")
        if kind == "json":
            text = "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
            return TextArea(text, id=wid, soft_wrap=True, classes="json-field")
        if kind == "boolean" and field.null:
            # Three states: a switch would turn "unknown" into "no" on any save.
            return Select(
                [("yes", True), ("no", False)],
                value=Select.NULL if value is None else bool(value),
                allow_blank=True,
                prompt="unknown",
                id=wid,
            )
        if kind == "boolean":
            return Switch(value=bool(value), id=wid)
        if kind == "choice":
            return Select(
                [(str(label), v) for v, label in field.choices],
                value=value if value is not None else Select.NULL,
                allow_blank=field.blank or field.null,
                id=wid,
            )
        if kind == "fk":
            options = list(self.options.get(field.name, []))
            if value is not None and value not in [v for _, v in options]:
                options.insert(0, (f"{value}", value))
            return Select(
                options,
                value=value if value is not None else Select.NULL,
                allow_blank=field.null or field.blank,
                id=wid,
                prompt=f"choose {field.related_model.split('.')[-1]}",
            )
        if kind == "m2m":
            chosen = set(value or [])
            return SelectionList(
                *[(label, v, v in chosen) for label, v in self.options.get(field.name, [])],
                id=wid,
                classes="m2m-field",
            )
        placeholder = {
            "date": "YYYY-MM-DD",
            "datetime": "YYYY-MM-DD HH:MM (your local time), or now",
            "time": "HH:MM",
            "duration": "H:MM:SS, 1 day, 2:00:00, 90m",
            "decimal": "a number like 12.5",
            "uuid": "a UUID",
        }.get(kind, "")
        if field.default_callable == "server" and self.record is None:
            placeholder = "leave empty: the central site fills it in"
        return Input(
            field.show(value),
            placeholder=placeholder,
            id=wid,
            max_length=field.max_length or 0,
            select_on_focus=False,  # a stray key must not replace a value the editor kept
        )

    # -- saving -------------------------------------------------------------------

    def collect(self) -> tuple[dict, dict]:
        """Values from the widgets, parsed and checked: (values, errors)."""
        values, errors = {}, {}
        for field in self.model.fields:
            if not field.editable:
                continue
            widget = self.query_one(f"#field-{field.name}")
            if self._left_to_server(field, widget):
                continue
            try:
                values[field.name] = _value_of(field, widget)
            except FieldError as error:
                errors[field.name] = str(error)
        return values, errors

    def _left_to_server(self, field: FieldSchema, widget) -> bool:
        """A new record's field the central site fills in, left empty here."""
        return (
            self.record is None
            and field.default_callable == "server"
            and isinstance(widget, Input)
            and not widget.value.strip()
        )

    def show_errors(self, errors: dict) -> None:
        for field in self.model.fields:
            if not field.editable:
                continue
            message = errors.get(field.name, "")
            label = self.query_one(f"#error-{field.name}", Label)
            label.update(f"✗ {message}" if message else "")
            label.set_class(bool(message), "-shown")
            self.query_one(f"#field-{field.name}").set_class(bool(message), "-invalid")
        summary = self.query_one("#form-error", Label)
        bad = [f.name for f in self.model.fields if f.editable and f.name in errors]
        if bad:  # the first bad field, in the form's order: where the editor goes next
            label = self.model.field(bad[0]).label
            summary.update(f"✗ {label}: {errors[bad[0]]}  (nothing saved)")
            self.query_one(f"#field-{bad[0]}").focus()
        else:
            summary.update("")

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    @on(SelectionList.SelectedChanged)
    def field_changed(self, event) -> None:
        """A field's message goes as soon as its value is right (checked offline)."""
        widget = event.control
        name = (widget.id or "").removeprefix("field-")
        if self.model is None or name == widget.id or not self.query(f"#error-{name}.-shown"):
            return
        try:
            _value_of(self.model.field(name), widget)
        except FieldError:
            return  # still wrong: the message stays
        self._field_error(name, "")
        if not self.query(".field-error.-shown"):
            self.query_one("#form-error", Label).update("")

    def action_save(self) -> None:
        if self.model is None:
            return
        values, errors = self.collect()
        self.show_errors(errors)
        if errors:
            return
        if self.record is not None:
            original = self.record["values"]
            values = {
                name: value
                for name, value in values.items()
                if not self.model.field(name).ftype.same(original.get(name), value)
            }
            if not values:
                self.notify("Nothing changed.")
                self.dismiss()
                return
        kind = ""
        if self.query("#edit-kind"):
            kind = "major" if self.query_one("#kind-major", RadioButton).value else "minor"
        self.save(values, kind)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-save")
    @in_store_thread
    def save(self, values: dict, kind: str) -> None:
        try:
            if self.record is not None:
                saved = edits.update_record(
                    self.schema, self.model.label, self.record["object_pk"], values, kind
                )
                created = False
            else:
                saved = edits.create_record(self.schema, self.model.label, values)
                created = True
        except edits.EditError as error:
            errors = error.errors or {"__all__": str(error)}
            self.app.call_from_thread(self._refused, errors, str(error))
            return
        files.prune(self.schema, only=self.attached)  # replaced before saving (not the saved)
        self.app.post_message(RecordSaved(saved.model, saved.object_pk, created))
        self.app.call_from_thread(self._saved, created)

    def _refused(self, errors: dict, message: str) -> None:
        field_errors = {k: v for k, v in errors.items() if k != "__all__"}
        self.show_errors(field_errors)
        if "__all__" in errors or not field_errors:
            self.query_one("#form-error", Label).update(f"✗ {message}  (nothing saved)")

    def _saved(self, created: bool) -> None:
        self.notify("Created; queued for the next sync." if created else "Saved; queued.")
        self.dismiss()

    def _widget_values(self) -> dict:
        """What each field's widget holds, unparsed: compared to tell a changed form."""
        held = {}
        for widget in self.query("#fields > *"):
            if not (widget.id or "").startswith("field-"):
                continue
            if isinstance(widget, TextArea):
                held[widget.id] = widget.text
            elif isinstance(widget, SelectionList):
                held[widget.id] = sorted(map(str, widget.selected))
            elif isinstance(widget, (Input, Switch, Select, FileField)):
                held[widget.id] = widget.value
        if self.query("#kind-major"):
            held["kind"] = self.query_one("#kind-major", RadioButton).value
        return held

    @property
    def changed(self) -> bool:
        """Something typed, chosen or attached since the form was filled in."""
        if self._as_built is None:
            return False  # still loading: nothing typed into fields yet
        return bool(self.attached) or self._widget_values() != self._as_built

    @property
    def what(self) -> str:
        """The record the form is for, in words."""
        if self.record is not None:
            return f"“{self.record['title'] or self.record['object_pk']}”"
        return f"the new {self.model.verbose_name if self.model else 'record'}"

    def action_cancel(self) -> None:
        from .choice import Answer, ChoiceScreen

        if not self.changed:
            self._close()
            return
        answers = [Answer("save", "Save", "s"), Answer("discard", "Discard", "d"),
                   Answer("keep", "Keep editing", "k")]  # fmt: skip
        question = f"The form for {self.what} has unsaved changes."
        self.app.push_screen(ChoiceScreen(question, answers, safe="keep"), self._leave)

    def _leave(self, answer: str | None) -> None:
        if answer == "save":
            self.action_save()
        elif answer == "discard":
            self._close()

    def _close(self) -> None:
        if self.attached:  # they leave the folder again; on the app: this screen is going
            attached = list(self.attached)
            forget = in_store_thread(lambda: files.prune(self.schema, only=attached))
            self.app.run_worker(forget, thread=True, group="form-forget", exit_on_error=False)
        self.dismiss()

    # -- file fields --------------------------------------------------------------

    def _file_field(self) -> FileField | None:
        """The focused file field; a word to the editor when the focus is elsewhere."""
        focused = self.focused
        if isinstance(focused, FileField):
            return focused
        self.notify("Move to a file field first (tab).", severity="warning")
        return None

    def _field_error(self, name: str, message: str) -> None:
        label = self.query_one(f"#error-{name}", Label)
        label.update(f"✗ {message}" if message else "")
        label.set_class(bool(message), "-shown")
        self.query_one(f"#field-{name}").set_class(bool(message), "-invalid")

    def action_attach_file(self) -> None:
        widget = self._file_field()
        if widget is None:
            return
        name = widget.field.name
        start = Path.cwd()

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._attach_worker(name, str(path))

        what = "an image" if files.is_image_field(widget.field) else "a file"
        self.app.push_screen(FilePathScreen(f"Attach {what} to {widget.field.label}", start),
                             chosen)  # fmt: skip

    @work(thread=True, exit_on_error=False, group="form-file")
    @in_store_thread
    def _attach_worker(self, name: str, path: str) -> None:
        try:
            value = files.attach(self.schema, self.model.label, name, path)
        except Exception as error:  # AttachError names the file; anything else, in words
            self.post_message(FileRefused(name, _without_field(name, error)))
            return
        self.post_message(FileAttached(name, value, files.describe(value)))

    @on(FileAttached)
    def file_attached(self, message: FileAttached) -> None:
        self.attached.append(message.value)
        self.query_one(f"#field-{message.field}", FileField).hold(message.value, message.info)
        self._field_error(message.field, "")

    @on(FileRefused)
    def file_refused(self, message: FileRefused) -> None:
        self._field_error(message.field, message.reason)  # under the focused field: seen there

    def action_clear_file(self) -> None:
        widget = self._file_field()
        if widget is None or widget.info is None:
            return
        if not widget.field.blank:
            self._field_error(widget.field.name, "this field needs a file: attach another (a)")
            return
        widget.hold("", None)
        self._field_error(widget.field.name, "")

    def action_open_file(self) -> None:
        widget = self._file_field()
        if widget is None:
            return
        if widget.info is None:
            self.notify("There is no file to open.", severity="warning")
            return
        self._open_worker(widget.field.name, widget.value)

    @work(thread=True, exit_on_error=False, group="form-file-open")
    @in_store_thread
    def _open_worker(self, name: str, value: dict) -> None:
        ref = files.ref_of(value)
        try:
            command = file_opening.opener_command()
            self._content_here(name, value)
            file_opening.open_with_system(file_opening.viewing_copy(value), command)
        except Exception as error:  # no opener, offline, refused: said, never a traceback
            self.app.post_message(ActionFailed(f"{ref.base_name} not opened", _reason(error)))
            return
        self.post_message(FileOpened(ref.base_name, command[0]))

    def action_save_file_copy(self) -> None:
        widget = self._file_field()
        if widget is None:
            return
        info = widget.info
        if info is None:
            self.notify("There is no file to save.", severity="warning")
            return
        downloads = Path.home() / "Downloads"
        start = (downloads if downloads.is_dir() else Path.cwd()) / info.base_name
        name, value = widget.field.name, widget.value

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._save_copy_worker(name, value, str(path))

        self.app.push_screen(FilePathScreen(f"Save a copy of {info.base_name} as", start, SAVE),
                             chosen)  # fmt: skip

    @work(thread=True, exit_on_error=False, group="form-file-save")
    @in_store_thread
    def _save_copy_worker(self, name: str, value: dict, target: str) -> None:
        ref = files.ref_of(value)
        path = Path(target)
        if path.is_dir():
            path = path / ref.base_name
        try:
            if path.exists():
                raise FileExistsError(f"{path} is there already: choose another name")
            self._content_here(name, value)
            written = files.save_copy(value, path)
        except Exception as error:
            self.app.post_message(ActionFailed(f"{ref.base_name} not saved", _reason(error)))
            return
        self.post_message(FileCopySaved(ref.base_name, str(written)))

    def _content_here(self, name: str, value: dict) -> None:
        """In a worker: download the content first when it is not here."""
        if files.has_content(value):
            return
        ref = files.ref_of(value)
        self.app.notify(f"Downloading {ref.base_name} ({files.size_text(ref.size)})…")
        self.app.engine().fetch_file(value)
        self.post_message(FileDownloaded(name, files.describe(value)))

    @on(FileDownloaded)
    def file_downloaded(self, message: FileDownloaded) -> None:
        self.query_one(f"#field-{message.field}", FileField).content_arrived(message.info)

    @on(FileOpened)
    def file_opened(self, message: FileOpened) -> None:
        self.notify(f"Opened {message.name} with {message.program}.")

    @on(FileCopySaved)
    def file_copy_saved(self, message: FileCopySaved) -> None:
        self.notify(f"Saved a copy of {message.name} as {message.path}.", title="Saved a copy")


def _value_of(field: FieldSchema, widget):
    if isinstance(widget, FileField):
        field.validate(widget.value)
        return widget.value
    if isinstance(widget, TextArea):
        if field.kind == "json":
            return field.parse(widget.text)
        value = widget.text
        field.validate(value)
        return value
    if isinstance(widget, Switch):
        return widget.value
    if isinstance(widget, Select):
        value = None if widget.value is Select.NULL else widget.value
        field.validate(value)
        return value
    if isinstance(widget, SelectionList):
        value = list(widget.selected)
        field.validate(value)
        return value
    return field.parse(widget.value)


def _type_into(widget, text: str) -> None:
    """Text typed before `widget` existed, added where its cursor is."""
    if not text:
        return
    if isinstance(widget, Input):
        widget.cursor_position = len(widget.value)
        widget.insert_text_at_cursor(text)
    elif isinstance(widget, TextArea):
        widget.move_cursor(widget.document.end)
        widget.insert(text)


def _without_field(name: str, error: Exception) -> str:
    """An attach error without its leading "field: " (it is shown under the field)."""
    text = str(error) or type(error).__name__
    return text.removeprefix(f"{name}: ")


def _reason(error: Exception) -> str:
    return getattr(error, "detail", None) or str(error) or type(error).__name__


def _default_model(schema: Schema) -> ModelSchema | None:
    candidates = [m for m in schema.models.values() if not m.reference and m.writable]
    return candidates[0] if candidates else None


def _related_options(schema: Schema, field: FieldSchema) -> list[tuple[str, object]]:
    return queries.choices_for(schema, field, CHOICES_SHOWN)
