"""What every API view shares: method check, token, JSON in and out, errors.

Views return a dict (200) or ``(status, dict)`` and raise ApiError for a
4xx; anything unexpected becomes a 500 with a JSON body and a log entry
that never contains the request's headers (and so never the token).
"""

from __future__ import annotations

import json
import logging
import re
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from ..access import authenticate
from ..conf import setting
from ..errors import ApiError, bad_request
from ..protocol import wire
from ..protocol.wire import WireError

logger = logging.getLogger("server_plugin.api")


def json_response(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, encoder=DjangoJSONEncoder)


def endpoint(*methods: str, auth: bool = True):
    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = json_response(
                    {
                        "error": "method_not_allowed",
                        "detail": f"Use {' or '.join(methods)} for this endpoint.",
                    },
                    405,
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if auth:
                    request.device = authenticate(request)
                answer = view(request, *args, **kwargs)
            except ApiError as error:
                response = json_response(error.to_json(), error.status)
                for header, value in getattr(error, "headers", {}).items():
                    response[header] = value  # e.g. a login throttle's Retry-After
                return response
            except WireError as error:
                return json_response(
                    {"error": "bad_request", "detail": str(error), "where": error.where}, 400
                )
            except Exception:
                logger.exception("fieldsync: %s %s failed", request.method, request.path)
                return json_response(
                    {
                        "error": "server_error",
                        "detail": "The server failed while answering; try again later.",
                    },
                    500,
                )
            if isinstance(answer, HttpResponseBase):  # a file, streamed
                return answer
            status, body = answer if isinstance(answer, tuple) else (200, answer)
            return json_response(body, status)

        return wrapper

    return decorate


def json_body(request, *, optional: bool = False) -> dict:
    """The request's JSON object, refusing oversize and malformed bodies (`optional`:
    no body at all reads as ``{}``).

    Within the protocol's bounds too (wire.read_json): nesting, number sizes,
    NaN and text no backend stores are a 400 naming where, before any view
    reads the body.
    """
    limit = setting("MAX_BODY_BYTES")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise ApiError(413, "too_large", f"The body is {declared} bytes; the limit is {limit}.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "too_large", f"The body is over the limit of {limit} bytes.")
    if optional and not raw.strip():
        return {}
    try:
        data = wire.read_json(raw.decode("utf-8") if raw else "")
    except UnicodeDecodeError:
        raise bad_request("The body is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    return data


def int_param(request, name: str, default: int, maximum: int | None = None) -> int:
    """A whole-number query parameter from 0 to what a 64-bit column holds (feed
    positions are such columns), written in ASCII digits."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", raw.strip()):
        raise bad_request(f"The query parameter {name!r} must be an integer.", where=name)
    value = int(raw)
    if value < 0:
        raise bad_request(f"The query parameter {name!r} must not be negative.", where=name)
    if value > wire.INT64[1]:
        raise bad_request(
            f"The query parameter {name!r} must be at most {wire.INT64[1]}.", where=name
        )
    return min(value, maximum) if maximum is not None else value
