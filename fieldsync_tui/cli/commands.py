"""One function per command. They run after the store is open (Django set up).

A command imports what it uses: the engine, the keyring and (through the transport)
requests only where it needs them, so a local command (conflicts, rejected, config)
starts without them; tests/client/test_startup_imports.py holds that."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from server_plugin.protocol.files import size_text

from ..client import session
from ..store import discard, edits, files, queries, set_aside
from ..store.schema import Schema
from . import EXIT_ATTENTION, EXIT_OK, default_device_name, read_password
from .output import emit_json, progress_bar

if TYPE_CHECKING:
    from ..sync.engine import SyncEngine


def run(args: argparse.Namespace, folder: Path) -> int:
    handler = COMMANDS[args.command]
    return handler(args, folder)


def _engine(args, progress=None) -> SyncEngine:
    return session.engine_from_keyring(progress)


def _attention_code() -> int:
    return EXIT_ATTENTION if queries.needs_attention() else EXIT_OK


def login(args, folder: Path) -> int:
    """Refused before the password is asked for when it could not go safely (plain
    http elsewhere) or its token could not be kept (no keyring)."""
    from .. import credentials
    from ..client.login import log_in
    from ..sync.transport import InsecureTransport, Transport, plain_http_refusal

    refusal = plain_http_refusal(args.url, args.insecure_http)
    if refusal:
        raise InsecureTransport(refusal)
    credentials.check_keyring()
    password = read_password(args.password_stdin)
    device = args.device or default_device_name(folder)
    transport = Transport(args.url, insecure_http=args.insecure_http)
    login = log_in(transport, args.username, password, device, credentials.save_token,
                   credentials.save_signing_key)  # fmt: skip
    account = login.engine.account
    _print_schema_changes(login.schema_changes)
    for note in login.resumed:
        print(f"warning: {note}")
    print(f"Logged in to {account.server_url} as {args.username} (device {device}).")
    if transport.sends_in_clear:
        print("warning: plain http: your token travels in clear on every sync")
    return EXIT_OK


def logout(args, folder: Path) -> int:
    from .. import credentials

    engine = _engine(args)
    account = engine.account
    try:
        answer = engine.transport.logout()
    finally:
        credentials.delete_token(account.server_url, account.username, account.device_name)
        credentials.delete_signing_key(account.server_url, account.username, account.device_name)
    released = answer.get("released_checkouts", 0)
    held = f" and its {released} checkout(s) released" if released else ""
    print(f"Logged out; the token of {account.device_name} is revoked{held}. Logging in "
          "again in this folder takes its categories back if they are free.")  # fmt: skip
    return EXIT_OK


def categories(args, folder: Path) -> int:
    engine = _engine(args)
    found = engine.refresh_categories()
    if args.json:
        emit_json(
            [
                {
                    "id": c.key,
                    "name": c.name,
                    "records": c.records,
                    "checked_out_by_me": c.checked_out,
                    "holders": c.holders,
                }
                for c in found
            ]
        )
        return EXIT_OK
    for note in engine.taken_over:
        print(f"withdrawn: {note}")
    for category in queries.categories():
        if category["checked_out"]:
            state = "checked out by you"
        elif category["held_by"]:
            state = f"held by {category['held_by']}"
        else:
            state = "free"
        count = category["records"]
        noun = "record " if count == 1 else "records"
        print(f"{category['name']:<24} {count:>7} {noun}  {state}")
    return EXIT_OK


def checkout(args, folder: Path) -> int:
    """`--take-over` asks first (unless --yes), naming the other device and what becomes
    of its unsynced changes; without it, a category held by this editor on another
    device is refused naming that device and the way out."""
    from ..sync.engine import EngineError, HeldByYouElsewhere

    with progress_bar(not args.json) as progress:
        engine = _engine(args, progress)
        try:
            if args.take_over:
                _confirm_take_over(engine, args)
                category, warnings = engine.take_over(args.category)
            else:
                category, warnings = engine.checkout(args.category)
        except HeldByYouElsewhere as held:
            raise EngineError(
                f"{held}: `fieldsync checkout {_quoted(held.category.name)} --take-over`"
            ) from None
    count = queries.record_count(category.key)
    fetched = engine.files_fetched.counts
    if args.json:
        emit_json({"category": category.name, "records": count, "warnings": warnings,
                   "files": _files_json(fetched, engine.schema)})  # fmt: skip
    else:
        for warning in warnings:
            print(f"warning: {warning}")
        print(f"Checked out {category.name}: {count} records here.")
        _print_files(fetched, engine.schema)
    return EXIT_OK


def _confirm_take_over(engine: SyncEngine, args) -> None:
    """Ask before taking a category from this editor's other device (what it names and
    what becomes of that device's work); refused without a terminal unless --yes."""
    from ..sync.engine import EngineError

    engine.refresh_categories()
    category = engine.find_category(args.category)
    holder = engine.held_by_me_elsewhere(category)
    if holder is None or args.yes:
        return  # nothing to take from another device of yours: a plain checkout
    question = take_over_question(category.name, holder, engine.account.username)
    if not sys.stdin.isatty():
        raise EngineError(f"{question} Run again with --yes to take it over (no terminal to ask).")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise EngineError(f"{category.name} was not taken over; nothing changed.")


