"""Run the demo central site on 127.0.0.1: migrate, seed on first start, serve.

Waitress serves it with several threads (like a real deployment, requests
overlap) and limits that clients holding connections open cannot exhaust
(``make_server``); the admin's static files are served by Django's own
handler. SIGTERM and Ctrl+C stop it cleanly. This is the demo's server: a
production site runs the plugin under any WSGI server behind a TLS proxy
(docs/serving.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

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


def main(argv: list[str] | None = None, wrap_app=None) -> int:
    """Run the site; `wrap_app` may wrap the WSGI application (a profiler, say)."""
    parser = argparse.ArgumentParser(prog="python -m server_plugin.demo")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", help="use this database instead of SQLite")
    parser.add_argument("--articles", type=int, default=50, help="articles per section to seed")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--seed-command", default="seed_demo", help="management command that seeds an empty site"
    )
    args = parser.parse_args(argv)

    os.environ["FIELDSYNC_DEMO_DATA_DIR"] = str(args.data_dir.resolve())
    if args.database_url:
        os.environ["FIELDSYNC_DEMO_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server_plugin.demo.settings")

    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", interactive=False, verbosity=0)
    if args.seed_command == "seed_demo":
        call_command("seed_demo", articles=args.articles, verbosity=0)
    else:
        call_command(args.seed_command, verbosity=0)

    app = StaticFilesHandler(get_wsgi_application())
    if wrap_app is not None:
        app = wrap_app(app)
    server = make_server(app, args.port, threads=args.threads)
    url = f"http://127.0.0.1:{server.effective_port}/"
    signal.signal(signal.SIGTERM, _stop)
    print(f"fieldsync demo central site: {url}", flush=True)
    print(f"  admin: {url}admin/   API: {url}fieldsync/v1/", flush=True)
    print(f"  logins: {LOGINS}", flush=True)
    print("  stop with Ctrl+C", flush=True)
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
