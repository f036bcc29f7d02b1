"""Bundles on the central site: export a category for a device, apply its changes, answer.

Offices with no connection at all exchange files instead of requests, and
nothing else about syncing changes. An export takes the device's checkout
like ``POST .../checkout`` and carries the category's feed like a pull, with
the content of its files up to a size per file (the rest travel as
references); an uploaded changes bundle first stores the files it carries as
completed uploads of its device (uploads.py: verified, kept once), then goes
through `push.push()`, so conflicts, review and receipts work as online (a
second upload of the same file stores and applies nothing twice); the answers
carry the push results and the feed since the office's cursor. A changes
bundle and every file in it are checked against the public key the device
registered at login before anything in it is believed; the site signs what
it sends with its own key, derived from SECRET_KEY (never in the database).
Bundles are written to and read from files, streamed, never whole in memory.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from . import access, checkouts, feed, push, review, schema, stored_files, uploads
from .category_names import category_name
from .conf import setting
from .errors import ApiError, bad_request
from .models import Device
from .protocol import bundle_format, files, wire
from .protocol.bundle_format import BundleError, CarriedFile
from .push import receipts
from .registry import REFERENCE_KEY, get_registry

_SITE_KEY_INFO = b"fieldsync bundles: the site's Ed25519 signing key"

LOG_IN_AGAIN = (
    "logged in before bundles were signed with a key of its own, so it cannot sign or "
    "check one: log in again on that computer (`fieldsync login URL --username NAME`)"
)


# -- who signs, for whom ----------------------------------------------------------


def site_signing_key(secret: str | None = None) -> str:
    """The site's private key, derived from SECRET_KEY with HKDF: every app server has
    it without a file to share, and a database read does not reveal it
    (docs/decisions.md says why this and not a key file)."""
    secret = settings.SECRET_KEY if secret is None else secret
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SITE_KEY_INFO)
    return bundle_format.signing_key_from_seed(derive.derive(secret.encode()))


def site_public_key(secret: str | None = None) -> str:
    """What a device pins at login and checks category and answers bundles with."""
    return bundle_format.public_key_of(site_signing_key(secret))


def server_id(secret: str | None = None) -> str:
    """This site's name in bundles: the id of its key, so a copy of the database on
    another site (staging, another SECRET_KEY) refuses production's bundles."""
    return bundle_format.key_id(site_public_key(secret))


def _known_server_ids() -> set[str]:
    """Ours, and those of rotated keys (SECRET_KEY_FALLBACKS): changes bundles in the
    field outlive a key rotation (they are signed by devices, not by the site)."""
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", []) or []
    return {server_id(), *(server_id(secret) for secret in fallbacks)}


def parse_device_key(value) -> str | None:
    """The public key a device sends at login, canonical, or None when it sends none
    (a client older than device keys: it syncs online, its bundles are refused)."""
    if value is None:
        return None
    try:
        return bundle_format.parse_public_key(value)
    except ValueError as error:
        raise bad_request(
            f"'public_key' must be an Ed25519 public key in base64 ({error}).", where="public_key"
        ) from None


def register_device_key(device: Device, public_key: str) -> None:
    """Bundles from this device are checked with this key from now on."""
    device.public_key = public_key
    device.save(update_fields=["public_key"])


def _device_json(device: Device) -> dict:
    return {"id": device.pk, "name": device.name, "user": device.user.get_username()}


def _write_signed(out: BinaryIO, kind: str, device: Device, payload: dict,
                  carried: list[CarriedFile]) -> None:  # fmt: skip
    plain = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    bundle_format.write(
        out,
        kind,
        signing_key=site_signing_key(),
        server=server_id(),
        device=_device_json(device),
        payload=plain,
        files=carried,
    )


def _in_memory(write, *args, **options) -> tuple[bytes, str]:
    """A bundle written into memory instead of a file: (its bytes, its file name)."""
    out = io.BytesIO()
    name = write(*args, out, **options)
    return out.getvalue(), name


