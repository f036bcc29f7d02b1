"""The one error type the API turns into a 4xx JSON answer.

Raised by the non-HTTP modules (access, checkouts, push) so that each says
what went wrong in words an editor or a script can act on; api/views.py
renders it as ``{"error": code, "detail": sentence, ...}``.
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra

    def to_json(self) -> dict:
        return {"error": self.code, "detail": self.detail, **self.extra}


def bad_request(detail: str, **extra) -> ApiError:
    return ApiError(400, "bad_request", detail, **extra)


def forbidden(detail: str, **extra) -> ApiError:
    return ApiError(403, "forbidden", detail, **extra)


def not_found(detail: str, **extra) -> ApiError:
    return ApiError(404, "not_found", detail, **extra)
