"""HTTP to the central site: requests with retries and backoff, JSON in and out.

Network errors and 5xx answers are retried with exponential backoff (urllib3's
Retry for connection failures and status codes, an outer loop for a body cut
off mid-response). Retrying a push is safe: every change carries its own id
and the server answers a repeat from its receipts. The token is sent in a
header and never appears in an exception message.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from server_plugin.protocol import wire

_RETRY_STATUS = (500, 502, 503, 504)


class TransportError(Exception):
    """Base of what talking to the server can raise."""


class Offline(TransportError):
    """The server could not be reached (or kept failing) after retries."""


class AuthFailed(TransportError):
    """401: no token, a wrong one, or a revoked device."""

    def __init__(self, detail: str, code: str = ""):
        super().__init__(detail)
        self.code = code


class Refused(TransportError):
    """A 4xx answer: the server understood and said no, with its reason."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        self.code = body.get("error", "")
        self.detail = body.get("detail") or f"the server answered {status}"
        super().__init__(self.detail)


class Transport:
    def __init__(
        self,
        server_url: str,
        token: str | None = None,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 60.0,
    ):
        self.base = server_url.rstrip("/") + f"/fieldsync/{wire.API_VERSION}/"
        self.token = token
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.session = requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=_RETRY_STATUS,
            allowed_methods=None,  # POSTs too: pushes are idempotent by design
            raise_on_status=False,
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.headers["User-Agent"] = "fieldsync-client"

    # -- the endpoints -------------------------------------------------------

    def ping(self, timeout: float = 2.0) -> bool:
        """A cheap, unretried check: is the server there right now?"""
        try:
            response = requests.get(self.base + "ping", timeout=timeout)
            return response.status_code == 200
        except requests.RequestException:
            return False

    def login(
        self, username: str, password: str, device: str, public_key: str | None = None
    ) -> dict:
        """`public_key`: the device's, for its bundles; the answer carries the site's."""
        body = {"username": username, "password": password, "device": device}
        if public_key is not None:
            body["public_key"] = public_key
        return self.request("POST", "auth/token", body, auth=False)

    def logout(self) -> dict:
        return self.request("DELETE", "auth/token")

    def schema(self) -> dict:
        return self.request("GET", "schema")

    def categories(self) -> list[dict]:
        return self.request("GET", "categories")["categories"]

    def checkout(self, key: str) -> dict:
        return self.request("POST", f"categories/{key}/checkout", {})

    def checkin(self, key: str) -> dict:
        return self.request("POST", f"categories/{key}/checkin", {})

    def me(self) -> dict:
        return self.request("GET", "auth/me")

    def category_bundle(self, key: str) -> bytes:
        """A signed category bundle for this device (docs/bundles.md): a file, not JSON.

        The server takes this device's checkout of the category, as checkout does.
        """
        if not self.token:
            raise AuthFailed("not logged in: run `fieldsync login URL --username NAME`")
        try:
            response = self.session.get(
                self.base + f"categories/{key}/bundle",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=(3.05, self.timeout),
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise Offline(f"cannot reach {self.base}: {_reason(error)}") from None
        if response.status_code == 200 and response.content.startswith(b"\x1f\x8b"):
            return response.content
        try:
            data = _json_of(response, self.base)
        except _Truncated:
            raise Offline("the server's answer broke off; try again") from None
        if response.status_code == 401:
            raise AuthFailed(data.get("detail", "not authorised"), data.get("error", ""))
        if response.status_code >= 500:
            raise Offline(f"the server keeps failing ({response.status_code}); try again later")
        if response.status_code >= 400:
            raise Refused(response.status_code, data if isinstance(data, dict) else {})
        raise TransportError(f"{self.base} answered something that is not a bundle")

    def changes(
        self, key: str | None, since: int, limit: int, count: bool = False, models=None
    ) -> dict:
        """A page of a feed; `models` (labels) restricts it to those models' entries."""
        path = "reference/changes" if key is None else f"categories/{key}/changes"
        params = {"since": since, "limit": limit}
        if count:
            params["count"] = 1
        if models:
            params["models"] = ",".join(models)
        return self.request("GET", path, params=params)

    def push(self, changes: list[dict]) -> list[dict]:
        return self.request("POST", "push", {"changes": changes})["results"]

    def reviews(self, change_ids: list[str]) -> dict:
        return self.request("POST", "reviews", {"ids": change_ids})["outcomes"]

    # -- plumbing ------------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None, *, params=None, auth: bool = True
    ) -> Any:
        headers = {}
        if auth:
            if not self.token:
                raise AuthFailed("not logged in: run `fieldsync login URL --username NAME`")
            headers["Authorization"] = f"Bearer {self.token}"
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    self.base + path,
                    json=body,
                    params=params,
                    headers=headers,
                    timeout=(3.05, self.timeout),
                )
                data = _json_of(response, self.base)
                break
            except (requests.ConnectionError, requests.Timeout) as error:
                raise Offline(f"cannot reach {self.base}: {_reason(error)}") from None
            except (requests.exceptions.ChunkedEncodingError, _Truncated) as error:
                # The answer was cut off mid-body: ask again (a push is idempotent).
                attempt += 1
                if attempt > self.retries:
                    raise Offline(
                        f"the server's answers keep breaking off: {_reason(error)}"
                    ) from None
                time.sleep(self.backoff * (2 ** (attempt - 1)))
        if response.status_code == 401:
            raise AuthFailed(data.get("detail", "not authorised"), data.get("error", ""))
        if response.status_code in _RETRY_STATUS:
            raise Offline(f"the server keeps failing ({response.status_code}); try again later")
        if response.status_code >= 400:
            raise Refused(response.status_code, data if isinstance(data, dict) else {})
        return data


class _Truncated(Exception):
    pass


def _json_of(response: requests.Response, base: str) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        if "json" in response.headers.get("Content-Type", "") or response.status_code >= 500:
            raise _Truncated("incomplete JSON") from None
        raise TransportError(
            f"{base} does not answer like a fieldsync server ({response.status_code})"
        ) from None


def _reason(error: Exception) -> str:
    """A short reason, without URLs' query strings or headers."""
    text = str(error.__class__.__name__)
    inner = getattr(error, "args", ())
    if inner and "timed out" in str(inner[0]).lower():
        return "timed out"
    if inner and "refused" in str(inner[0]).lower():
        return "connection refused"
    return text