def usable_device(device: Device) -> Device:
    if device.is_revoked:
        raise BundleError(f"device {device.pk} ({device.name}) was revoked: it gets no bundles")
    if not device.user.is_active:
        raise BundleError(f"the account of {device.user.get_username()} is disabled")
    return device


def keyed_device(device: Device) -> Device:
    """A device with a key of its own registered: it pinned the site's key at the same
    login, so it can check what the site signs and sign what it sends."""
    if not device.public_key:
        raise BundleError(
            f"device {device.pk} ({device.name}, {device.user.get_username()}) {LOG_IN_AGAIN}"
        )
    return device


def file_name(kind: str, device: Device, label: str = "") -> str:
    day = timezone.localdate().isoformat()
    parts = [kind, label, f"device{device.pk}", day]
    slug = "-".join(p for p in parts if p).replace(" ", "-").replace("/", "-").lower()
    return slug + bundle_format.SUFFIX


# -- export -------------------------------------------------------------------------


def _feed_since(user, key: str, since: int) -> dict:
    """The whole feed after `since`, as pages would bring it, one entry per record."""
    entries: dict[tuple[str, str], dict] = {}
    cursor = since
    while True:
        page = feed.read_feed(user, key, cursor, setting("MAX_PULL_LIMIT"))
        for change in page["changes"]:
            key_of = (change["model"], str(change["pk"]))
            entries.pop(key_of, None)  # a record written meanwhile: its newer entry counts
            entries[key_of] = change
        cursor = page["cursor"]
        if not page["more"]:
            break
    return {"since": since, "cursor": cursor, "changes": list(entries.values())}


def _category_feed(device: Device, key: str, since: int) -> dict:
    """A category's feed for the device, after taking (or renewing) its checkout."""
    category = access.require_category(device.user, key)
    name = str(category)
    taken, warnings, _ = checkouts.check_out(device, str(category.pk), name)
    return {
        "id": str(category.pk),
        "name": name,
        "checkout": {
            "mode": taken.mode,
            "since": taken.taken_at,
            "expires_at": taken.expires_at,
            "holder": checkouts.describe_holder(taken),
        },
        "warnings": warnings,
        **_feed_since(device.user, str(category.pk), since),
    }


def write_category(device: Device, key: str, out: BinaryIO, *,
                   download_limit: int = bundle_format.DEFAULT_FILE_LIMIT) -> str:  # fmt: skip
    """Write a category bundle for the device to `out`; returns a file name for it.

    Takes (or renews) the device's checkout first, as ``POST checkout`` does:
    ApiError 409 naming the holder when another device holds it. Carries the
    content of each file its records refer to of at most `download_limit` bytes.
    """
    usable_device(device)
    access.require_category(device.user, str(key))  # rights first, as for a checkout
    keyed_device(device)
    category = _category_feed(device, str(key), 0)
    payload = {
        "schema": schema.describe(device.user),
        "reference": _feed_since(device.user, REFERENCE_KEY, 0),
        "categories": [category],
    }
    carried = carried_files(_feeds_of(payload), download_limit)
    _write_signed(out, bundle_format.CATEGORY, device, payload, carried)
    return file_name("category", device, category["name"])


def export_category(device: Device, key: str, **options) -> tuple[bytes, str]:
    """`write_category` into memory: (the bundle's bytes, a file name)."""
    return _in_memory(write_category, device, key, **options)


# -- the files a bundle carries ----------------------------------------------------------


def _feeds_of(payload: dict) -> list[dict]:
    return [payload["reference"], *(c for c in payload["categories"] if "changes" in c)]


def file_refs(label: str, values: dict | None) -> Iterator[files.FileRef]:
    """The references in a record's wire values, by its model's file fields (a JSON
    field holding a dict of the same shape is not one)."""
    synced = get_registry().get(str(label))
    if synced is None or not isinstance(values, dict):
        return
    types = synced.types
    for name, value in values.items():
        if name in types and types[name].kind == "file":
            try:
                ref = files.read_ref(value)
            except files.FileRefError:
                continue
            if ref is not None:
                yield ref


