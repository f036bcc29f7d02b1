"""The ``fieldsync`` command line: for scripts, for tests, and for editors who like it.

Every command either does its work and exits 0, or prints one line saying
what went wrong and exits with a code that means something (see parser.py);
never a traceback.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from pathlib import Path

from ..paths import data_dir
from .output import error
from .parser import build_parser

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_ATTENTION, EXIT_OFFLINE, EXIT_AUTH = 0, 1, 2, 3, 4, 5


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args)
    folder = data_dir(args.data_dir)
    if args.command is None:
        from .app_launch import launch_app

        return launch_app(folder)
    if args.command == "serve":
        from .serve import serve

        return serve(folder, args.host, args.port, args.allow_non_loopback)
    try:
        from ..store.database import open_database

        open_database(folder)
        from . import commands

        return commands.run(args, folder)
    except KeyboardInterrupt:
        error("interrupted; nothing half-written (every step is its own transaction)")
        return EXIT_ERROR
    except BrokenPipeError:  # e.g. `fieldsync records X | head`
        sys.stderr.close()
        return EXIT_OK
    except Exception as failure:  # the promise: one line, never a traceback
        code, message = _describe(failure)
        error(_after_auth_failure(failure, message))
        if os.environ.get("FIELDSYNC_DEBUG"):
            raise
        return code


def _describe(failure: Exception) -> tuple[int, str]:
    from ..credentials import CredentialsError
    from ..store.edits import EditError
    from ..store.schema import FieldError, UnknownModel
    from ..sync.conflicts import ResolveError
    from ..sync.engine import EngineError, NotLoggedIn
    from ..sync.transport import AuthFailed, Offline, Refused, TransportError

    if isinstance(failure, Offline):
        return EXIT_OFFLINE, f"offline: {failure}"
    if isinstance(failure, AuthFailed):
        if failure.code == "invalid_credentials":
            return EXIT_AUTH, f"login refused: {failure}"
        return EXIT_AUTH, f"{failure} (run `fieldsync login` again)"
    if isinstance(failure, NotLoggedIn):
        return EXIT_AUTH, str(failure)
    if isinstance(failure, Refused) and failure.code == "too_many_attempts":
        return EXIT_AUTH, f"login refused: {failure.detail}"  # says how long to wait
    if isinstance(failure, Refused):
        return EXIT_ERROR, f"the server refused: {failure.detail}"
    if isinstance(failure, (EditError, FieldError, UnknownModel, ResolveError, EngineError)):
        return EXIT_ERROR, str(failure).strip("'\"")
    if isinstance(failure, CredentialsError):
        return EXIT_AUTH, str(failure)
    if isinstance(failure, TransportError):
        return EXIT_ERROR, str(failure)
    return EXIT_ERROR, f"internal error ({type(failure).__name__}: {failure})"


def _after_auth_failure(failure: Exception, message: str) -> str:
    """The one line for a token the server no longer takes: what became of this
    folder's work (a revoked device's records removed, unsynced edits set aside
    and where; an expired login's queue kept), and the command to log in again."""
    from ..sync.engine import lost_login

    lost = lost_login(failure)
    if lost is None:
        return message
    again = f"`fieldsync login {lost.server_url} --username {lost.username}`"
    said = "This device was revoked on the server." if lost.revoked else lost.detail
    return f"{said} {lost.what_became_of_the_work()}; log in again with {again}."


def default_device_name(folder: Path) -> str:
    return f"{socket.gethostname()}:{folder.name}"[:100]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password: use --password-stdin")
    return getpass.getpass("Password: ")