def take_over_question(name: str, holder: dict, username: str) -> str:
    """The question a take-over asks: the other device, and what becomes of its work."""
    device = holder.get("device", "your other device")
    return (
        f"{name} is held by {queries.held_by(holder, username)}. Take {name} over from "
        f"{device}? Changes {device} has not synced can no longer be pushed to {name}: "
        f"at its next sync they are set aside in its set-aside folder, and its copy of "
        f"{name} is removed."
    )


def _quoted(name: str) -> str:
    """A category name as a shell command takes it."""
    return shlex.quote(name)


def _files_json(moved, schema) -> dict:
    """What a checkout or sync moved of file content, and what waits to be asked for."""
    later = files.missing(schema)
    return {
        **{key: moved.get(key, 0) for key in
           ("uploaded", "uploaded_bytes", "downloaded", "downloaded_bytes")},
        "on_demand": len(later),
        "on_demand_bytes": sum(ref.size for ref in later),
        "download_limit": files.download_limit(),
    }  # fmt: skip


def _print_files(moved, schema) -> None:
    said = []
    if moved.get("uploaded"):
        said.append(f"{moved['uploaded']} uploaded ({size_text(moved['uploaded_bytes'])})")
    if moved.get("downloaded"):
        said.append(f"{moved['downloaded']} downloaded ({size_text(moved['downloaded_bytes'])})")
    later = files.missing(schema)
    if later:
        limit = size_text(files.download_limit())
        many = len(later) != 1
        said.append(
            f"{len(later)} file{'s' if many else ''} over your download limit of {limit} "
            f"({size_text(sum(ref.size for ref in later))}) "
            f"come{'' if many else 's'} with `fieldsync file`"
        )
    if said:
        print("Files: " + "; ".join(said) + ".")


def checkin(args, folder: Path) -> int:
    with progress_bar(True) as progress:
        category = _engine(args, progress).checkin(args.category)
    print(f"Checked in {category.name}; its records were pushed and released.")
    return EXIT_OK


