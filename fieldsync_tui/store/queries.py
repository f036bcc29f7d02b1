"""Reads the app and the CLI need, shaped for display and cheap at any size.

The records list is paged by keyset (title, id) over an index, so the first
screen of a 100,000-record category costs the same as that of a 10-record
one: never a query that touches every row, never every row in memory.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from .models import Account, Category, Conflict, PendingChange, Record

PAGE = 200
_ROW_FIELDS = (
    "id", "model", "object_pk", "title", "pending", "conflicted", "deleted", "updated_at", "values",
    "rejected",
)  # fmt: skip


def _with_rejected(rows):
    """Rows marked `rejected` when the server refused a change of theirs (the editor's
    to fix or discard: it will not go by itself)."""
    refused = PendingChange.objects.filter(record=OuterRef("pk"), state=PendingChange.REJECTED)
    return rows.annotate(rejected=Exists(refused))


def categories_with_sent_changes():
    """The keys of the categories holding a change sent and not yet answered (its
    payload frozen, still queued): a pull of one waits for those answers.

    Read from the queue's side, as a join that filters nothing of the record: with
    the category in the filter, SQLite walks every record of the category (its
    listing index) to probe the queue for each, 0.1-0.3 s per sync with 1,000,000
    records held and nothing queued. The queue is short; the records are not."""
    sent = PendingChange.objects.filter(payload__isnull=False, state=PendingChange.QUEUED)
    return sent.order_by().values_list("record__category_key", flat=True).distinct()


def categories() -> list[dict]:
    """Each category with who holds it: `held_by` in words for this editor ("you on
    laptop since …" when it is theirs on another device: `mine_elsewhere`, which a
    take-over can move here), "" when it is free or checked out here."""
    account = Account.objects.first()
    me = (account.username, account.device_name) if account else ("", "")
    found = []
    for c in Category.objects.order_by("name"):
        others = [h for h in c.holders if (h.get("user"), h.get("device")) != me]
        found.append({
            "key": c.key,
            "name": c.name,
            "checked_out": c.checked_out,
            "holders": c.holders,
            "records": c.records,
            "held_by": ", ".join(held_by(h, me[0]) for h in others),
            "mine_elsewhere": any(h.get("user") == me[0] for h in others),
        })  # fmt: skip
    return found


def held_by(holder: dict, username: str) -> str:
    """A holder as this editor reads it: "you on laptop since 2026-03-02 10:45" for
    their own other device, "editor2 (laptop2) since …" for someone else."""
    since = f" since {local_time(holder['since'])}" if holder.get("since") else ""
    if holder.get("user") == username:
        return f"you on {holder.get('device', 'another device')}{since}"
    return f"{holder.get('user', 'someone')} ({holder.get('device', '?')}){since}"


def local_time(moment: str | datetime) -> str:
    """An instant from the server (ISO text or a datetime) on this computer's clock:
    "2026-03-02 10:45"."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _in_category(category_key: str, find: str = ""):
    rows = Record.objects.filter(category_key=category_key)
    return rows.filter(title__icontains=find) if find else rows


def record_count(category_key: str, find: str = "") -> int:
    return _in_category(category_key, find).count()


def page_after(
    category_key: str, after: tuple[str, int] | None, limit: int = PAGE, find: str = ""
) -> list[dict]:
    """The next `limit` rows in (title, id) order after the given row."""
    rows = _in_category(category_key, find)
    if after is not None:
        title, row_id = after
        rows = rows.filter(Q(title__gt=title) | Q(title=title, id__gt=row_id))
    return list(_with_rejected(rows).order_by("title", "id").values(*_ROW_FIELDS)[:limit])


def page_before(
    category_key: str, before: tuple[str, int] | None, limit: int = PAGE, find: str = ""
) -> list[dict]:
    """The `limit` rows just before the given row (None: the category's last rows), in
    display order."""
    rows = _in_category(category_key, find)
    if before is not None:
        title, row_id = before
        rows = rows.filter(Q(title__lt=title) | Q(title=title, id__lt=row_id))
    found = list(_with_rejected(rows).order_by("-title", "-id").values(*_ROW_FIELDS)[:limit])
    return found[::-1]


