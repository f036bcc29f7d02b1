"""HTTP to the central site: requests with retries and backoff, JSON in and out.

Network errors and 5xx answers are retried with exponential backoff (urllib3's
Retry for connection failures and status codes, an outer loop for a body cut
off mid-response). Retrying a push is safe: every change carries its own id
and the server answers a repeat from its receipts. The token is sent in a
header and never appears in an exception message.

Timeouts suit a bad field link: seconds, not minutes (CONNECT_TIMEOUT and
READ_TIMEOUT, the one place they are set; the environment may tune them).
`quick()` sends without the retry ladder, for a folder known to be offline.
A `cancel` event, checked before every request and between chunks, stops the
work between two requests (`Cancelled`): what was answered and applied stays.

The password and the token never go over plain http to a host that is not
loopback unless the editor insisted (``--insecure-http``, the app's checkbox):
the session's http adapter refuses before connecting, so a redirect cannot
take them there either. https verifies the site's certificate (requests does;
``REQUESTS_CA_BUNDLE`` names a site's own certificate authority).
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from server_plugin.protocol import wire
from server_plugin.protocol.files import CHUNK_BYTES, FileRef

from .crash_points import CrashHook

if TYPE_CHECKING:
    import requests

# requests (and urllib3 under it, ~45 ms) is imported by the methods that send, not
# here: the engine imports this module for its errors, and a local command (records,
# edit, conflicts) must start without loading an HTTP stack it never uses.

_RETRY_STATUS = (500, 502, 503, 504)
# Seconds to wait for a connection, and for each read of an answer: a link that says
# nothing for that long is taken as down (then retried, unless known offline).
CONNECT_TIMEOUT = float(os.environ.get("FIELDSYNC_CONNECT_TIMEOUT", 5))
READ_TIMEOUT = float(os.environ.get("FIELDSYNC_READ_TIMEOUT", 30))
_BUNDLE_TYPES = ("application/zip", "application/gzip")  # bundle_format's, old and new


class TransportError(Exception):
    """Base of what talking to the server can raise."""


class Offline(TransportError):
    """The server could not be reached (or kept failing) after retries."""


class AuthFailed(TransportError):
    """401: no token, a wrong one, or a revoked device."""

    def __init__(self, detail: str, code: str = ""):
        super().__init__(detail)
        self.code = code


class InsecureTransport(TransportError):
    """Plain http to a host that is not loopback, and the editor did not insist."""


class Cancelled(TransportError):
    """The editor cancelled: the work stopped between two requests. What was answered
    and applied before stays (each page, push batch or file chunk is whole); the
    next sync takes up the rest. `report`: what a sync had done (SyncReport), if any."""

    def __init__(self, report=None):
        super().__init__("cancelled: what was already synced stays; sync again to finish")
        self.report = report


class CertificateRejected(TransportError):
    """The site's https certificate could not be verified: retrying will not help."""


class Refused(TransportError):
    """A 4xx answer: the server understood and said no, with its reason."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        self.code = body.get("error", "")
        self.detail = body.get("detail") or f"the server answered {status}"
        super().__init__(self.detail)


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1), by name: nothing is resolved,
    so what a resolver answers (or an attacker on it) cannot change the decision."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def plain_http_refusal(url: str, insecure_http: bool) -> str | None:
    """Why nothing may be sent to `url`, or None: plain http leaves this machine only
    when the editor insisted (the password and the token would travel in clear)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or insecure_http or is_loopback(parts.hostname or ""):
        return None
    return (
        f"refusing plain http to {parts.hostname}: your password and token would travel "
        "in clear; use https://, or log in with --insecure-http to accept that risk"
    )


def sends_in_clear(url: str, insecure_http: bool) -> bool:
    """The editor insisted on plain http to a host that is not loopback: the choice an
    account remembers and status shows (a loopback or https site needs none)."""
    return insecure_http and plain_http_refusal(url, insecure_http=False) is not None


@cache
def _plain_http_guard() -> type:
    """The adapter class for http://, made when the first Transport is (it needs requests)."""
    from requests.adapters import HTTPAdapter

    class PlainHttpGuard(HTTPAdapter):
        """The session's adapter for http://: refuses before connecting (redirects too)."""

        def __init__(self, insecure_http: bool, **kwargs):
            self.insecure_http = insecure_http
            super().__init__(**kwargs)

        def send(self, request, *args, **kwargs):
            refusal = plain_http_refusal(request.url, self.insecure_http)
            if refusal:
                raise InsecureTransport(refusal)
            return super().send(request, *args, **kwargs)

    return PlainHttpGuard


