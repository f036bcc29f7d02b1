"""Bundles on the central site: export a category for a device, apply its changes, answer.

Offices with no connection at all exchange files instead of requests, and
nothing else about syncing changes. An export takes the device's checkout
like ``POST .../checkout`` and carries the category's feed like a pull; an
uploaded changes bundle goes through `push.push()`, so conflicts, review and
receipts work as online (a second upload of the same file applies nothing
twice); the answers carry the push results and the feed since the office's
cursor. A changes bundle is checked against the public key the device
registered at login before anything in it is believed; the site signs what it
sends with its own key, derived from SECRET_KEY (never in the database).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from . import access, checkouts, feed, push, review, schema
from .conf import setting
from .errors import ApiError, bad_request
from .models import Device
from .protocol import bundle_format, wire
from .protocol.bundle_format import BundleError
from .push import receipts
from .registry import REFERENCE_KEY

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


def _signed(kind: str, device: Device, payload: dict) -> bytes:
    plain = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return bundle_format.make(
        kind,
        signing_key=site_signing_key(),
        server=server_id(),
        device=_device_json(device),
        payload=plain,
    )


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
    taken, warnings = checkouts.check_out(device, str(category.pk), name)
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


def export_category(device: Device, key: str) -> tuple[bytes, str]:
    """A category bundle for the device, and a file name for it.

    Takes (or renews) the device's checkout first, as ``POST checkout`` does:
    ApiError 409 naming the holder when another device holds it.
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
    return _signed(bundle_format.CATEGORY, device, payload), file_name(
        "category", device, category["name"]
    )


# -- reading an uploaded changes bundle ------------------------------------------------


@dataclass
class Upload:
    """A verified changes bundle: whose it is and what it asks."""

    device: Device
    changes: list[wire.Change]
    categories: list[dict]  # [{"id", "cursor"}]: what the office holds, and how far it pulled
    reference_cursor: int
    waiting_review: list[str]  # change ids the office knows are queued for review


def read_changes(data: bytes) -> Upload:
    """Check an uploaded file and parse it; BundleError says why it is refused."""
    bundle = bundle_format.read(data, setting("MAX_BUNDLE_BYTES"))
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
    return Upload(device, changes, categories, int(cursor), waiting)


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


@dataclass
class Applied:
    upload: Upload
    results: list[dict]  # ChangeResult JSON, in the bundle's order
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for result in self.results:
            counted[result["status"]] = counted.get(result["status"], 0) + 1
        refused = sum(len(r.changes) for r in self.refused)
        if refused:
            counted["not applied"] = refused
        return counted


def apply_changes(upload: Upload) -> Applied:
    """Push the bundle's changes for its device, a batch per category like the client.

    A category's checkout is taken again first (it may have run out while the
    office was cut off); when another device holds it, that category's
    changes are refused and the others still apply.
    """
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
                _, warnings = checkouts.check_out(device, key, str(category))
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


def make_answers(request: AnswersRequest) -> tuple[bytes, str]:
    """The answers bundle: each change's result (from its receipt, so asking twice
    answers the same), review outcomes, and the feeds since the office's cursors."""
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
    return _signed(bundle_format.ANSWERS, device, payload), file_name("answers", device)