def carried_files(feeds: Iterable[dict], limit: int, leave_out: set[str] = frozenset()
                  ) -> list[CarriedFile]:  # fmt: skip
    """The contents the feeds' records refer to, each of at most `limit` bytes and held
    by the site (not those in `leave_out`): what a bundle carries beside the records."""
    found: dict[str, files.FileRef] = {}
    for page in feeds:
        for entry in page["changes"]:
            for ref in file_refs(entry["model"], entry.get("fields")):
                if ref.size <= limit and ref.sha256 not in leave_out:
                    found.setdefault(ref.sha256, ref)
    return [
        CarriedFile(ref.sha256, ref.size, _opener(ref.sha256), ref.content_type)
        for ref in found.values()
        if stored_files.held_size(ref.sha256) == ref.size
    ]


def _opener(digest: str):
    def opened() -> BinaryIO:
        try:
            return stored_files.open_readable(digest)
        except stored_files.NeedsFiles:
            raise BundleError(
                f"the file {digest[:12]}… went missing from the site's storage while the "
                "bundle was made; make it again"
            ) from None

    return opened


# -- reading an uploaded changes bundle ------------------------------------------------


@dataclass
class Upload:
    """A verified changes bundle: whose it is and what it asks. It keeps the bundle
    open (its files are streamed from it): close it, or let `apply_changes` do it."""

    device: Device
    changes: list[wire.Change]
    categories: list[dict]  # [{"id", "cursor"}]: what the office holds, and how far it pulled
    reference_cursor: int
    waiting_review: list[str]  # change ids the office knows are queued for review
    bundle: bundle_format.Bundle | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.bundle is not None:
            self.bundle.close()

    def __enter__(self) -> Upload:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_changes(source: bundle_format.Source) -> Upload:
    """Check an uploaded file (bytes, a path or a seekable file) and parse it; every
    file it carries is hashed before anything is believed. BundleError says why it is
    refused; nothing is stored or applied then."""
    bundle = bundle_format.read(source, setting("MAX_BUNDLE_BYTES"))
    try:
        return _read_changes(bundle)
    except BaseException:
        bundle.close()
        raise


def _read_changes(bundle: bundle_format.Bundle) -> Upload:
    if bundle.kind != bundle_format.CHANGES:
        raise BundleError(
            f"this is {bundle_format.kind_name(bundle.kind)}, made by the central site for "
            f"{bundle.describe_device()}; upload the file `fieldsync export --changes` wrote"
        )
    device = _device_of(bundle)
    payload = bundle.payload
    try:
        changes = _parse_changes(payload.get("changes"))
    except wire.WireError as error:
        raise BundleError(f"the bundle's {error.where or 'changes'} {error.detail}") from None
    categories = payload.get("categories") or []
    if not isinstance(categories, list) or not all(
        isinstance(c, dict) and isinstance(c.get("cursor", 0), int) for c in categories
    ):
        raise BundleError("the bundle's categories are not a list of {id, cursor}")
    waiting = [str(i) for i in payload.get("waiting_review") or [] if isinstance(i, str)]
    cursor = payload.get("reference_cursor") or 0
    limit = setting("MAX_FILE_BYTES")
    for digest, size in bundle.files.items():
        if size > limit:
            raise BundleError(
                f"the bundle carries a file of {files.size_text(size)} ({digest[:12]}…), over "
                f"the site's limit of {files.size_text(limit)} per file"
            )
    bundle.check_files()
    return Upload(device, changes, categories, int(cursor), waiting, bundle)


def _device_of(bundle: bundle_format.Bundle) -> Device:
    """The device that signed the bundle, checked with the public key it registered."""
    if bundle.server not in _known_server_ids():
        raise BundleError(
            f"this bundle belongs to another central site (server {bundle.server}), not to this one"
        )
    device = Device.objects.select_related("user").filter(pk=bundle.device_id).first()
    if device is None:
        raise BundleError(f"this bundle was made by {bundle.describe_device()}, unknown here")
    bundle.verify(keyed_device(device).public_key)
    return usable_device(device)


