"""A proxy in front of the central site that misbehaves on request:
answers cut off mid-body (after the server did the work), 500s (before), or
no answer at all (a link that takes the request and goes silent: "hang").

It stands for the bad network and the sick server an editor in the field
meets; the client must retry through both and apply nothing twice. It also
stands for the network between an editor and a site that is not on this
machine: it can listen on another address than loopback, or speak TLS, and
it records every request that reached it (`received`).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def non_loopback_host() -> str:
    """An address of this machine that is not loopback, to stand for a site on the network.

    The one a packet to the outside would leave from (a UDP connect sends nothing);
    on a machine with no network, the host name (by name it is not loopback, wherever
    it resolves to, and the proxy listens there)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            address = probe.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback:
            return address
    except OSError:
        pass
    return socket.gethostname()


class FlakyProxy:
    def __init__(self, target_url: str, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None):
        self.target = urlsplit(target_url)
        self.faults: dict[str, list[str]] = {}  # path suffix -> faults to play, in order
        self.seen: Counter = Counter()  # path suffix -> requests received
        self.received: list[str] = []  # "METHOD path" of every request that arrived
        self.lock = threading.Lock()
        self.released = threading.Event()  # ends the requests left hanging
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy._handle(self)

            do_POST = do_DELETE = do_GET

        self.server = ThreadingHTTPServer((socket.gethostbyname(host), 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def inject(self, path_suffix: str, *faults: str) -> None:
        """Play these faults ("drop", "500", "hang" or "slow") on the next requests to the path."""
        with self.lock:
            self.faults.setdefault(path_suffix, []).extend(faults)

    def heal(self) -> None:
        """The faults not played yet are dropped: the link is good again."""
        with self.lock:
            self.faults.clear()

    def _next_fault(self, path: str) -> str | None:
        with self.lock:
            for suffix, faults in self.faults.items():
                if path.split("?")[0].endswith(suffix):
                    self.seen[suffix] += 1
                    return faults.pop(0) if faults else None
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.received.append(f"{handler.command} {handler.path}")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        fault = self._next_fault(handler.path)
        if fault == "hang":  # taken, never answered: the client's read timeout decides
            self.released.wait(60)
            handler.close_connection = True
            return
        if fault == "slow":  # a bad link: answered, a second late
            time.sleep(1.0)
        if fault == "500":
            payload = b'{"error": "server_error", "detail": "injected failure"}'
            handler.send_response(500)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host",)}
        connection.request(handler.command, handler.path, body=body, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        connection.close()
        handler.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if fault == "drop":
            # The server did the work; the answer is lost halfway.
            handler.wfile.write(payload[: len(payload) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        handler.wfile.write(payload)
