"""Fetch, byte for byte, the feed pages a first checkout of a category read.

    python benchmarks/checkout_pages.py DATA_DIR CATEGORY_NAME OUT_DIR

Run by sync_speed.py right after the timed checkout, in the editor's folder
and environment (its keyring), so nothing changed on the server in between:
the same requests the engine made (``since`` from 0, ``PULL_PAGE`` records a
page, ``count`` on the first) give the same bodies. They are written as
``page-0000.json``... in OUT_DIR for the checkout floor (floor.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    folder, category_name, out = Path(argv[0]), argv[1], Path(argv[2])
    from fieldsync_tui.store.database import open_database

    open_database(folder)
    from fieldsync_tui import credentials
    from fieldsync_tui.store.models import Account, Category
    from fieldsync_tui.sync.engine import PULL_PAGE
    from fieldsync_tui.sync.transport import Transport

    account = Account.objects.get()
    token = credentials.load_token(account.server_url, account.username, account.device_name)
    transport = Transport.for_account(account, token)
    key = Category.objects.get(name=category_name).key
    out.mkdir(parents=True, exist_ok=True)
    since, number, first = 0, 0, True
    while True:
        params = {"since": since, "limit": PULL_PAGE}
        if first:
            params["count"] = 1
        response = transport.session.get(
            transport.base + f"categories/{key}/changes",
            params=params,
            headers=transport._auth_headers(),
            timeout=transport.timeouts,
        )
        response.raise_for_status()
        (out / f"page-{number:04d}.json").write_bytes(response.content)
        page = json.loads(response.content)
        since, number, first = page["cursor"], number + 1, False
        if not page["more"]:
            break
    print(number)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
