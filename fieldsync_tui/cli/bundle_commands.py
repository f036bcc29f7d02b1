"""``fieldsync export`` and ``fieldsync import``: syncing by file (docs/bundles.md).

For offices with no connection at all. Only ``export CATEGORY`` needs the
server (it asks for a category bundle signed for this device, carrying file
content up to the editor's download limit); exporting the queued changes
(signed with the device's key from the keyring, carrying the files they
name) and importing a bundle (checked with the site key pinned at login)
work with the server out of reach.
"""

from __future__ import annotations

from pathlib import Path

from server_plugin.protocol.files import size_text

from .. import credentials
from ..store import files, queries
from ..sync import bundles
from ..sync.engine import NotLoggedIn
from .output import emit_json


def export(args, folder: Path) -> int:
    from .commands import _engine

    relogin = bundles.needs_new_login()
    if relogin:  # before asking the server for a file this folder could not check
        raise NotLoggedIn(relogin)
    if not args.changes:
        engine = _engine(args)
        category = engine.find_category(args.category)
        limit = files.download_limit()
        bundles.write_file(
            args.output, lambda out: engine.transport.category_bundle(category.key, out, limit)
        )
        print(f"Wrote {category.name} to {args.output} (file content up to {size_text(limit)} "
              "each); this device now holds its checkout. "
              f"Load it with `fieldsync import {args.output}`.")  # fmt: skip
        return 0
    exported = bundles.export_changes(_signing_key(), args.output)
    if args.json:
        emit_json(
            {
                "file": str(args.output),
                "changes": exported.changes,
                "held_back": exported.held_back,
                "files": exported.files,
                "file_bytes": exported.file_bytes,
                "files_not_here": exported.not_here,
            }
        )
        return 0
    print(f"Wrote {exported.changes} change(s) to {args.output}: {bundles.UPLOAD_HINT}.")
    if exported.files:
        print(f"It carries {exported.files} file(s) ({size_text(exported.file_bytes)}).")
    if exported.not_here:
        print(f"Not in this folder, so not carried (the central site must have them): "
              f"{', '.join(exported.not_here)}.")  # fmt: skip
    if exported.held_back:
        print(f"{exported.held_back} later change(s) wait for this bundle's answers "
              "(or a conflict) and go in the next one.")  # fmt: skip
    return 0


def _signing_key() -> str | None:
    """This device's private bundle key, from the keyring (never from the data folder)."""
    account = queries.account()
    if account is None:
        return None
    return credentials.load_signing_key(account.server_url, account.username, account.device_name)


def import_(args, folder: Path) -> int:
    from .commands import _attention_code

    imported = bundles.import_bundle(Path(args.file))
    status = _attention_code()
    if args.json:
        emit_json(
            {
                "kind": imported.kind,
                "categories": imported.categories,
                "settled": dict(imported.settled),
                "pulled": dict(imported.pulled),
                "files": dict(imported.files),
                "problems": imported.problems,
                "warnings": imported.warnings,
            }
        )
        return status
    pulled = ", ".join(f"{n} {s}" for s, n in sorted(imported.pulled.items()) if n) or "nothing"
    if imported.kind == "category":
        for name, count in queries.live_counts(imported.categories):
            print(f"Imported {name}: {count} records here, checked out on this device.")
    else:
        settled = ", ".join(f"{n} {s}" for s, n in sorted(imported.settled.items())) or "nothing"
        print(f"Imported the answers: {settled}. Pulled: {pulled}.")
    if imported.files["placed"]:
        print(f"Files: {imported.files['placed']} brought in "
              f"({size_text(imported.files['placed_bytes'])}).")  # fmt: skip
    for warning in imported.warnings:
        print(f"warning: {warning}")
    for problem in imported.problems:
        print(f"problem: {problem}")
    if status:
        print("Conflicts or rejected changes need you: see `fieldsync status`.")
    return status
