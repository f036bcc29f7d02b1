"""The selected record, read-only: every synced field with its label."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from ...store.schema import Schema


def display_value(schema: Schema, model: str, name: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    return schema.get(model).field(name).show(value)


class RecordDetail(VerticalScroll):
    BORDER_TITLE = "Record"

    def compose(self):
        yield Static("Select a record.", id="detail-body")

    def show(self, schema: Schema | None, record: dict | None, labels: dict | None = None) -> None:
        body = self.query_one("#detail-body", Static)
        if record is None or schema is None:
            self.border_title = "Record"
            body.update("Select a record.")
            return
        model = schema.get(record["model"])
        labels = labels or {}
        self.border_title = record["title"] or model.verbose_name
        lines = [
            f"[dim]{escape(model.verbose_name)} · version {record['base_version'] or 'new'}[/dim]"
        ]
        for field in model.fields:
            value = record["values"].get(field.name)
            shown = labels.get(field.name) or display_value(schema, model.label, field.name, value)
            if field.kind == "text":
                lines.append(f"[b]{escape(field.label)}[/b]\n{escape(shown)}")
            else:
                lines.append(f"[b]{escape(field.label):<12}[/b] {escape(shown)}")
        body.update(Content.from_markup("\n".join(lines)))
