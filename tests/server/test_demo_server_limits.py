"""The demo's server keeps answering while clients hold connections half-sent.

With waitress's defaults (100 connections, idle ones dropped after 120 s) a
client that opens a few hundred connections and sends half a request each
stops the site for two minutes. The server is run in a child process with a
trivial application: what is tested is the server's configuration, not Django.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HALF_SENT = 250  # well over waitress's default connection_limit of 100

SERVE = """
import json, sys
from server_plugin.demo.serve import make_server

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

server = make_server(app, 0, threads=2, **json.loads(sys.argv[1]))
print(server.effective_port, flush=True)
server.run()
"""


@contextmanager
def demo_server(**options):
    child = subprocess.Popen(
        [sys.executable, "-c", SERVE, json.dumps(options)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield int(child.stdout.readline())
    finally:
        child.kill()
        child.wait(timeout=30)


def half_sent(port: int) -> socket.socket:
    """A connection whose request never finishes: headers cut off halfway."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def test_many_half_sent_requests_do_not_stop_the_server():
    with demo_server() as port:
        hanging = [half_sent(port) for _ in range(HALF_SENT)]
        try:
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                assert answer.read() == b"ok"
            assert time.monotonic() - started < 3, "answered within a few seconds"
        finally:
            for sock in hanging:
                sock.close()


def test_a_half_sent_request_is_dropped_once_it_idles_past_the_timeout():
    with demo_server(channel_timeout=1) as port, closing(half_sent(port)) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b"", "the server closed the idle connection"
        assert time.monotonic() - started < 5
