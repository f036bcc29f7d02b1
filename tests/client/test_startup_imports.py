"""A command that never talks to the server starts without the HTTP stack, the
keyring, the bundle signatures or the app (issue 12: start-up within 1.5x the
Django floor). Each of these costs milliseconds on every local command; a top-level
import that brings one back is caught here, not months later by a benchmark."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# What a local command must never load: requests and urllib3 (the transport's, ~45 ms),
# keyring (the token's), cryptography (bundles), textual and rich (the app, progress).
NOT_FOR_LOCAL_COMMANDS = ("requests", "urllib3", "keyring", "cryptography", "textual", "rich")

_PROBE = textwrap.dedent(
    """
    import json, sys
    from fieldsync_tui.cli import main

    codes = [main(["--data-dir", sys.argv[1], command]) for command in sys.argv[2:]]
    print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
    """
)


def _modules_after(folder, *commands: str) -> tuple[list[int], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder), *commands],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(done.stdout.splitlines()[-1])
    return answer["codes"], {name.split(".")[0] for name in answer["modules"]}


def test_local_commands_start_without_http_keyring_bundles_or_app(tmp_path):
    codes, loaded = _modules_after(tmp_path / "folder", "conflicts", "rejected")
    assert codes == [0, 0]
    assert "django" in loaded  # the store was opened: the probe ran the real commands
    assert sorted(loaded & set(NOT_FOR_LOCAL_COMMANDS)) == []


def test_a_transport_loads_requests_only_when_it_sends():
    """records, show and edit build an engine (its transport) but never send."""
    probe = (
        "import sys; from fieldsync_tui.sync.transport import Transport; "
        "Transport('http://127.0.0.1:9', 'token'); print('requests' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "False"
