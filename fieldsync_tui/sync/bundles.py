"""Bundles on the client: how an office with no connection at all syncs, by file.

Nothing here talks to the network. A category bundle becomes a checkout
exactly as a pull would have left it (records with their base versions, the
cursor), and the file content it carries goes into the data folder's
``files/`` as a download would; `export_changes` freezes the queue as a push
does (apply.freeze: a frozen change travels as is, under its id, however many
times it is sent) and carries the content of the files those changes name;
an answers bundle settles the queue as a push's answer does
(apply.apply_push_result), then pulls the feeds it carries. Every import is
one transaction, and a file is checked against the site key pinned at login,
every content it carries hashed, before anything in it is read: a refused or
broken file changes nothing. The changes this device exports are signed by
its own private key, which only the keyring holds. Bundles are streamed from
and to files, never held whole in memory.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

from django.db import transaction
from django.utils import timezone

from server_plugin.protocol import bundle_format, wire
from server_plugin.protocol.bundle_format import BundleError, CarriedFile
from server_plugin.protocol.files import CHUNK_BYTES, FileRef, size_text

from ..store import files
from ..store.models import Account, Category, PendingChange
from ..store.schema import Schema
from .apply import apply_feed_page, apply_push_result, apply_review_outcome, freeze
from .engine import EngineError, NotLoggedIn, next_round
from .file_transfer import refs_of_change
from .schema_change import carry_over

T = TypeVar("T")

UPLOAD_HINT = (
    "upload it on the central site (admin → Devices → Apply a changes bundle, "
    "or manage.py fieldsync_apply_bundle FILE)"
)


class BundleRefused(EngineError):
    """A bundle this folder will not use; nothing was changed."""


@dataclass
class ChangesExport:
    changes: int  # in the file
    held_back: int  # queued, but waiting for an earlier change's answer or a conflict
    files: int = 0  # contents carried
    file_bytes: int = 0
    not_here: list[str] = field(default_factory=list)  # named, content not in this folder


@dataclass
class Imported:
    kind: str
    categories: list[str] = field(default_factory=list)  # names checked out / refreshed
    settled: Counter = field(default_factory=Counter)  # push status -> count
    pulled: Counter = field(default_factory=Counter)  # new / updated / deleted / conflicts
    problems: list[str] = field(default_factory=list)  # what could not be done, in words
    warnings: list[str] = field(default_factory=list)  # e.g. others hold it too (advisory)
    files: Counter = field(default_factory=Counter)  # placed, placed_bytes, here already


def write_file(path: Path, write: Callable[[BinaryIO], T]) -> T:
    """bundle_format.write_atomically, a failure said as a refusal in one line."""
    try:
        return bundle_format.write_atomically(path, write)
    except OSError as error:
        raise BundleRefused(f"cannot write {path}: {error.strerror}") from None


def _account() -> Account:
    account = Account.objects.first()
    if account is None:
        raise NotLoggedIn(
            "not logged in: bundles are signed for a device, so this folder must have "
            "logged in once (`fieldsync login URL --username NAME`)"
        )
    return account


def log_in_again(account: Account) -> str:
    """What a folder that logged in before bundle keys is told (CLI and app alike)."""
    return (
        "this folder logged in before bundles were signed with keys of the device and of "
        "the site, so it can neither sign nor check one: log in again "
        f"(`fieldsync login {account.server_url} --username {account.username}`); "
        "syncing online works as before"
    )


def _keyed_account() -> Account:
    """The account, once its login pinned the site's key (and made the device's)."""
    account = _account()
    if not account.site_key or account.device_id is None:
        raise NotLoggedIn(log_in_again(account))
    return account


def needs_new_login() -> str | None:
    """The log-in-again message when this folder logged in before bundle keys, else None."""
    account = Account.objects.first()
    if account is None or account.site_key:
        return None
    return log_in_again(account)


def _device(account: Account) -> dict:
    return {"id": account.device_id, "name": account.device_name, "user": account.username}


# -- exporting the queue ------------------------------------------------------------------


def export_changes(signing_key: str | None, output: Path) -> ChangesExport:
    """Freeze the queue into a changes bundle signed by this device's private key, written
    to `output` with the content of the files its changes name that are here (the
    freeze is committed first, so a change in a file is always frozen here too)."""
    account = _keyed_account()
    if not signing_key:
        raise NotLoggedIn(
            "the keyring holds no bundle signing key for this device: log in again "
            "(`fieldsync login URL --username NAME`) to make one"
        )
    schema = Schema(account.schema)
    with transaction.atomic():
        changes, refs = [], {}
        for entry in next_round():
            payload = freeze(schema, entry)
            if payload is None:  # edited back to the server's values: nothing to send
                record = entry.record
                entry.delete()
                record.pending = record.changes.exists()
                record.save(update_fields=["pending"])
                continue
            if entry.payload is None:
                entry.payload = payload
            entry.attempts += 1
            entry.save(update_fields=["payload", "attempts"])
            changes.append(entry.payload)
            refs.update({ref.sha256: ref for ref in refs_of_change(schema, entry).values()})
        held_back = PendingChange.objects.filter(state=PendingChange.QUEUED).count() - len(changes)
        payload = {
            "changes": changes,
            "categories": [
                {"id": c.key, "cursor": c.cursor} for c in Category.objects.filter(checked_out=True)
            ],
            "reference_cursor": account.reference_cursor,
            "waiting_review": [
                str(i)
                for i in PendingChange.objects.filter(state=PendingChange.REVIEW).values_list(
                    "change_id", flat=True
                )
            ],
        }
    carried = [_carried(ref) for ref in refs.values() if files.has_content(ref)]
    write_file(
        output,
        lambda out: bundle_format.write(
            out,
            bundle_format.CHANGES,
            signing_key=signing_key,
            server=account.server_id,
            device=_device(account),
            payload=payload,
            files=carried,
        ),
    )
    return ChangesExport(
        changes=len(changes),
        held_back=held_back,
        files=len(carried),
        file_bytes=sum(item.size for item in carried),
        not_here=sorted(ref.base_name for ref in refs.values() if not files.has_content(ref)),
    )


def _carried(ref: FileRef) -> CarriedFile:
    path = files.content_path(ref)
    return CarriedFile(ref.sha256, ref.size, lambda: open(path, "rb"), ref.content_type)


# -- importing ------------------------------------------------------------------------------


def read_bundle(source: bundle_format.Source) -> bundle_format.Bundle:
    """The bundle (bytes, a path or a binary file), if the site this folder logged in to
    signed it for this folder's device and nothing in it was altered since, the content
    of every file it carries included. The caller closes it."""
    account = _keyed_account()
    try:
        bundle = bundle_format.read(source)
    except BundleError as error:
        raise BundleRefused(str(error)) from None
    except OSError as error:
        raise BundleRefused(f"cannot read {source}: {error.strerror}") from None
    try:
        _check(bundle, account)
    except BaseException:
        bundle.close()
        raise
    return bundle


def _check(bundle: bundle_format.Bundle, account: Account) -> None:
    if bundle.kind == bundle_format.CHANGES:
        raise BundleRefused(
            f"this is a changes bundle, made by {bundle.describe_device()} for the central "
            f"site: {UPLOAD_HINT}"
        )
    if bundle.server != account.server_id:
        raise BundleRefused(
            f"this bundle was signed by another central site's key (server {bundle.server}), "
            f"not by the key of {account.server_url} this folder logged in to"
        )
    if bundle.device_id != account.device_id:
        raise BundleRefused(
            f"this bundle was made for {bundle.describe_device()}, not for this folder's "
            f"device {account.device_id} ({account.device_name}, {account.username})"
        )
    try:
        bundle.verify(account.site_key)
        bundle.check_files()
    except BundleError as error:
        raise BundleRefused(str(error)) from None


def import_bundle(source: bundle_format.Source) -> Imported:
    """Import a category or answers bundle in one transaction, then put the file content
    it carries into the data folder."""
    with read_bundle(source) as bundle:
        imported = Imported(bundle.kind)
        try:
            with transaction.atomic():
                # The store follows a new schema as on a sync (schema_change.py).
                imported.warnings += carry_over(_account().schema, bundle.payload["schema"])
                schema = _take_schema(bundle.payload["schema"])
                if bundle.kind == bundle_format.ANSWERS:
                    _settle(schema, bundle.payload, imported)
                _pull(schema, None, bundle.payload["reference"], imported)
                for item in bundle.payload["categories"]:
                    _import_category(schema, item, imported)
        except (KeyError, TypeError, ValueError) as error:
            raise BundleRefused(
                f"the bundle's content is incomplete ({error}); nothing imported"
            ) from None
        _place_files(bundle, imported)
    return imported


def _place_files(bundle: bundle_format.Bundle, imported: Imported) -> None:
    """Each carried content into ``files/<sha256>``, through its ``.part`` and the check
    a download gets (store.files.accept_partial); content here already stays."""
    for sha256, size in bundle.files.items():
        ref = FileRef(sha256, size, sha256)
        if files.has_content(ref):
            imported.files["here already"] += 1
            continue
        partial = files.partial_path(sha256)
        try:
            partial.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open_file(sha256) as member, open(partial, "wb") as out:
                while chunk := member.read(CHUNK_BYTES):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            files.accept_partial(ref)
        except (OSError, files.ContentMismatch) as error:
            partial.unlink(missing_ok=True)
            why = getattr(error, "strerror", None) or str(error)
            imported.problems.append(
                f"the content of a file ({size_text(size)}, {sha256[:12]}…) could not be put "
                f"in the data folder: {why}; import the bundle again"
            )
            continue
        imported.files["placed"] += 1
        imported.files["placed_bytes"] += size


def _take_schema(data: dict) -> Schema:
    if data.get("protocol") != wire.PROTOCOL_VERSION:
        raise BundleRefused(
            f"the bundle speaks protocol {data.get('protocol')}, this fieldsync "
            f"{wire.PROTOCOL_VERSION}: upgrade fieldsync"
        )
    Account.objects.update(schema=data)
    return Schema(data)


def _import_category(schema: Schema, item: dict, imported: Imported) -> None:
    category, _ = Category.objects.get_or_create(key=str(item["id"]), defaults={"name": ""})
    if "lost" in item:  # the central site could not renew the checkout
        category.checked_out = False
        category.save(update_fields=["checked_out"])
        imported.problems.append(f"{category.name or item['id']}: {item['lost']}")
        return
    category.name = item["name"]
    category.checked_out = True
    category.holders = [item["checkout"]["holder"]]
    category.save(update_fields=["name", "checked_out", "holders"])
    imported.categories.append(category.name)
    imported.warnings += item.get("warnings", [])
    _pull(schema, category, item, imported)


def _pull(schema: Schema, category: Category | None, feed: dict, imported: Imported) -> None:
    """Apply a feed the bundle carries, as a pull from the cursor would; skipped (and
    said so) when it would leave a gap or overrun changes still waiting for answers."""
    account = Account.objects.get()
    label = category.name if category else "reference data"
    local = category.cursor if category else account.reference_cursor
    since, cursor = int(feed["since"]), int(feed["cursor"])
    if since > local:
        imported.problems.append(
            f"{label} not refreshed: the bundle starts at feed position {since}, this "
            f"folder has only reached {local}; ask for a fresh category bundle"
        )
        return
    if cursor <= local:
        return  # nothing newer than what this folder holds
    waiting = PendingChange.objects.filter(state=PendingChange.QUEUED, payload__isnull=False)
    if category is None:
        waiting = waiting.filter(record__category_key__isnull=True)
    else:
        waiting = waiting.filter(record__category_key=category.key)
    if waiting.exists():
        imported.problems.append(
            f"{label} not refreshed: {waiting.count()} change(s) exported earlier still "
            "wait for their answers; import those answers first"
        )
        return
    page = {"changes": feed["changes"], "cursor": cursor, "more": False}
    imported.pulled.update(apply_feed_page(schema, category, page))
    if category is None:
        Account.objects.update(reference_cursor=cursor)
    else:
        Category.objects.filter(key=category.key).update(
            cursor=cursor, last_pulled_at=timezone.now()
        )
        category.cursor = cursor


def _settle(schema: Schema, payload: dict, imported: Imported) -> None:
    """Settle the queue with the central site's answers: results, refusals, reviews."""
    for result in payload["results"]:
        entry = (
            PendingChange.objects.filter(
                change_id=result["id"], state=PendingChange.QUEUED, payload__isnull=False
            )
            .select_related("record")
            .first()
        )
        if entry is not None:  # else already settled, by an earlier import or a sync
            imported.settled[apply_push_result(schema, entry, result)] += 1
    for refusal in payload.get("refused", []):
        PendingChange.objects.filter(change_id__in=refusal["changes"]).update(
            last_error=refusal["detail"]
        )
        imported.problems.append(
            f"{len(refusal['changes'])} change(s) not applied: {refusal['detail']}"
        )
    for change_id, outcome in payload.get("reviews", {}).items():
        entry = (
            PendingChange.objects.filter(change_id=change_id, state=PendingChange.REVIEW)
            .select_related("record")
            .first()
        )
        if entry is None:
            continue
        decided = apply_review_outcome(schema, entry, outcome)
        if decided:
            imported.settled[decided] += 1