def sync(args, folder: Path) -> int:
    """Exit 3 (attention) when changes wait for the editor, and also when something
    could not be done (a category refused the push or was not pulled): a script
    must never read a sync that left work behind as a clean one."""
    with progress_bar(not args.json) as progress:
        engine = _engine(args, progress)
        report = engine.sync()
    needs_you = _attention_code()
    status = EXIT_ATTENTION if report.problems or report.withdrawn else needs_you
    if args.json:
        emit_json(
            {
                "pushed": dict(report.pushed),
                "pulled": dict(report.pulled),
                "problems": report.problems,
                "schema_changes": report.schema_changes,
                "lost_edits": report.lost_edits,
                "withdrawn": report.withdrawn,
                "files": _files_json(report.files, engine.schema),
            }
        )
    else:
        _print_schema_changes(report.schema_changes)
        pushed = ", ".join(f"{n} {s}" for s, n in sorted(report.pushed.items())) or "nothing"
        pulled = ", ".join(f"{n} {s}" for s, n in sorted(report.pulled.items()) if n) or "nothing"
        print(f"Pushed: {pushed}. Pulled: {pulled}.")
        _print_files(report.files, engine.schema)
        for problem in report.problems:
            print(f"problem: {problem}")
        for lost in report.lost_edits:
            print(f"lost: {lost}")
        for withdrawn in report.withdrawn:
            print(f"withdrawn: {withdrawn}")
        if needs_you == EXIT_ATTENTION:
            print("Conflicts or rejected changes need you: see `fieldsync status`.")
    return status


def _print_schema_changes(notices: list[str]) -> None:
    """How the store followed the central site's new schema (sync/schema_change.py)."""
    if notices:
        print("The central site's schema changed:")
    for notice in notices:
        print(f"  - {notice}")


def _set_aside_listing() -> list[dict]:
    """Every set-aside file, without the values (they are in the file)."""
    keys = ("path", "model", "pk", "title", "reason", "set_aside_at")
    return [{key: entry.get(key) for key in keys} for entry in set_aside.entries()]


def status(args, folder: Path) -> int:
    engine = _engine(args)
    engine.check_connectivity()
    state = engine.status()
    in_clear = engine.transport.sends_in_clear
    if args.json:
        emit_json(
            {
                **state.to_json(),
                "insecure_http": in_clear,
                "queued_changes": queries.queued_changes(),
                "rejected_changes": queries.rejected_changes(),
                "set_aside": _set_aside_listing(),
            }
        )
        return EXIT_OK
    mark = "● online" if state.online else "○ OFFLINE"
    last = state.last_sync_at.strftime("%Y-%m-%d %H:%M") if state.last_sync_at else "never"
    print(f"{mark} · {state.server_url} · {state.username}")
    if in_clear:
        print("plain http: password and token travel in clear (allowed at login: --insecure-http)")
    print(f"last sync {last} · {state.queued} queued · {state.conflicts} conflicts", end="")
    print(f" · {state.rejected} rejected" if state.rejected else "")
    if state.checked_out:
        print("checked out: " + ", ".join(state.checked_out))
    _print_tries(queries.queued_changes())
    _print_rejected(queries.rejected_changes())
    kept = set_aside.entries()
    if kept:
        print(f"{len(kept)} set-aside file(s) of values taken out of records: {set_aside.folder()}")
    return EXIT_OK


SHOWN_TRIES = 10  # queued changes whose tries `status` prints (--json lists them all)


def _print_tries(queued: list[dict]) -> None:
    """The queued changes that were tried and have not gone, with why."""
    tried = [change for change in queued if change["tries"]]
    for change in tried[:SHOWN_TRIES]:
        name = change["model"].split(".")[-1]
        print(f'queued {change["id"]:>4}  {change["op"]} {name} '
              f'"{change["title"] or change["pk"]}": {queries.tries_text(change)}')  # fmt: skip
    if len(tried) > SHOWN_TRIES:
        print(f"… and {len(tried) - SHOWN_TRIES} more tried (`fieldsync status --json` lists all)")


def _print_rejected(found: list[dict]) -> None:
    for entry in found:
        name = entry["model"].split(".")[-1]
        reasons = "; ".join(entry["reasons"]) or "rejected by the server"
        print(f'rejected {entry["id"]:>4}  {entry["op"]} {name} "{entry["title"] or entry["pk"]}"'
              f": {reasons}")  # fmt: skip
    if found:
        print("Fix one by editing the record again, or drop it with `fieldsync discard ID`.")


