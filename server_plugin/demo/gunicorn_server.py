"""The demo central site under gunicorn: N worker processes on 127.0.0.1.

The parent has already migrated and seeded the site (serve.py) and holds no
database connection when gunicorn forks: each worker opens its own on its
first request, so nothing a worker needs is in another's memory. gthread
workers (docs/serving.md says why); SIGTERM stops every worker gracefully
(up to GRACEFUL_TIMEOUT seconds), Ctrl+C at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

TIMEOUT = 120  # seconds a worker may stay silent before the arbiter replaces it
GRACEFUL_TIMEOUT = 10  # seconds SIGTERM waits for requests being answered
MAX_REQUESTS = 1000  # a worker is replaced after this many requests (jittered):
MAX_REQUESTS_JITTER = 100  # harmless, since no worker keeps state, and bounds any leak
# The access log names the worker that answered (<pid>) and the time taken.
ACCESS_LOG_FORMAT = '%(h)s %(p)s "%(r)s" %(s)s %(b)s %(M)sms'


class DemoGunicorn(BaseApplication):
    """gunicorn serving a WSGI application already built in this process."""

    def __init__(self, application, options: dict):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # a setting a newer gunicorn added may be absent
                self.cfg.set(key, value)

    def load(self):
        return self.application


def gunicorn_options(
    port: int,
    workers: int,
    threads: int,
    access_log: str | None,
    announce: Callable[[str], None],
) -> dict:
    def when_ready(arbiter) -> None:
        """Listening (port 0 resolved): say where, as the waitress server does."""
        host, bound_port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        announce(f"http://{host}:{bound_port}/")

    return {
        "bind": [f"127.0.0.1:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "max_requests": MAX_REQUESTS,
        "max_requests_jitter": MAX_REQUESTS_JITTER,
        "accesslog": access_log,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "fieldsync-demo",
        "when_ready": when_ready,
        # gunicorn 25+ opens a control socket in the home folder by default: two demos
        # would share it, and the demo needs none.
        "control_socket_disable": True,
    }


def serve_with_gunicorn(
    application,
    port: int,
    workers: int,
    threads: int,
    access_log: str | None,
    announce: Callable[[str], None],
) -> None:
    """Serve until SIGTERM or Ctrl+C; returns once every worker has exited."""
    options = gunicorn_options(port, workers, threads, access_log, announce)
    arbiter = os.getpid()
    try:
        DemoGunicorn(application, options).run()
    except SystemExit as stopped:
        # A worker is a fork of this call and ends with sys.exit() too: let it go on
        # ending. The arbiter ends with sys.exit(0) once its workers are gone.
        if os.getpid() != arbiter or stopped.code not in (None, 0):
            raise
