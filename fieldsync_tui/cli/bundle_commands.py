"""``fieldsync export`` and ``fieldsync import``: syncing by file (docs/bundles.md).

For offices with no connection at all. Only ``export CATEGORY`` needs the
server (it asks for a category bundle signed for this device); exporting the
queued changes and importing a bundle work with the server out of reach.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..store.models import Account, Category, Record
from ..sync import bundles
from ..sync.transport import TransportError
from .output import emit_json


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a half-written bundle would only be refused later."""
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except OSError as error:
        raise bundles.BundleRefused(f"cannot write {path}: {error.strerror}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise bundles.BundleRefused(f"cannot read {path}: {error.strerror}") from None


def export(args, folder: Path) -> int:
    from .commands import _engine

    engine = _engine(args)
    if not args.changes:
        category = engine.find_category(args.category)
        _write(args.output, engine.transport.category_bundle(category.key))
        print(f"Wrote {category.name} to {args.output}; this device now holds its checkout. "
              f"Load it with `fieldsync import {args.output}`.")  # fmt: skip
        return 0
    if engine.account.device_id is None:  # a login older than bundles: ask, if online
        try:
            Account.objects.update(device_id=engine.transport.me()["device"]["id"])
        except TransportError:
            pass  # export_changes says what to do
    exported = bundles.export_changes(engine.transport.token)
    _write(args.output, exported.data)
    if args.json:
        emit_json(
            {"file": str(args.output), "changes": exported.changes, "held_back": exported.held_back}
        )
        return 0
    print(f"Wrote {exported.changes} change(s) to {args.output}: {bundles.UPLOAD_HINT}.")
    if exported.held_back:
        print(f"{exported.held_back} later change(s) wait for this bundle's answers "
              "(or a conflict) and go in the next one.")  # fmt: skip
    return 0


def import_(args, folder: Path) -> int:
    from .commands import _attention_code, _engine

    engine = _engine(args)
    imported = bundles.import_bundle(_read(args.file), engine.transport.token)
    status = _attention_code()
    if args.json:
        emit_json(
            {
                "kind": imported.kind,
                "categories": imported.categories,
                "settled": dict(imported.settled),
                "pulled": dict(imported.pulled),
                "problems": imported.problems,
                "warnings": imported.warnings,
            }
        )
        return status
    pulled = ", ".join(f"{n} {s}" for s, n in sorted(imported.pulled.items()) if n) or "nothing"
    if imported.kind == "category":
        for category in Category.objects.filter(name__in=imported.categories):
            count = Record.objects.filter(category_key=category.key, deleted=False).count()
            print(f"Imported {category.name}: {count} records here, checked out on this device.")
    else:
        settled = ", ".join(f"{n} {s}" for s, n in sorted(imported.settled.items())) or "nothing"
        print(f"Imported the answers: {settled}. Pulled: {pulled}.")
    for warning in imported.warnings:
        print(f"warning: {warning}")
    for problem in imported.problems:
        print(f"problem: {problem}")
    if status:
        print("Conflicts or rejected changes need you: see `fieldsync status`.")
    return status
