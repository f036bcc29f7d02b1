"""Updating or inserting many rows of the local store with one prepared statement.

The central plugin has the same helper for its own tables; the client keeps
its own copy because it imports nothing of the plugin but the protocol.

`QuerySet.bulk_update()` builds a CASE WHEN expression per row and field,
which costs more Python time than the database spends writing; a batch of a
thousand changes would spend a second there. One ``UPDATE ... WHERE pk = %s``
run with ``executemany`` writes the same rows, with each value prepared by its
own field exactly as ``save()`` would.
"""

from __future__ import annotations

from django.db import connections, router


def update_rows(model, objects: list, fields: list[str]) -> None:
    if not objects:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [meta.pk.get_db_prep_value(obj.pk, connection)]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert rows of values already prepared for the database (`prepared`), in
    the order of `fields`, with one ``executemany``: no model instances, no
    per-value field machinery. For the bulk of a first checkout."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})", rows)


def preparer(model, name: str):
    """value -> what ``save()`` would write to the database for field `name`."""
    connection = connections[router.db_for_write(model)]
    field = model._meta.get_field(name)
    return lambda value: field.get_db_prep_save(value, connection)