def position_of(category_key: str, title: str, row_id: int, find: str = "") -> int:
    """How many rows come before this one (for "rows 401–600 of 100,000")."""
    return (
        _in_category(category_key, find)
        .filter(Q(title__lt=title) | Q(title=title, id__lt=row_id))
        .count()
    )


def record(row_id: int) -> dict | None:
    rows = _with_rejected(Record.objects.filter(pk=row_id))
    found = rows.values(*_ROW_FIELDS, "category_key", "base_version")
    return found.first()


def row_id_of(model: str, object_pk: str) -> int | None:
    """The store's row for a record named as the wire names it."""
    return (
        Record.objects.filter(model=model, object_pk=object_pk).values_list("pk", flat=True).first()
    )


def reasons(errors: dict | None, last_error: str = "") -> list[str]:
    """Why the server refused a change, a line per field ("tags: refers to …")."""
    lines = []
    for name, messages in (errors or {}).items():
        if isinstance(messages, str):
            messages = [messages]
        said = " ".join(str(m) for m in messages)
        lines.append(said if name == "__all__" else f"{name}: {said}")  # the record as a whole
    return lines or ([last_error] if last_error else [])


def _change_row(entry: PendingChange) -> dict:
    return {
        "id": entry.pk,
        "kind": "change",
        "record_id": entry.record_id,
        "op": entry.op,
        "model": entry.record.model,
        "pk": entry.record.object_pk,
        "title": entry.record.title,
        "state": entry.state,
        "created_at": entry.created_at,
        "attempts": entry.attempts,
        "last_try_at": entry.last_try_at,
        "last_error": entry.last_error,
        "errors": entry.errors,
        "reasons": reasons(entry.errors, entry.last_error),
    }


def _conflict_row(conflict: Conflict) -> dict:
    if conflict.theirs is None:
        why = ["deleted on the server"]
    else:
        why = [f"{name}: changed on both sides" for name in conflict.fields] or [
            "changed on the server"
        ]
    return {
        "id": conflict.pk,
        "kind": "conflict",
        "record_id": conflict.record_id,
        "op": conflict.op,
        "model": conflict.record.model,
        "pk": conflict.record.object_pk,
        "title": conflict.record.title,
        "state": "conflict",
        "created_at": conflict.created_at,
        "attempts": 0,
        "last_try_at": None,
        "last_error": "; ".join(why),
        "errors": {},
        "reasons": why,
    }


def queue(category_key: str | None = None, *, with_conflicts: bool = True) -> list[dict]:
    """Every change waiting to go, oldest first, then the open conflicts (each a way out).

    `category_key` keeps only that category's; reference data has none.
    """
    entries = PendingChange.objects.select_related("record").order_by("id")
    conflicts = Conflict.objects.filter(resolved_at__isnull=True).select_related("record")
    if category_key is not None:
        entries = entries.filter(record__category_key=category_key)
        conflicts = conflicts.filter(record__category_key=category_key)
    rows = [_change_row(entry) for entry in entries]
    if with_conflicts:
        rows += [_conflict_row(conflict) for conflict in conflicts.order_by("id")]
    return rows


def _named_change(entry: PendingChange) -> dict:
    """What `status` and `rejected` say of one queued change."""
    return {
        "id": entry.pk,
        "op": entry.op,
        "model": entry.record.model,
        "pk": entry.record.object_pk,
        "title": entry.record.title,
    }


