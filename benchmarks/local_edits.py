"""Make K local edits in a client's store, the way the `fieldsync edit` command does.

    python benchmarks/local_edits.py DATA_DIR CATEGORY_NAME K

The benchmark needs 1,000 queued edits before it times the `fieldsync sync`
that pushes them; 1,000 `fieldsync edit` processes would take minutes of
start-up for nothing. This goes through the same store API the command uses
(`fieldsync_tui.store.edits.update_record`: validation, record and queue
entry written together), for K articles of the category, in one process.
Each edit appends " (edited)" to the title, as the Morango anchor does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    folder, category_name, count = Path(argv[0]), argv[1], int(argv[2])
    from fieldsync_tui.store.database import open_database

    open_database(folder)
    from django.db import transaction

    from fieldsync_tui.store import edits
    from fieldsync_tui.store.models import Account, Category, Record
    from fieldsync_tui.store.schema import Schema

    started = time.perf_counter()
    schema = Schema(Account.objects.get().schema)
    category = Category.objects.get(name=category_name)
    chosen = list(
        Record.objects.filter(category_key=category.key, model="news.article", pending=False)
        .order_by("id")
        .values_list("object_pk", "values")[:count]
    )
    with transaction.atomic():  # one commit for the lot; each edit is still its own savepoint
        for pk, values in chosen:
            title = values["title"] + " (edited)"
            edits.update_record(schema, "news.article", pk, {"title": title})
    print(f"{len(chosen)} edits queued in {time.perf_counter() - started:.2f} s")
    return 0 if len(chosen) == count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
