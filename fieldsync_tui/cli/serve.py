"""``fieldsync serve``: the same app, over the same data folder, in a browser tab.

textual-serve runs one app process per browser tab (a shell command, with this
process's environment) and carries its screen over a websocket. Whoever reaches
that websocket drives the app with this editor's token, so it listens on loopback
only, unless the editor insists (and is warned).
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from pathlib import Path

DEFAULT_PORT = 8780
NOT_INSTALLED = (
    "`fieldsync serve` needs textual-serve: pip install 'fieldsync-tui[serve]' "
    "(or pip install 'textual-serve>=1.1,<1.2')"
)
NOT_LOOPBACK_WARNING = (
    "warning: serving on {host}, not loopback: anyone who can reach {host}:{port} "
    "can use the app as you, with your login. Prefer 127.0.0.1 and an ssh tunnel."
)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or "localhost": reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def host_refusal(host: str, insist: bool) -> str | None:
    """Why `host` is refused, or None when it may be served on."""
    if is_loopback(host) or insist:
        return None
    return (
        f"{host} is not loopback: the app (and your login) would be open to the network. "
        "Use 127.0.0.1, or add --allow-non-loopback if you really mean it."
    )


def app_command(folder: Path) -> str:
    """The shell command each browser tab runs: the app, on this data folder."""
    return shlex.join([sys.executable, "-m", "fieldsync_tui", "--data-dir", str(folder.resolve())])


def serve(folder: Path, host: str, port: int, insist: bool) -> int:
    """Serve until Ctrl+C; 2 for a refused host, 1 without textual-serve."""
    refusal = host_refusal(host, insist)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    try:
        from textual_serve.server import Server
    except ImportError:
        print(f"error: {NOT_INSTALLED}", file=sys.stderr)
        return 1
    if not is_loopback(host):
        print(NOT_LOOPBACK_WARNING.format(host=host, port=port), file=sys.stderr)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Serving the fieldsync app for {folder} at http://{host}:{port} (Ctrl+C stops)",
          flush=True)  # fmt: skip
    Server(app_command(folder), host=host, port=port, title="fieldsync").serve()
    return 0