def queued_changes() -> list[dict]:
    """The changes waiting to go (queued, or in review on the server), oldest first,
    with their tries, when the last was and why it failed: for `status`."""
    entries = PendingChange.objects.filter(state__in=(PendingChange.QUEUED, PendingChange.REVIEW))
    return [
        {
            **_named_change(entry),
            "state": entry.state,
            "tries": entry.attempts,
            "last_try_at": entry.last_try_at.isoformat() if entry.last_try_at else None,
            "last_error": entry.last_error,
        }
        for entry in entries.select_related("record").order_by("id")
    ]


def tries_text(change: dict) -> str:
    """'3 tries, last 2026-03-02 10:45: offline: cannot reach … (timed out)'; '' untried."""
    if not change["tries"]:
        return ""
    text = f"{change['tries']} {'try' if change['tries'] == 1 else 'tries'}"
    if change["last_try_at"]:
        text += f", last {local_time(change['last_try_at'])}"
    return text + (f": {change['last_error']}" if change["last_error"] else "")


def rejected_changes() -> list[dict]:
    """The changes the server refused, with why: for `status --json` and `rejected`."""
    entries = PendingChange.objects.filter(state=PendingChange.REJECTED)
    return [
        {
            **_named_change(entry),
            "message": entry.last_error,
            "errors": entry.errors,
            "reasons": reasons(entry.errors, entry.last_error),
        }
        for entry in entries.select_related("record").order_by("id")
    ]


def open_conflicts() -> list[Conflict]:
    return list(Conflict.objects.filter(resolved_at__isnull=True).select_related("record"))


def open_conflict(conflict_id: int) -> Conflict | None:
    found = Conflict.objects.filter(pk=conflict_id, resolved_at__isnull=True)
    return found.select_related("record").first()


def needs_attention() -> bool:
    """Open conflicts or rejected changes (the command line exits with its own code)."""
    return (
        Conflict.objects.filter(resolved_at__isnull=True).exists()
        or PendingChange.objects.filter(state=PendingChange.REJECTED).exists()
    )


def records_in(category_key: str, model_label: str | None = None):
    """A category's records (one model's, if given) in (model, title) order, streamed."""
    rows = Record.objects.filter(category_key=category_key).order_by("model", "title", "id")
    if model_label:
        rows = rows.filter(model=model_label)
    return rows.iterator()


# -- what the app reads besides records: the account, names and choices ---------------


def account() -> Account | None:
    """This folder's account (None before the first login)."""
    return Account.objects.first()


def move_account(server_url: str) -> None:
    """The same central site at another address (the demo's site on another port)."""
    Account.objects.update(server_url=server_url)


def live_counts(category_names) -> list[tuple[str, int]]:
    """(name, records not deleted) for each of these categories that is here."""
    return [
        (category.name, Record.objects.filter(category_key=category.key, deleted=False).count())
        for category in Category.objects.filter(name__in=list(category_names))
    ]


def names_of(schema, related_model: str, keys) -> dict[str, str]:
    """Names for the ids a foreign key or many-to-many value holds: a category's name,
    a record's title (an id not here stays unnamed)."""
    keys = {str(key) for key in keys if key is not None}
    if not keys:
        return {}
    if related_model == schema.category_model:
        return dict(Category.objects.filter(key__in=keys).values_list("key", "name"))
    related = Record.objects.filter(model__in=schema.kinds_of(related_model), object_pk__in=keys)
    return dict(related.values_list("object_pk", "title"))


def choices_for(schema, field, limit: int) -> list[tuple[str, object]]:
    """What a foreign key or many-to-many field may point at here, by name."""
    if field.related_model == schema.category_model:
        rows = Category.objects.values_list("name", "key")
        return [(name, field.parse(key)) for name, key in rows]
    rows = (
        Record.objects.filter(model__in=schema.kinds_of(field.related_model), deleted=False)
        .order_by("title")
        .values_list("title", "object_pk")[:limit]
    )
    return [(title or pk, field.parse_key(pk)) for title, pk in rows]


def local_schema():
    """The central site's schema as this folder last fetched it (empty before a login)."""
    from .schema import Schema

    found = account()
    return Schema(found.schema if found else {})
