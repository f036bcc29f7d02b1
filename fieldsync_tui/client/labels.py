"""Values as an editor reads them, the same in the app's panes and the conflict views."""

from __future__ import annotations

from ..store.schema import Schema

EMPTY = "—"


def display_value(schema: Schema, model: str, name: str, value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    return schema.get(model).field(name).show(value)
