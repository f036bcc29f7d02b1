"""Run the demo central site on 127.0.0.1: migrate, seed on first start, serve.

By default waitress serves it in one process with several threads (like a
real deployment, requests overlap) and limits that clients holding
connections open cannot exhaust (``make_server``). With ``--workers N``
gunicorn serves it with N worker processes (gunicorn_server.py), as several
app servers on one database; migrating and seeding happen once, here, before
any worker exists. The admin's static files are served by Django's own
handler. SIGTERM and Ctrl+C stop it cleanly, every worker included. This is
the demo's server: a production site runs the plugin under gunicorn or any
WSGI server behind a TLS proxy (docs/serving.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

LOGINS = "chief (staff, reviews updates), editor1, editor2 · password: demo-password"


def _stop(signum, frame):
    raise SystemExit(0)


# Waitress's defaults (100 connections; an idle or half-sent one kept 120 s, looked
# at every 30 s) let a few hundred half-sent requests stop the site for two minutes.
CONNECTION_LIMIT = 500  # open connections (under the usual 1024 files a process may open)
CHANNEL_TIMEOUT = 15  # seconds a connection may sit idle or half-sent before it is dropped


def make_server(app, port: int, threads: int = 8, channel_timeout: int = CHANNEL_TIMEOUT):
    """A waitress server for `app` on 127.0.0.1 (port 0: any free one), with limits a
    client holding connections open cannot exhaust for long. A request being answered
    is never cut off: the timeout counts only idle time."""
    from waitress import create_server

    return create_server(
        app,
        host="127.0.0.1",
        port=port,
        threads=threads,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=channel_timeout,
        cleanup_interval=max(1, channel_timeout // 3),  # how often idle ones are looked for
        asyncore_use_poll=True,  # select() cannot watch file numbers above 1024
    )


class SiteNotReady(Exception):
    """The site cannot be set up as asked: one line for the person, and an exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def shown_url(url: str) -> str:
    """A database URL fit to print: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def prepare_site(args) -> object:
    """Set Django up, migrate and seed (once, in this process); the WSGI application."""
    os.environ["FIELDSYNC_DEMO_DATA_DIR"] = str(args.data_dir.resolve())
    if args.database_url:
        os.environ["FIELDSYNC_DEMO_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server_plugin.demo.settings")

    import django

    try:
        django.setup()
    except ValueError as failure:  # dj-database-url: a scheme it does not know
        raise SiteNotReady(
            f"cannot use the database URL {shown_url(args.database_url or '')!r}: "
            f"{str(failure).split('.')[0]} (try postgres://USER@HOST:PORT/NAME)",
            2,
        ) from failure
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import DatabaseError, connections

    try:
        call_command("migrate", interactive=False, verbosity=0)
        if args.seed_command == "seed_demo":
            call_command("seed_demo", articles=args.articles, verbosity=0)
        else:
            call_command(args.seed_command, verbosity=0)
    except (DatabaseError, ImproperlyConfigured) as failure:
        where = shown_url(args.database_url) if args.database_url else "the demo's SQLite file"
        reason = " ".join(str(failure).split())  # the driver's message on one line
        raise SiteNotReady(f"cannot use the database {where}: {reason}", 1) from failure
    # Workers fork from this process: none may inherit (and share) its connection.
    connections.close_all()
    return StaticFilesHandler(get_wsgi_application())


def announce(url: str) -> None:
    """The lines `fieldsync demo` and the tests read to know where the site is."""
    print(f"fieldsync demo central site: {url}", flush=True)
    print(f"  admin: {url}admin/   API: {url}fieldsync/v1/", flush=True)
    print(f"  logins: {LOGINS}", flush=True)
    print("  stop with Ctrl+C", flush=True)


def main(argv: list[str] | None = None, wrap_app=None) -> int:
    """Run the site; `wrap_app` may wrap the WSGI application (a profiler, say)."""
    parser = argparse.ArgumentParser(prog="python -m server_plugin.demo")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", help="use this database instead of SQLite")
    parser.add_argument("--articles", type=int, default=50, help="articles per section to seed")
    parser.add_argument(
        "--workers", type=int, help="serve with gunicorn: this many worker processes"
    )
    parser.add_argument(
        "--threads", type=int, help="threads per process (waitress: 8, gunicorn: 4 per worker)"
    )
    parser.add_argument(
        "--access-log", help="with --workers: log each request, with its worker's pid, here"
    )
    parser.add_argument(
        "--seed-command", default="seed_demo", help="management command that seeds an empty site"
    )
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        print(f"fieldsync demo: --workers must be 1 or more (not {args.workers})", file=sys.stderr)
        return 2

    try:
        app = prepare_site(args)
    except SiteNotReady as refusal:
        print(f"fieldsync demo: {refusal}", file=sys.stderr, flush=True)
        return refusal.exit_code
    if wrap_app is not None:
        app = wrap_app(app)
    if args.workers is not None:
        from .gunicorn_server import serve_with_gunicorn

        serve_with_gunicorn(app, args.port, args.workers, args.threads or 4, args.access_log,
                            announce)  # fmt: skip
        print("fieldsync demo central site stopped.", flush=True)
        return 0
    server = make_server(app, args.port, threads=args.threads or 8)
    signal.signal(signal.SIGTERM, _stop)
    announce(f"http://127.0.0.1:{server.effective_port}/")
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
        print("fieldsync demo central site stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
