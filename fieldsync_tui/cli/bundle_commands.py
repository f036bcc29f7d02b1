"""``fieldsync export`` and ``fieldsync import``: syncing by file (docs/bundles.md).

For offices with no connection at all. Only ``export CATEGORY`` needs the
server (it asks for a category bundle signed for this device); exporting the
queued changes (signed with the device's key from the keyring) and importing
a bundle (checked with the site key pinned at login) work with the server out
of reach.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import credentials
from ..store.models import Account, Category, Record
from ..sync import bundles
from ..sync.engine import NotLoggedIn
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

    relogin = bundles.needs_new_login()
    if relogin:  # before asking the server for a file this folder could not check
        raise NotLoggedIn(relogin)
    if not args.changes:
        engine = _engine(args)
        category = engine.find_category(args.category)
        _write(args.output, engine.transport.category_bundle(category.key))
        print(f"Wrote {category.name} to {args.output}; this device now holds its checkout. "
              f"Load it with `fieldsync import {args.output}`.")  # fmt: skip
        return 0
    exported = bundles.export_changes(_signing_key())
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


def _signing_key() -> str | None:
    """This device's private bundle key, from the keyring (never from the data folder)."""
    account = Account.objects.first()
    if account is None:
        return None
    return credentials.load_signing_key(account.server_url, account.username, account.device_name)


def import_(args, folder: Path) -> int:
    from .commands import _attention_code

    imported = bundles.import_bundle(_read(args.file))
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
