"""The v1 endpoints. docs/protocol.md shows each with a request and an answer."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from .. import access, bundles, checkouts, feed, push, review, schema
from ..conf import setting
from ..errors import bad_request, forbidden, not_found
from ..models import Device, TrackedRow
from ..protocol import wire
from ..registry import REFERENCE_KEY, get_registry
from .endpoint import endpoint, int_param, json_body


@endpoint("GET", auth=False)
def ping(request):
    return {"ok": True, "protocol": wire.PROTOCOL_VERSION, "server_time": timezone.now()}


@endpoint("POST", "DELETE", auth=False)
def token(request):
    if request.method == "DELETE":
        device = access.authenticate(request)
        _, released = access.revoke_devices(Device.objects.filter(pk=device.pk), device.user)
        return {"revoked": True, "released_checkouts": released}
    data = json_body(request)
    fields = {}
    for name in ("username", "password", "device"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise bad_request(f"{name!r} is required and must be a non-empty string.", where=name)
        fields[name] = value
    if len(fields["device"]) > 100:
        raise bad_request("'device' may be at most 100 characters.", where="device")
    public_key = bundles.parse_device_key(data.get("public_key"))
    issued, device = access.issue_token(
        fields["username"], fields["password"], fields["device"].strip(), request
    )
    if public_key is not None:
        bundles.register_device_key(device, public_key)
    return 201, {
        "token": issued,
        "device": _device(device),
        "user": _user(device.user),
        "site_key": bundles.site_public_key(),  # the device pins it for the site's bundles
    }


@endpoint("GET")
def me(request):
    return {"device": _device(request.device), "user": _user(request.device.user)}


@endpoint("GET")
def describe_schema(request):
    return schema.describe(request.device.user)


@endpoint("GET")
def categories(request):
    registry = get_registry()
    user, device = request.device.user, request.device
    if registry.category_model is None:
        return {"categories": []}
    allowed = access.granted_category_keys(user)
    rows = registry.category_model._default_manager.all()
    found = [c for c in rows if allowed is None or str(c.pk) in allowed]
    keys = [str(c.pk) for c in found]
    holders = checkouts.active_holders(keys)
    taken_over = checkouts.taken_over_from(device, keys)
    counts = dict(
        TrackedRow.objects.filter(category_key__in=keys, deleted=False)
        .values_list("category_key")
        .annotate(n=Count("id"))
        .values_list("category_key", "n")
    )
    answer = []
    for category in found:
        key = str(category.pk)
        held = holders.get(key, [])
        listed = {
            "id": key,
            "name": str(category),
            "records": counts.get(key, 0),
            "checked_out_by_me": any(c.device_id == device.pk for c in held),
            "holders": [checkouts.describe_holder(c) for c in held],
        }
        if key in taken_over:  # only then: the device it was taken from must learn it
            listed["taken_over"] = checkouts.describe_taken_over(taken_over[key])
        answer.append(listed)
    return {"categories": answer}


@endpoint("POST")
def checkout(request, category_id: str):
    """Take or renew this device's checkout; ``{"take_over": true}`` takes it from the
    same user's other device (never from another user)."""
    category = access.require_category(request.device.user, category_id)
    take_over = json_body(request, optional=True).get("take_over", False)
    if not isinstance(take_over, bool):
        raise bad_request("'take_over' must be true or false.", where="take_over")
    taken, warnings, moved = checkouts.check_out(
        request.device, str(category.pk), str(category), take_over=take_over
    )
    return {
        "category": {"id": str(category.pk), "name": str(category)},
        "checkout": {
            "mode": taken.mode,
            "since": taken.taken_at,
            "expires_at": taken.expires_at,
        },
        "warnings": warnings,
        "taken_over": [checkouts.describe_holder(c) for c in moved],
    }


@endpoint("POST")
def checkin(request, category_id: str):
    category = access.require_category(request.device.user, category_id)
    released = checkouts.check_in(request.device, str(category.pk))
    return {"category": {"id": str(category.pk), "name": str(category)}, "released": released}


def _feed_page(request, key: str, *, before_reading=None) -> dict:
    """A page of a feed. The query is read first: a bad one is refused (400) before
    `before_reading` (a checkout's renewal) writes anything."""
    since = int_param(request, "since", 0)
    limit = int_param(request, "limit", setting("PULL_LIMIT"), setting("MAX_PULL_LIMIT")) or 1
    count = request.GET.get("count") in ("1", "true", "yes")
    models = _feed_models(request, reference=key == REFERENCE_KEY)
    if before_reading is not None:
        before_reading()
    return feed.read_feed(request.device.user, key, since, limit, count, models)


def _feed_models(request, *, reference: bool):
    """The synced models named by ``models=a.b,c.d`` (None when not given); each
    must be one this feed carries."""
    raw = request.GET.get("models")
    if raw is None:
        return None
    labels = [label.strip().lower() for label in raw.split(",") if label.strip()]
    if not labels:
        raise bad_request("'models' must name at least one model, e.g. news.photo.", where="models")
    registry = get_registry()
    chosen = []
    for label in labels:
        synced = registry.get(label)
        if synced is None:
            raise bad_request(f"unknown model {label!r}", where="models")
        if synced.is_reference != reference:
            feed_name = "the reference feed" if synced.is_reference else "category feeds"
            raise bad_request(f"{label} is not in this feed but in {feed_name}", where="models")
        chosen.append(synced)
    return chosen


@endpoint("GET")
def category_changes(request, category_id: str):
    category = access.require_category(request.device.user, category_id)
    synced = get_registry().category_models()
    if not any(access.has_model_permission(request.device.user, m, "view") for m in synced):
        raise forbidden("You may not view any of the models synced in categories.")
    key = str(category.pk)
    latest = checkouts.require_not_taken_over(request.device, key, str(category))
    return _feed_page(request, key, before_reading=lambda: checkouts.renew_for_pull(latest))


@endpoint("GET")
def reference_changes(request):
    return _feed_page(request, REFERENCE_KEY)


@endpoint("POST")
def push_changes(request):
    changes = wire.parse_push(json_body(request))
    return {"results": push.push(request.device, changes)}


@endpoint("POST")
def review_outcomes(request):
    """What chief editors decided about this device's updates queued for review."""
    ids = json_body(request).get("ids")
    if not isinstance(ids, list):
        raise bad_request("'ids' must be a list of change ids.", where="ids")
    if len(ids) > wire.MAX_CHANGES_PER_PUSH:
        raise bad_request(f"at most {wire.MAX_CHANGES_PER_PUSH} ids at once.", where="ids")
    # Spelled as a push spells them: the outcome of a change is found by its one id.
    valid = [wire.parse_change_id(i, f"ids[{index}]") for index, i in enumerate(ids)]
    return {"outcomes": review.outcomes(request.device, valid)}


@endpoint("GET", "POST", "DELETE", "PUT", "PATCH", auth=False)
def unknown_endpoint(request, rest: str):
    raise not_found(f"There is no endpoint {request.path}; see docs/protocol.md.")


def _device(device) -> dict:
    return {"id": device.pk, "name": device.name, "created_at": device.created_at}


def _user(user) -> dict:
    return {"username": user.get_username(), "is_staff": user.is_staff}
