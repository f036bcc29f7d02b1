"""Run the demo central site on 127.0.0.1: migrate, seed on first start, serve.

Waitress serves it with several threads (like a real deployment, requests
overlap); the admin's static files are served by Django's own handler.
SIGTERM and Ctrl+C stop it cleanly.
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
    from waitress import create_server

    call_command("migrate", interactive=False, verbosity=0)
    if args.seed_command == "seed_demo":
        call_command("seed_demo", articles=args.articles, verbosity=0)
    else:
        call_command(args.seed_command, verbosity=0)

    app = StaticFilesHandler(get_wsgi_application())
    if wrap_app is not None:
        app = wrap_app(app)
    server = create_server(app, host="127.0.0.1", port=args.port, threads=args.threads)
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