def rejected(args, folder: Path) -> int:
    found = queries.rejected_changes()
    if args.json:
        emit_json(found)
    elif found:
        _print_rejected(found)
    else:
        print("No rejected changes.")
    return EXIT_ATTENTION if found else EXIT_OK


def _discard_target(schema, what: str, pk: str | None):
    """ID (a queue entry's, as `rejected` and `status` list it) or MODEL PK."""
    if pk is not None:
        return edits.find_record(schema, what, pk)
    if not what.isdigit():
        raise edits.EditError(
            f"{what!r} is not a change's id: give ID (see fieldsync rejected) or MODEL PK"
        )
    return discard.change_record(int(what))


def discard_change(args, folder: Path) -> int:
    account = session.require_login()
    if not account.schema:
        raise session.not_logged_in()
    schema = Schema(account.schema)
    record = _discard_target(schema, args.what, args.pk)
    done = discard.discard_changes(schema, record.pk)
    if args.json:
        emit_json(
            {
                "model": done.model,
                "pk": done.pk,
                "title": done.title,
                "op": done.op,
                "state": done.state,
                "removed": done.removed,
                "version": done.version,
                "set_aside": str(done.set_aside),
            }
        )
    else:
        print(done.summary())
    return EXIT_OK


def _marks(record) -> str:
    if record.conflicted:
        return "⚠ conflict"
    if record.deleted:
        return "● delete queued"
    if record.pending:
        return "● queued"
    return ""


def records(args, folder: Path) -> int:
    engine = _engine(args)
    category = engine.find_category(args.category)
    if not category.checked_out:
        from ..sync.engine import EngineError

        raise EngineError(f"{category.name} is not checked out here: fieldsync checkout")
    model_label = engine.schema.get(args.model).label if args.model else None
    rows = queries.records_in(category.key, model_label)
    if args.json:
        emit_json(
            [
                {"model": r.model, "pk": r.object_pk, "title": r.title, "state": _marks(r)}
                for r in rows
            ]
        )
        return EXIT_OK
    for record in rows:
        line = f"{record.model:<14} {record.object_pk:<38} {record.title[:60]:<60} {_marks(record)}"
        print(line.rstrip())
    return EXIT_OK


def show(args, folder: Path) -> int:
    engine = _engine(args)
    record = edits.find_record(engine.schema, args.model, args.pk)
    model = engine.schema.get(record.model)
    if args.json:
        emit_json(
            {
                "model": record.model,
                "pk": record.object_pk,
                "category": record.category_key,
                "version": record.base_version,
                "values": record.values,
                "state": _marks(record),
                "files": {
                    name: files.describe(ref).to_json()
                    for name, ref in files.refs_in(model, record.values).items()
                },
            }
        )
        return EXIT_OK
    print(
        f"{model.verbose_name} {record.object_pk} · version {record.base_version} {_marks(record)}"
    )
    for field in model.fields:  # each value as the editor types it (--set takes it back)
        value = record.values.get(field.name)
        info = files.describe(value) if files.is_file_field(field) else None
        shown = info.summary() if info else field.show(value)
        if field.kind in ("fk", "m2m") and value not in (None, "", []):
            keys = value if isinstance(value, list) else [value]
            names = queries.names_of(engine.schema, field.related_model, keys)
            named = ", ".join(names[str(key)] for key in keys if names.get(str(key)))
            shown += f" ({named})" if named else ""
        print(f"{field.label:>16}: {shown}")
    return EXIT_OK


