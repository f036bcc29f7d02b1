"""The conflict screen's view model, read from the store (runs in a worker thread).

Each open conflict becomes a `ConflictView`: values named for the editor
(foreign keys by title, categories by name, files by name and size), the
fields in conflict in the model's order, and the fields the merge keeps.
"""

from __future__ import annotations

from typing import Any

from server_plugin.protocol import merge

from ..store import files, queries
from ..store.schema import FieldError, FieldSchema, Schema, UnknownModel
from ..sync import conflicts as resolution
from .conflict_view import ConflictView, FieldInConflict, MergedField
from .file_views import file_line, show_file
from .labels import display_value


def load_views(schema: Schema) -> list[ConflictView]:
    """Every open conflict, shaped for display (runs in a worker thread)."""
    return [_view_of(schema, conflict) for conflict in resolution.open_conflicts()]


def changed_on_server(schema: Schema, conflict) -> list[str]:
    """The fields the server changed since the editor's base, in the schema's order."""
    if conflict.theirs is None:
        return []
    try:
        model = schema.get(conflict.record.model)
    except UnknownModel:  # the model left the schema: compare as JSON, in the values' order
        names, types = list(conflict.theirs), {}
    else:
        names, types = [f.name for f in model.fields], model.field_types()
        names += [name for name in conflict.theirs if name not in names]
    changed = merge.changed_fields(conflict.base_values, conflict.theirs, types)
    return [name for name in names if name in changed]


def _view_of(schema: Schema, conflict) -> ConflictView:
    record = conflict.record
    model = schema.get(record.model)
    kinds = model.field_types()
    deleted_on_server = conflict.theirs is None
    deleted_here = conflict.op == "delete" and not deleted_on_server
    details = dict(conflict.fields)
    if deleted_here and not details:
        # The server sends no fields for a refused delete: show what it changed.
        changed = merge.changed_fields(conflict.base_values, conflict.theirs, kinds)
        details = {
            name: {"base": conflict.base_values.get(name), "mine": None, "theirs": value}
            for name, value in changed.items()
        }
    order = [f.name for f in model.fields]
    names = sorted(details, key=lambda n: order.index(n) if n in order else len(order))
    fields = []
    for name in names:
        detail = details[name]
        schema_field = field_of(model, name)
        values = {
            "base": detail.get("base"),
            "mine": None if deleted_here else detail.get("mine"),
            "theirs": None if deleted_on_server else detail.get("theirs"),
            "suggestion": detail.get("suggestion"),
        }
        labels = labels_of(schema, schema_field, values.values())
        shown = {
            side: shown_value(schema, model.label, schema_field, value, labels)
            for side, value in values.items()
        }
        shown["mine"] = None if deleted_here else shown["mine"]
        shown["theirs"] = None if deleted_on_server else shown["theirs"]
        shown["suggestion"] = None if values["suggestion"] is None else shown["suggestion"]
        label = schema_field.label if schema_field else name
        shown_files = None
        if schema_field is not None and files.is_file_field(schema_field):
            image = files.is_image_field(schema_field)
            shown_files = {
                side: show_file(values[side], image=image) for side in ("base", "mine", "theirs")
            }
        fields.append(FieldInConflict(name, label, **values, shown=shown, files=shown_files))
    view = ConflictView(
        id=conflict.pk,
        model=record.model,
        model_name=model.verbose_name,
        pk=record.object_pk,
        title=record.title or model.title_of(conflict.mine) or record.object_pk,
        deleted_on_server=deleted_on_server,
        deleted_here=deleted_here,
        base_version=conflict.base_version,
        theirs_version=conflict.theirs_version,
        edited_at=record.updated_at,
        fields=fields,
    )
    if not view.whole_record:
        _add_merged_fields(schema, conflict, view)
    return view


def _add_merged_fields(schema: Schema, conflict, view: ConflictView) -> None:
    """The fields that did not conflict, with the value the merge gives them."""
    model = schema.get(conflict.record.model)
    kinds = model.field_types()
    merged = resolution.proposed_values(schema, conflict, "theirs") or {}
    for schema_field in model.fields:
        name = schema_field.name
        if name in conflict.fields:
            continue
        base = conflict.base_values.get(name)
        mine_changed = name in conflict.mine and not _same(base, conflict.mine[name], kinds, name)
        theirs_changed = name in conflict.theirs and not _same(
            base, conflict.theirs[name], kinds, name
        )
        if not (mine_changed or theirs_changed):
            view.unchanged += 1
            continue
        source = (
            "both changed it, merged"
            if mine_changed and theirs_changed
            else "your change"
            if mine_changed
            else "their change"
        )
        value = merged.get(name)
        labels = labels_of(schema, schema_field, [value])
        shown = shown_value(schema, model.label, schema_field, value, labels)
        view.merged.append(MergedField(schema_field.label, source, shown))


def _same(base, value, kinds, name) -> bool:
    return merge.same_value(base, value, kinds.get(name, merge.PLAIN))


def field_of(model, name: str) -> FieldSchema | None:
    try:
        return model.field(name)
    except FieldError:
        return None


def labels_of(schema: Schema, schema_field: FieldSchema | None, values) -> dict[str, str]:
    """Names for the ids a foreign key or many-to-many value holds."""
    if schema_field is None or schema_field.kind not in ("fk", "m2m"):
        return {}
    keys = set()
    for value in values:
        for key in value if isinstance(value, list) else [value]:
            if key is not None:
                keys.add(str(key))
    if not keys:
        return {}
    return queries.names_of(schema, schema_field.related_model, keys)


def shown_value(schema, model_label, schema_field, value, labels) -> str:
    """A value as text: strings as they are (so diffs are exact), others readable."""
    if schema_field is not None and files.is_file_field(schema_field):
        return file_line(files.describe(value))  # name · size · here or not
    if isinstance(value, str) and (schema_field is None or schema_field.kind in ("string", "text")):
        return value
    if schema_field is None:
        return "—" if value is None else str(value)
    if schema_field.kind in ("fk", "m2m") and value not in (None, []):
        keys = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(k)) or str(k) for k in keys)
    return display_value(schema, model_label, schema_field.name, value)


def as_editable_text(schema_field: FieldSchema | None, value: Any) -> str:
    """A value as the editor types it (what `FieldSchema.parse` reads back)."""
    if schema_field is not None:
        return schema_field.show(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
