"""Values taken out of a record's way, kept in files an editor can open.

Whenever the client must drop values an editor typed — a change discarded,
a field the central site removed — it first writes them here, one JSON file
per occasion, in ``<data folder>/set-aside/``. Nothing typed is ever lost
silently: the file says which record, which values, and why.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import Record

FOLDER_NAME = "set-aside"


def folder() -> Path:
    """The set-aside folder of the store this process opened (beside store.sqlite3)."""
    return Path(settings.DATABASES["default"]["NAME"]).parent / FOLDER_NAME


def set_aside(record: Record, values: dict, reason: str, **details: Any) -> Path:
    """Write `values` of `record` to a new file with `reason`; returns its path.

    The file is complete on disk (written, flushed, renamed into place)
    before this returns, so a caller may drop the values afterwards. Extra
    `details` (JSON-able) are kept beside them, e.g. the base they replaced.
    """
    now = timezone.now()
    entry = {
        "model": record.model,
        "pk": record.object_pk,
        "title": record.title,
        "category": record.category_key,
        "reason": reason,
        "set_aside_at": now.isoformat(),
        "values": values,
        **details,
    }
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    unique = uuid.uuid4().hex[:6]
    path = (
        target
        / f"{now:%Y%m%d-%H%M%S}-{_slug(record.model)}-{_slug(record.object_pk)}-{unique}.json"
    )
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as file:
        json.dump(entry, file, indent=2, ensure_ascii=False, default=str)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    return path


def entries() -> list[dict]:
    """Every set-aside file, oldest first, each with its `path`."""
    found = []
    for path in sorted(folder().glob("*.json")):
        try:
            found.append({**json.loads(path.read_text(encoding="utf-8")), "path": str(path)})
        except (OSError, ValueError):
            continue  # a file the editor edited or broke is theirs; list the others
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text))[:40]