def _parsed_values(schema, model_name: str, assignments: list[str]) -> dict:
    """--set FIELD=VALUE, each checked; a file field's @PATH is attached (copied into
    the folder, store/files.py) once every other value has passed."""
    model = schema.get(model_name)
    values, errors, attaching = {}, {}, {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep:
            raise edits.EditError(f"--set {assignment!r}: write it as FIELD=VALUE")
        name = name.strip()
        try:
            field = model.field(name)
            if files.is_file_field(field) and raw.startswith("@"):
                attaching[name] = raw[1:]
                continue
            values[name] = field.parse(raw)
        except ValueError as failure:
            errors[name] = str(failure)
    if errors:
        name, message = next(iter(errors.items()))
        raise edits.EditError(f"{name}: {message}", errors)
    for name, path in attaching.items():
        values[name] = files.attach(schema, model.label, name, path)
    return values


def _attached_or_forgotten(schema, values: dict, change):
    """Run `change`; if it refuses, the files just attached for it leave the folder
    again (unless something else here refers to them): nothing changes on refusal."""
    try:
        return change()
    except Exception:
        files.prune(schema, only=list(values.values()))
        raise


def edit(args, folder: Path) -> int:
    engine = _engine(args)
    schema = engine.schema
    if not args.set:
        raise edits.EditError("nothing to change: give --set FIELD=VALUE")
    before = edits.find_record(schema, args.model, args.pk).values
    values = _parsed_values(schema, args.model, args.set)
    record = _attached_or_forgotten(
        schema,
        values,
        lambda: edits.update_record(schema, args.model, args.pk, values, args.edit_kind or ""),
    )
    changed = record.values != before  # update_record keeps values equal by value as they were
    if args.json:
        emit_json(
            {
                "model": record.model,
                "pk": record.object_pk,
                "values": record.values,
                "changed": changed,
                "queued": record.pending,
            }
        )
    elif not changed:
        print(f"Nothing changed: {edits.describe_records([record])} already holds these values.")
    elif not record.pending:
        print(f"Saved {record}: back to the server's values; nothing to send.")
    else:
        print(f"Saved {record}; queued for the next sync.")
    return EXIT_OK


def new(args, folder: Path) -> int:
    engine = _engine(args)
    schema = engine.schema
    category = engine.find_category(args.category).key if args.category else None
    values = _parsed_values(schema, args.model, args.set)
    record = _attached_or_forgotten(
        schema, values, lambda: edits.create_record(schema, args.model, values, category)
    )
    if args.json:
        emit_json({"model": record.model, "pk": record.object_pk, "values": record.values})
    else:
        print(f"Created {record.model} {record.object_pk}; queued for the next sync.")
    return EXIT_OK


def delete(args, folder: Path) -> int:
    engine = _engine(args)
    record = edits.delete_record(engine.schema, args.model, args.pk)
    if record is None:
        print("Deleted (it had never been synced, so there is nothing to tell the server).")
    else:
        print(f"Deleted {record}; queued for the next sync.")
    return EXIT_OK


def file(args, folder: Path) -> int:
    """The content of a file field, written where the editor says (downloaded first,
    with a progress bar in bytes, when it is not here)."""
    schema = queries.local_schema()
    record = edits.find_record(schema, args.model, args.pk)
    field = schema.get(record.model).field(args.field)
    if not files.is_file_field(field):
        raise edits.EditError(f"{field.name}: not a file field (it is a {field.type})")
    value = record.values.get(field.name)
    info = files.describe(value)
    if info is None:
        raise edits.EditError(f"{edits.describe_records([record])} has no file in {field.name}")
    target = args.output or Path.cwd()
    downloaded = not info.here
    if downloaded:
        with progress_bar(not args.json) as progress:
            _engine(args, progress).fetch_file(value)
    written = files.save_copy(value, target)
    if args.json:
        emit_json({**files.describe(value).to_json(), "written": str(written),
                   "downloaded": downloaded})  # fmt: skip
    else:
        print(f"Wrote {info.base_name} ({info.size_text}) to {written}.")
    return EXIT_OK


def config(args, folder: Path) -> int:
    """This folder's settings: download-limit (the store's download_limit)."""
    session.require_login()
    if args.value is not None:
        files.set_download_limit(files.parse_size(args.value))
    limit = files.download_limit()
    if args.json:
        emit_json({"download-limit": limit})
    elif args.value is not None:
        print(f"download-limit = {size_text(limit)}: checkouts and syncs download files up "
              "to that size by themselves; bigger ones come with `fieldsync file`.")  # fmt: skip
    else:
        print(f"download-limit = {size_text(limit)}")
    return EXIT_OK


def _changed_on_server(schema: Schema, conflict) -> list[str]:
    from ..client.conflict_loading import changed_on_server  # merge: only for a conflict

    return changed_on_server(schema, conflict)


def conflicts(args, folder: Path) -> int:
    found = queries.open_conflicts()
    schema = queries.local_schema()
    if args.json:
        emit_json(
            [
                {
                    "id": c.pk,
                    "model": c.record.model,
                    "pk": c.record.object_pk,
                    "title": c.record.title,
                    "op": c.op,
                    "deleted_on_server": c.theirs is None,
                    "changed_on_server": _changed_on_server(schema, c),
                    "fields": c.fields,
                }
                for c in found
            ]
        )
        return EXIT_ATTENTION if found else EXIT_OK
    if not found:
        print("No conflicts.")
    for conflict in found:
        record = conflict.record
        print(f"{conflict.pk:>4}  {record.model} {record.object_pk} “{record.title}”: "
              f"{_conflict_in_words(schema, conflict)}")  # fmt: skip
    return EXIT_ATTENTION if found else EXIT_OK


def _conflict_in_words(schema: Schema, conflict) -> str:
    """'deleted on the server', 'deleted here; changed on the server: title, status', or
    the fields both sides changed."""
    if conflict.theirs is None:
        return "deleted on the server"
    if conflict.op == "delete":
        changed = ", ".join(_changed_on_server(schema, conflict))
        if not changed:
            return "deleted here; the server has a newer version"
        return f"deleted here; changed on the server: {changed}"
    return ", ".join(conflict.fields)


def resolve(args, folder: Path) -> int:
    from ..sync import conflicts as conflict_resolution

    engine = _engine(args)
    schema = engine.schema
    conflict = queries.open_conflict(args.id)
    if conflict is None:
        raise conflict_resolution.ResolveError(f"no open conflict {args.id}")
    edited = _parsed_values(schema, conflict.record.model, args.set) if args.set else None
    name = edits.describe_records([conflict.record])
    record = _attached_or_forgotten(
        schema,
        edited or {},
        lambda: conflict_resolution.resolve(schema, args.id, args.take, edited),
    )
    queued = record is not None and record.pending
    if args.json:
        emit_json(
            {"resolved": args.id, "values": record.values if record else None, "queued": queued}
        )
    elif record is None:
        print(f"Resolved conflict {args.id}: {name} was deleted on the server, "
              "and is removed here too; nothing to send.")  # fmt: skip
    elif queued:
        print(f"Resolved conflict {args.id} ({args.take}): {edits.describe_records([record])} "
              "is queued for the next sync.")  # fmt: skip
    else:
        print(f"Resolved conflict {args.id}: kept the server's version of "
              f"{edits.describe_records([record])}; nothing to send.")  # fmt: skip
    return EXIT_OK


def _export(args, folder: Path) -> int:
    from . import bundle_commands  # sync.bundles -> bundle_format -> cryptography: only here

    return bundle_commands.export(args, folder)


def _import(args, folder: Path) -> int:
    from . import bundle_commands

    return bundle_commands.import_(args, folder)


COMMANDS = {
    "login": login,
    "logout": logout,
    "categories": categories,
    "checkout": checkout,
    "checkin": checkin,
    "sync": sync,
    "status": status,
    "records": records,
    "show": show,
    "edit": edit,
    "new": new,
    "delete": delete,
    "file": file,
    "config": config,
    "conflicts": conflicts,
    "resolve": resolve,
    "rejected": rejected,
    "discard": discard_change,
    "export": _export,
    "import": _import,
}