def _parse_changes(raw) -> list[wire.Change]:
    """Read as a push's changes are (any number of them: they are pushed in batches)."""
    return wire.parse_changes(raw, limit=None)


# -- applying it --------------------------------------------------------------------------


@dataclass
class Refusal:
    """Changes of one category that were not applied, and why (e.g. held by another)."""

    category: str | None
    error: str
    detail: str
    changes: list[str]

    @property
    def category_name(self) -> str:
        """The category as messages name it (by name, never its id)."""
        return "reference data" if self.category is None else category_name(self.category)


@dataclass
class Applied:
    upload: Upload
    results: list[dict]  # ChangeResult JSON, in the bundle's order
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: Counter = field(default_factory=Counter)  # stored, stored_bytes, held already

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for result in self.results:
            counted[result["status"]] = counted.get(result["status"], 0) + 1
        refused = sum(len(r.changes) for r in self.refused)
        if refused:
            counted["not applied"] = refused
        return counted

    @property
    def files_text(self) -> str:
        """What became of the files it carried, in words ("" when it carried none)."""
        parts = []
        if self.files["stored"]:
            size = files.size_text(self.files["stored_bytes"])
            parts.append(f"{self.files['stored']} stored ({size})")
        if self.files["held"]:
            parts.append(f"{self.files['held']} the site held already")
        return ", ".join(parts)


def apply_changes(upload: Upload) -> Applied:
    """Store the bundle's files, then push its changes for its device, a batch per
    category like the client (and close the upload).

    A category's checkout is taken again first (it may have run out while the
    office was cut off); when another device holds it, that category's
    changes are refused and the others still apply.
    """
    try:
        stored = store_files(upload)
        applied = _push_changes(upload)
    finally:
        upload.close()
    applied.files = stored
    return applied


def _push_changes(upload: Upload) -> Applied:
    device = upload.device
    groups: dict[str | None, list[wire.Change]] = {}
    for change in upload.changes:
        key = None if change.category is None else str(change.category)
        groups.setdefault(key, []).append(change)
    by_id: dict[str, dict] = {}
    applied = Applied(upload, [])
    for key, group in groups.items():
        done = 0
        try:
            if key is not None:
                category = access.require_category(device.user, key)
                _, warnings, _ = checkouts.check_out(device, key, str(category))
                applied.warnings += warnings
            for start in range(0, len(group), wire.MAX_CHANGES_PER_PUSH):
                chunk = group[start : start + wire.MAX_CHANGES_PER_PUSH]
                for result in push.push(device, chunk):
                    by_id[result["id"]] = result
                done = start + len(chunk)
        except ApiError as error:
            left = [c.id for c in group[done:]]
            applied.refused.append(Refusal(key, error.code, error.detail, left))
    applied.results = [by_id[c.id] for c in upload.changes if c.id in by_id]
    return applied


# -- the files it carries -------------------------------------------------------------------


def store_files(upload: Upload) -> Counter:
    """Store the contents the bundle carries that its changes name and the site does
    not hold, as completed uploads of its device: the path a client's upload takes
    (verified again, kept in the default storage until a push stores it in its
    field's storage, once per storage and hash). Content held already is not
    stored again, so a second upload of the same bundle stores nothing."""
    done: Counter = Counter()
    bundle, device = upload.bundle, upload.device
    if bundle is None or not bundle.files:
        return done
    named = {
        ref.sha256: ref
        for change in upload.changes
        for ref in file_refs(change.model, change.values)
        if bundle.files.get(ref.sha256) == ref.size
    }
    if named and not access.may_attach_files(device.user):
        return done  # nothing it sends may hold a file: its changes are refused by rights
    for digest, ref in sorted(named.items()):
        if stored_files.held_size(digest) is not None:
            done["held"] += 1
            continue
        done["stored_bytes"] += _upload_from(bundle, device, ref)
        done["stored"] += 1
    return done


