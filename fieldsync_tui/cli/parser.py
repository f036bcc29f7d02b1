"""The command line's grammar: every command, its arguments and its help."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_CODES = """exit codes:
  0  done
  1  error (the message says what)
  2  wrong usage
  3  done, but conflicts or rejected changes remain (see `fieldsync conflicts`, `rejected`)
  4  the server cannot be reached (work goes on offline; sync later)
  5  not logged in, or the server refused the token (run `fieldsync login`)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldsync",
        description="Offline editing for Django sites. Without a command, opens the app.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="this editor's data folder (default: FIELDSYNC_HOME or your user data folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, json_output: bool = False):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if json_output:
            sub.add_argument("--json", action="store_true", help="print JSON for scripts")
        return sub

    login = command("login", "log in to a central site; the token goes into the OS keyring")
    login.add_argument("url", help="the central site, e.g. https://central.example.org")
    login.add_argument("--username", required=True)
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument("--device", help="a name for this device (default: host name and folder)")
    login.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow an http:// site that is not on this machine: your password and token "
        "then travel in clear (remembered for later syncs; shown by `status`)",
    )

    command("logout", "revoke this device's token and forget it")
    command("categories", "list the categories and who holds each", json_output=True)

    checkout = command("checkout", "check out a category and pull its records", json_output=True)
    checkout.add_argument("category", help="category name or id")
    checkout.add_argument(
        "--take-over", action="store_true",
        help="take it from your own other device that holds it (asks first: that device's "
        "unsynced changes to it can then no longer go, and are set aside there)",
    )  # fmt: skip
    checkout.add_argument("--yes", action="store_true", help="with --take-over: do not ask")
    checkin = command("checkin", "push the category's changes and release it")
    checkin.add_argument("category", help="category name or id")

    command("sync", "push queued changes, then pull what changed", json_output=True)
    command("status", "online/offline, last sync, queued changes, conflicts", json_output=True)

    records = command("records", "list the records of a checked-out category", json_output=True)
    records.add_argument("category", help="category name or id")
    records.add_argument("--model", help="only this model")

    show = command("show", "show one record", json_output=True)
    show.add_argument("model")
    show.add_argument("pk")

    def with_values(sub):
        sub.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="a field's new value (repeatable); lists are comma-separated; a file "
            "field takes @PATH (a file of this computer, copied in) or nothing (cleared)",
        )

    edit = command("edit", "change fields of a record (queued for the next sync)", json_output=True)
    edit.add_argument("model")
    edit.add_argument("pk")
    with_values(edit)
    kind = edit.add_mutually_exclusive_group()
    kind.add_argument("--major", action="store_const", const="major", dest="edit_kind")
    kind.add_argument("--minor", action="store_const", const="minor", dest="edit_kind")

    new = command("new", "create a record (queued for the next sync)", json_output=True)
    new.add_argument("model")
    new.add_argument("--category", help="category name or id")
    with_values(new)

    delete = command("delete", "delete a record (queued for the next sync)")
    delete.add_argument("model")
    delete.add_argument("pk")

    file = command(
        "file",
        "write the content of a record's file field to a file (downloading it first if "
        "it is not here) and print where",
        json_output=True,
    )
    file.add_argument("model")
    file.add_argument("pk")
    file.add_argument("field", help="the file field, e.g. photo")
    file.add_argument(
        "-o", "--output", type=Path, metavar="PATH",
        help="the file to write, or a folder (default: the file's name, in this folder)",
    )  # fmt: skip

    config = command(
        "config", "show or change this folder's settings (without KEY: all of them)",
        json_output=True,
    )  # fmt: skip
    config.add_argument(
        "key", nargs="?", choices=["download-limit"], metavar="KEY",
        help="download-limit: the biggest file a checkout or sync downloads by itself "
        "(default 2MB; bigger ones come with `fieldsync file`)",
    )  # fmt: skip
    config.add_argument("value", nargs="?", metavar="VALUE", help="the new value, e.g. 5MB")

    command("conflicts", "list unresolved conflicts", json_output=True)
    resolve = command("resolve", "resolve a conflict", json_output=True)
    resolve.add_argument("id", type=int)
    resolve.add_argument("--take", choices=["mine", "theirs", "merge"], required=True)
    with_values(resolve)

    command("rejected", "list the changes the server refused, with why", json_output=True)
    discard = command(
        "discard",
        "drop a queued, rejected or conflicting change and put the server's values back "
        "(your values are first saved under set-aside/ in the data folder)",
        json_output=True,
    )
    discard.add_argument(
        "what", metavar="ID|MODEL", help="a change's id (fieldsync rejected, status) or a model"
    )
    discard.add_argument("pk", nargs="?", metavar="PK", help="with MODEL: the record's id")

    export = command(
        "export",
        "write a bundle file for an office with no connection: a category (asks the "
        "server) or the queued changes (works offline)",
        json_output=True,
    )
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument("category", nargs="?", help="category name or id: its records and checkout")
    what.add_argument("--changes", action="store_true", help="the queued changes, for upload")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    load = command(
        "import",
        "load a bundle file: a category (checked out here) or the answers to your changes",
        json_output=True,
    )
    load.add_argument("file", type=Path, metavar="FILE")

    serve = command("serve", "open the app in a browser tab: served on 127.0.0.1 only")
    serve.add_argument("--port", type=int, default=8780, help="port (default 8780)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    serve.add_argument(
        "--allow-non-loopback", action="store_true",
        help="serve on a --host that is not loopback: anyone reaching it uses your login",
    )  # fmt: skip

    demo = command("demo", "start a demo central site on 127.0.0.1 with sample data")
    demo.add_argument("--server-only", action="store_true", help="run only the central site")
    demo.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    demo.add_argument(
        "--data-dir",
        dest="demo_dir",
        type=Path,
        help="folder for the demo (the site in DIR/central, the editor in DIR/editor1)",
    )
    demo.add_argument(
        "--fresh", action="store_true",
        help="start afresh: remove the earlier demo's site and editor (by default a demo "
        "continues the last one: the same editor device, its checkouts, queue and conflicts)",
    )  # fmt: skip
    demo.add_argument(
        "--database-url", metavar="URL",
        help="the site's database, e.g. postgres://postgres@127.0.0.1:5432/fieldsync_demo "
        "(default: SQLite in DIR/central; several workers call for PostgreSQL)",
    )  # fmt: skip
    demo.add_argument(
        "--workers", type=int, metavar="N",
        help="with --server-only: serve with gunicorn, N worker processes (default: one "
        "waitress process); migrating and seeding happen once, before the workers start",
    )  # fmt: skip
    demo.add_argument(
        "--access-log", metavar="FILE",
        help="with --workers: log each request, with the pid of the worker that answered "
        "(-: the terminal)",
    )  # fmt: skip
    return parser
