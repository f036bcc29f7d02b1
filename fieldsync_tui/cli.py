"""The ``fieldsync`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import platformdirs

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def default_demo_dir() -> Path:
    return Path(platformdirs.user_data_dir("fieldsync")) / "demo-central"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldsync", description="Offline editing for Django sites."
    )
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser(
        "demo", help="start a demo central site on 127.0.0.1 with sample data"
    )
    demo.add_argument(
        "--server-only", action="store_true", help="run only the central site (no app)"
    )
    demo.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    demo.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder for the demo site's database (default: your data folder)",
    )
    demo.add_argument("--database-url", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo_server import run_in_foreground

        data_dir = args.data_dir or default_demo_dir()
        return run_in_foreground(args.port, data_dir, args.database_url)
    parser.print_help()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