class Transport:
    def __init__(
        self,
        server_url: str,
        token: str | None = None,
        *,
        insecure_http: bool = False,
        retries: int = 4,
        backoff: float = 0.5,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        cancel: threading.Event | None = None,
    ):
        self.base = server_url.rstrip("/") + f"/fieldsync/{wire.API_VERSION}/"
        self.token = token
        self.insecure_http = insecure_http
        self.retries = retries
        self.backoff = backoff
        self.timeouts = (connect_timeout or CONNECT_TIMEOUT, read_timeout or READ_TIMEOUT)
        self.cancel = cancel
        self._session: requests.Session | None = None
        self._session_made = threading.Lock()
        self._retries_now = retries
        self._crash = CrashHook.from_env()

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made at the first request: an engine made for a local
        command (records, edit) never sends one, and never loads requests."""
        with self._session_made:
            if self._session is None:
                import requests

                self._session = requests.Session()
                self._session.headers["User-Agent"] = "fieldsync-client"
                self._mount_on(self._session, self._retries_now)
        return self._session

    def _mount(self, retries: int) -> None:
        """Retry `retries` times from now on (the session, once made, is remounted)."""
        self._retries_now = retries
        if self._session is not None:
            self._mount_on(self._session, retries)

    def _mount_on(self, session: requests.Session, retries: int) -> None:
        """The session's adapters, retrying connections and 5xx `retries` times, and a
        read that timed out once at most (a silent link gets no four more waits)."""
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        retry = Retry(
            total=retries,
            connect=retries,
            read=min(retries, 1),
            status=retries,
            other=0,  # a certificate that fails verification fails the same next time
            backoff_factor=self.backoff,
            status_forcelist=_RETRY_STATUS,
            allowed_methods=None,  # POSTs too: pushes are idempotent by design
            raise_on_status=False,
            # A 429's Retry-After (a login throttle: minutes) is for the editor to
            # read, not for urllib3 to sleep through; 5xx keep the backoff.
            respect_retry_after_header=False,
        )
        guard = _plain_http_guard()
        session.mount("http://", guard(self.insecure_http, max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))

    @contextmanager
    def quick(self) -> Iterator[None]:
        """Requests inside try once, with no retry ladder, and wait for an answer no
        longer than for a connection: a folder known to be offline learns within
        seconds whether the link is back."""
        kept, kept_timeouts = self._retries_now, self.timeouts
        self._mount(0)
        self.timeouts = (kept_timeouts[0], min(kept_timeouts))
        try:
            yield
        finally:
            self._mount(kept)
            self.timeouts = kept_timeouts

    def stop_if_cancelled(self) -> None:
        """Cancelled, if the editor asked: called between requests and chunks."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()

    def _pause(self, seconds: float) -> None:
        """A backoff wait that a cancel cuts short."""
        if self.cancel is not None:
            self.cancel.wait(seconds)
            self.stop_if_cancelled()
        else:
            threading.Event().wait(seconds)

    @classmethod
    def for_account(cls, account, token: str | None = None, **options) -> Transport:
        """The transport to a folder's server, with the choice its editor made at login."""
        return cls(account.server_url, token, insecure_http=account.insecure_http, **options)

    @property
    def sends_in_clear(self) -> bool:
        return sends_in_clear(self.base, self.insecure_http)

    # -- the endpoints -------------------------------------------------------

    def ping(self, timeout: float = 2.0) -> bool:
        """A cheap, unretried check: is the server there right now? (It carries no
        secret, so it goes out over plain http even where a login would not.)"""
        import requests

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

    def checkout(self, key: str, take_over: bool = False) -> dict:
        """`take_over`: from the same user's other device (never another user's)."""
        return self.request("POST", f"categories/{key}/checkout", {"take_over": take_over})

    def checkin(self, key: str) -> dict:
        return self.request("POST", f"categories/{key}/checkin", {})

    def me(self) -> dict:
        return self.request("GET", "auth/me")

    def category_bundle(self, key: str, out, download_limit: int | None = None) -> int:
        """Write a signed category bundle for this device (docs/bundles.md) to `out`, a
        binary file, streamed; returns its size. It carries the content of each file of
        at most `download_limit` bytes (the server's default: 2 MB).

        The server takes this device's checkout of the category, as checkout does.
        """
        import requests

        if not self.token:
            raise AuthFailed("not logged in: run `fieldsync login URL --username NAME`")
        self.stop_if_cancelled()
        params = {} if download_limit is None else {"download_limit": download_limit}
        try:
            response = self.session.get(
                self.base + f"categories/{key}/bundle",
                params=params,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeouts,
                stream=True,
            )
        except requests.exceptions.SSLError as error:
            raise _certificate_rejected(self.base, error) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise Offline(f"cannot reach {self.base}: {_reason(error)}") from None
        with response:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip()
            if response.status_code == 200 and kind in _BUNDLE_TYPES:
                written = 0
                try:
                    for chunk in response.iter_content(CHUNK_BYTES):
                        self.stop_if_cancelled()
                        out.write(chunk)
                        written += len(chunk)
                except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError,
                        requests.Timeout) as error:  # fmt: skip
                    raise Offline(f"the bundle's download broke off: {_reason(error)}") from None
                return written
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

    # -- file content (docs/files.md): by hash, streamed, resumable ------------

    def upload_file(
        self, ref: FileRef, path: Path, progress: Callable[[int], None] | None = None
    ) -> int:
        """Send the content at `path` for `ref`, from the byte the server has received
        (a cut upload resumes there), CHUNK_BYTES per request, never the whole file
        in memory. Returns the bytes sent: 0 when the site already held the content.
        A 413 (over the limit) or 400 content_mismatch is Refused."""
        state = self.offer_upload(ref)
        sent = misplaced = 0
        with open(path, "rb") as reading:
            while not state.get("complete"):
                offset = int(state.get("received", 0))
                if not 0 <= offset < ref.size:
                    raise TransportError(
                        f"the server asks for byte {offset} of {ref.base_name} ({ref.size} bytes)"
                    )
                reading.seek(offset)
                chunk = reading.read(CHUNK_BYTES)
                try:
                    state = self.request(
                        "PUT", f"files/uploads/{ref.sha256}", params={"offset": offset},
                        data=chunk, content_type="application/octet-stream",
                    )  # fmt: skip
                except Refused as refused:
                    misplaced += 1
                    if refused.code != "wrong_offset" or misplaced > self.retries:
                        raise
                    state = {"received": refused.body.get("received", 0), "complete": False}
                    continue
                sent += len(chunk)
                self._crash.reached("upload-chunk")
                if progress is not None:
                    progress(len(chunk))
        return sent

    def offer_upload(self, ref: FileRef) -> dict:
        """Start (or find) the upload of `ref`: {"received", "complete"}; complete at
        once when the site holds that content already (no byte travels)."""
        offer = {"sha256": ref.sha256, "size": ref.size, "content_type": ref.content_type,
                 "name": ref.base_name}  # fmt: skip
        return self.request("POST", "files/uploads", offer)

    def upload_state(self, sha256: str) -> dict:
        """How far an upload got: {"sha256", "size", "received", "complete"}."""
        return self.request("GET", f"files/uploads/{sha256}")

    def download_file(
        self, sha256: str, partial: Path, progress: Callable[[int], None] | None = None
    ) -> int:
        """Append the content of `sha256` to `partial` from its size (``Range: bytes=N-``),
        so a cut download resumes; the caller checks the hash. Streamed and flushed per
        chunk. A body cut off is asked again from where it stopped. Returns the bytes
        received. 404 (not there, or not yours to see) is Refused."""
        import requests

        received = attempt = 0
        while True:
            try:
                received += self._download_from(sha256, partial, progress)
                return received
            except (requests.exceptions.ChunkedEncodingError, _Truncated) as error:
                attempt += 1
                if attempt > self.retries:
                    raise Offline(f"the download keeps breaking off: {_reason(error)}") from None
                self._pause(self.backoff * (2 ** (attempt - 1)))

    def _download_from(self, sha256: str, partial: Path, progress) -> int:
        import requests

        self.stop_if_cancelled()
        start = partial.stat().st_size if partial.is_file() else 0
        headers = self._auth_headers()
        if start:
            headers["Range"] = f"bytes={start}-"
        try:
            response = self.session.get(
                self.base + f"files/{sha256}", headers=headers, stream=True,
                timeout=self.timeouts,
            )  # fmt: skip
        except requests.exceptions.SSLError as error:
            raise _certificate_rejected(self.base, error) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise Offline(f"cannot reach {self.base}: {_reason(error)}") from None
        with response:
            if response.status_code == 416:
                return 0  # the .part holds it all already (or more: the hash will tell)
            if response.status_code not in (200, 206):
                self._raise_for(response, _json_of(response, self.base))
            resumed = response.status_code == 206 and _range_start(response) == start
            received = 0
            with open(partial, "ab" if resumed else "wb") as writing:
                try:
                    for chunk in response.iter_content(CHUNK_BYTES):
                        writing.write(chunk)
                        writing.flush()  # what arrived stays, whatever happens next
                        self.stop_if_cancelled()  # after the write: the .part resumes there
                        received += len(chunk)
                        self._crash.reached("download-chunk")
                        if progress is not None:
                            progress(len(chunk))
                finally:
                    os.fsync(writing.fileno())
            return received

    # -- plumbing ------------------------------------------------------------

    def _auth_headers(self) -> dict:
        if not self.token:
            raise AuthFailed("not logged in: run `fieldsync login URL --username NAME`")
        return {"Authorization": f"Bearer {self.token}"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params=None,
        auth: bool = True,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        """JSON `body` (or raw `data` of `content_type`) -> the JSON answer."""
        import requests

        headers = self._auth_headers() if auth else {}
        if content_type:
            headers["Content-Type"] = content_type
        attempt = 0
        while True:
            self.stop_if_cancelled()
            try:
                response = self.session.request(
                    method,
                    self.base + path,
                    json=body,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=self.timeouts,
                )
                answer = _json_of(response, self.base)
                break
            except requests.exceptions.SSLError as error:
                raise _certificate_rejected(self.base, error) from None
            except (requests.ConnectionError, requests.Timeout) as error:
                raise Offline(f"cannot reach {self.base}: {_reason(error)}") from None
            except (requests.exceptions.ChunkedEncodingError, _Truncated) as error:
                # The answer was cut off mid-body: ask again (a push is idempotent).
                attempt += 1
                if attempt > self._retries_now:
                    raise Offline(
                        f"the server's answers keep breaking off: {_reason(error)}"
                    ) from None
                self._pause(self.backoff * (2 ** (attempt - 1)))
        self._raise_for(response, answer)
        return answer

    @staticmethod
    def _raise_for(response: requests.Response, answer: Any) -> None:
        """The error an answer's status means, if any."""
        answer = answer if isinstance(answer, dict) else {}
        if response.status_code == 401:
            raise AuthFailed(answer.get("detail", "not authorised"), answer.get("error", ""))
        if response.status_code in _RETRY_STATUS:
            raise Offline(f"the server keeps failing ({response.status_code}); try again later")
        if response.status_code >= 400:
            raise Refused(response.status_code, answer)


class _Truncated(Exception):
    pass


def _range_start(response: requests.Response) -> int | None:
    """The first byte of a 206 answer (``Content-Range: bytes N-M/SIZE``)."""
    found = re.match(r"\s*bytes\s+(\d+)-", response.headers.get("Content-Range", ""))
    return int(found.group(1)) if found else None


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


_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^(]+?)\s*\(_ssl")


def _certificate_rejected(base: str, error: Exception) -> CertificateRejected:
    found = _VERIFY_FAILED.search(str(error))
    why = found.group(1) if found else "not trusted"
    return CertificateRejected(
        f"the certificate of {urlsplit(base).hostname} could not be verified ({why}); "
        "if the site uses its own certificate authority, set REQUESTS_CA_BUNDLE to its "
        "certificate file"
    )


def _reason(error: Exception) -> str:
    """A short reason, without URLs' query strings or headers."""
    text = str(error.__class__.__name__)
    inner = getattr(error, "args", ())
    if inner and "timed out" in str(inner[0]).lower():
        return "timed out"
    if inner and "refused" in str(inner[0]).lower():
        return "connection refused"
    return text
