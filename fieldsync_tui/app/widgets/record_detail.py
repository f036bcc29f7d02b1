"""The selected record, read-only: every synced field with its label.

A file field reads as its file (name, size, whether the content is here); an
image whose content is here is previewed below the fields (widgets/image_preview).
What a file field shows was read in the worker that loaded the record.
"""

from __future__ import annotations

from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from ...client.file_views import FileShown
from ...client.labels import display_value
from ...store.schema import Schema
from .image_preview import ImagePreview


class RecordDetail(VerticalScroll):
    BORDER_TITLE = "Record"
    DEFAULT_CSS = """
    RecordDetail #detail-previews { height: auto; }
    """

    def compose(self):
        yield Static("Select a record.", id="detail-body")
        yield Vertical(id="detail-previews")

    def show(
        self,
        schema: Schema | None,
        record: dict | None,
        labels: dict | None = None,
        shown_files: dict[str, FileShown] | None = None,
    ) -> None:
        body = self.query_one("#detail-body", Static)
        previews = self.query_one("#detail-previews", Vertical)
        previews.remove_children()
        if record is None or schema is None:
            self.border_title = "Record"
            body.update("Select a record.")
            return
        model = schema.get(record["model"])
        labels = labels or {}
        shown_files = shown_files or {}
        self.border_title = record["title"] or model.verbose_name
        lines = [
            f"[dim]{escape(model.verbose_name)} · version {record['base_version'] or 'new'}[/dim]"
        ]
        pictures = []
        for field in model.fields:
            value = record["values"].get(field.name)
            if field.name in shown_files:
                file = shown_files[field.name]
                lines.append(f"[b]{escape(field.label)}[/b]\n{escape(file.line)}")
                if file.note:
                    pictures.append(ImagePreview(field.label, file, classes="detail-preview"))
                continue
            shown = labels.get(field.name) or display_value(schema, model.label, field.name, value)
            if field.kind == "text":
                lines.append(f"[b]{escape(field.label)}[/b]\n{escape(shown)}")
            else:
                lines.append(f"[b]{escape(field.label):<12}[/b] {escape(shown)}")
        body.update(Content.from_markup("\n".join(lines)))
        if pictures:
            previews.mount_all(pictures)