def _upload_from(bundle: bundle_format.Bundle, device: Device, ref: files.FileRef) -> int:
    """One carried content, fed to uploads.receive chunk after chunk from the offset
    the device's upload has reached; returns the bytes stored."""
    try:
        for _attempt in range(2):  # a partial upload from before that was not this content
            state = uploads.start(device, ref)
            sent = 0
            with bundle.open_file(ref.sha256) as member:
                _skip(member, state.received)
                while not state.complete:
                    window = _Window(member, min(files.MAX_CHUNK_BYTES, ref.size - state.received))
                    state = uploads.receive(device, ref.sha256, state.received, window, window.size)
                    sent += window.read_bytes
                    if state.mismatch:
                        break
            if not state.mismatch:
                return sent
    except uploads.UploadRefused as refused:
        raise BundleError(f"the bundle's file {ref.base_name}: {refused.detail}") from None
    raise BundleError(f"the bundle's file {ref.base_name} does not check out once stored")


def _skip(stream: BinaryIO, count: int) -> None:
    """Read past what the device's upload holds already."""
    while count > 0:
        data = stream.read(min(count, files.CHUNK_BYTES))
        if not data:
            return
        count -= len(data)


class _Window(io.RawIOBase):
    """The next `size` bytes of a stream, as one upload chunk's body."""

    def __init__(self, stream: BinaryIO, size: int):
        self.stream, self.size, self.read_bytes = stream, size, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.read_bytes
        want = left if size is None or size < 0 else min(size, left)
        data = self.stream.read(want) if want > 0 else b""
        self.read_bytes += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# -- answering it --------------------------------------------------------------------------


@dataclass
class AnswersRequest:
    """What an answers bundle is made from; small enough to round-trip through a
    signed form field, so the admin can offer the download after the upload."""

    device: int
    changes: list[str]
    categories: list[dict]
    reference_cursor: int
    waiting_review: list[str]
    refused: list[dict]

    @classmethod
    def of(cls, applied: Applied) -> AnswersRequest:
        upload = applied.upload
        return cls(
            device=upload.device.pk,
            changes=[c.id for c in upload.changes],
            categories=[
                {"id": str(c.get("id")), "cursor": c.get("cursor", 0)} for c in upload.categories
            ],  # fmt: skip
            reference_cursor=upload.reference_cursor,
            waiting_review=upload.waiting_review,
            refused=[asdict(r) for r in applied.refused],
        )

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> AnswersRequest:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def write_answers(request: AnswersRequest, out: BinaryIO, *,
                  download_limit: int = bundle_format.DEFAULT_FILE_LIMIT) -> str:  # fmt: skip
    """Write the answers bundle to `out`; returns a file name for it. It holds each
    change's result (from its receipt, so asking twice answers the same), review
    outcomes, and the feeds since the office's cursors, with the content of their
    files up to `download_limit` bytes each (not those the office's changes sent)."""
    device = usable_device(Device.objects.select_related("user").get(pk=request.device))
    answered = receipts.results(device, request.changes)
    results = [answered[i] for i in receipts.canonical_ids(request.changes) if i in answered]
    categories = []
    for held in request.categories:
        try:
            categories.append(_category_feed(device, held["id"], int(held["cursor"])))
        except ApiError as error:
            categories.append({"id": held["id"], "lost": error.detail, "error": error.code})
    payload = {
        "results": results,
        "refused": request.refused,
        "reviews": review.outcomes(device, request.changes + request.waiting_review),
        "schema": schema.describe(device.user),
        "reference": _feed_since(device.user, REFERENCE_KEY, request.reference_cursor),
        "categories": categories,
    }
    sent = {ref.sha256 for r in results for ref in file_refs(r.get("model", ""), r.get("values"))}
    carried = carried_files(_feeds_of(payload), download_limit, leave_out=sent)
    _write_signed(out, bundle_format.ANSWERS, device, payload, carried)
    return file_name("answers", device)


def make_answers(request: AnswersRequest, **options) -> tuple[bytes, str]:
    """`write_answers` into memory: (the bundle's bytes, a file name)."""
    return _in_memory(write_answers, request, **options)
