"""What keeps a category from being checked in, named for the editor with the way out.

Checking in releases the category and removes its local copy, so it waits
until every change of the category reached the server. When some did not,
the editor is told which records (model and title, never an id alone), why,
and the command or key that gets each one past: resolve, edit, discard, or
wait for a chief editor.
"""

from __future__ import annotations

from ..store import queries

SHOWN = 20  # records named in one message; the rest are counted


def blocking(category_key: str) -> list[dict]:
    """One row per record of the category with a change not yet taken by the server."""
    by_record: dict[int, dict] = {}
    for row in queries.queue(category_key):
        known = by_record.get(row["record_id"])
        if known is None or _weight(row) > _weight(known):
            by_record[row["record_id"]] = row
    return list(by_record.values())


def _weight(row: dict) -> int:
    """Which of a record's rows names what blocks it: a conflict, then a refusal."""
    return {"conflict": 3, "rejected": 2, "review": 1}.get(row["state"], 0)


def describe(category: str, rows: list[dict], *, app: bool = False) -> str:
    count = len(rows)
    noun = "record has a change" if count == 1 else "records have changes"
    lines = [f"{category} cannot be checked in: {count} {noun} the server has not taken."]
    lines += [f"  {_name(row)}: {_why(row)}; {_way_out(row, app)}" for row in rows[:SHOWN]]
    if count > SHOWN:
        lines.append(f"  … and {count - SHOWN} more (fieldsync status)")
    return "\n".join(lines)


def _name(row: dict) -> str:
    return f'{row["model"].split(".")[-1]} "{row["title"] or row["pk"]}"'


def _why(row: dict) -> str:
    reasons = "; ".join(row["reasons"])
    if row["state"] == "conflict":
        return f"conflict ({reasons})"
    if row["state"] == "rejected":
        return f"rejected ({reasons})" if reasons else "rejected by the server"
    if row["state"] == "review":
        return "waits for a chief editor's review"
    return f"not pushed ({reasons})" if reasons else "not pushed yet"


def _way_out(row: dict, app: bool) -> str:
    """The command (or key) that gets the record past what blocks it. A rejected
    change was answered for good: sending it again cannot help, so its way out
    is a new edit or discarding it, never another sync."""
    state = row["state"]
    if state == "review":
        return "sync again once they decide" if app else "`fieldsync sync` once they decide"
    if app:
        if state == "conflict":
            return "resolve it (x), or discard your change in the queue (u, then d)"
        if state == "queued":
            return "sync (ctrl+s) once that is dealt with, or discard it in the queue (u, then d)"
        return "edit it again, or discard it in the queue (u, then d)"
    discard = (
        f"`fieldsync discard {row['model']} {row['pk']}`"
        if row["kind"] == "conflict"
        else f"`fieldsync discard {row['id']}`"
    )
    if state == "conflict":
        takes = "mine|theirs" if "deleted on the server" in row["reasons"] else "mine|theirs|merge"
        resolve = f"`fieldsync resolve {row['id']} --take {takes}`"
        return f"resolve it with {resolve}, or drop yours with {discard}"
    if state == "rejected" and row["op"] != "delete":
        edit = f"`fieldsync edit {row['model']} {row['pk']} --set {_field_at_fault(row)}=VALUE`"
        return f"fix it with {edit}, or drop it with {discard}"
    if state == "rejected":
        return f"drop it with {discard}"
    if row.get("last_error"):
        return f"`fieldsync sync` once that is dealt with, or drop it with {discard}"
    return f"`fieldsync sync` to send it, or drop it with {discard}"


def _field_at_fault(row: dict) -> str:
    """The first field the server named in its refusal, else FIELD."""
    return next((name for name in row.get("errors") or {} if name != "__all__"), "FIELD")
