"""Moving file content between the data folder and the server, for the engine.

A push uploads the files its changes name before the changes go (the server
answers ``needs_files`` otherwise, and applies nothing of the change); a pull
brings references, then the content of those up to the editor's download
limit; anything else comes on demand (`fetch`). Every transfer resumes where a
cut one stopped: an upload at the byte the server reports, a download from the
size of its ``.part`` file. Progress is told in bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from server_plugin.protocol import wire
from server_plugin.protocol.files import FileRef

from ..store import files
from ..store.models import PendingChange
from ..store.schema import Schema
from .transport import Refused, Transport

# (bytes done, bytes in all, what is moving) for a progress bar.
BytesProgress = Callable[[int, int, str], None]


@dataclass
class Transferred:
    """What moved, and what could not (in words, for the editor)."""

    counts: Counter = field(default_factory=Counter)  # uploaded, uploaded_bytes, downloaded, …
    problems: list[str] = field(default_factory=list)


def refs_of_change(schema: Schema, entry: PendingChange) -> dict[str, FileRef]:
    """field name -> reference, for the files a frozen change names."""
    payload = entry.payload or {}
    model = schema.get(entry.record.model)
    return files.refs_in(model, payload.get("values") or {})


def refused_here(errors: dict[str, str]) -> dict:
    """A push result made here for a change whose files cannot go: rejected, naming
    each field, like the server's own rejections (the next edit replaces it)."""
    return {
        "status": wire.REJECTED,
        "errors": {name: [why] for name, why in errors.items()},
        "message": "; ".join(f"{name}: {why}" for name, why in errors.items()),
    }


def upload_for_changes(
    transport: Transport,
    schema: Schema,
    entries: list[PendingChange],
    progress: BytesProgress,
    only: set[str] | None = None,
) -> tuple[Transferred, dict[int, dict[str, str]]]:
    """Upload the files `entries` name that the server lacks (or, with `only`, those
    hashes); returns what moved and, per entry that cannot go, field -> why (its file
    is not here and not there, or the server refused it). Offline propagates."""
    done = Transferred()
    wanted: dict[str, tuple[FileRef, list[tuple[PendingChange, str]]]] = {}
    for entry in entries:
        for name, ref in refs_of_change(schema, entry).items():
            if only is not None and ref.sha256 not in only:
                continue
            wanted.setdefault(ref.sha256, (ref, []))[1].append((entry, name))
    cannot: dict[int, dict[str, str]] = {}
    total = sum(ref.size for ref, _ in wanted.values())
    moved = 0

    def step(count: int) -> None:
        nonlocal moved
        moved += count
        progress(moved, total, "files")

    for ref, users in wanted.values():
        path = files.content_path(ref)
        try:
            if path is None:
                state = transport.offer_upload(ref)
                if not state.get("complete"):
                    why = f"the content of {ref.base_name} is not in this folder; attach it again"
                    for entry, name in users:
                        cannot.setdefault(entry.pk, {})[name] = why
                continue
            sent = transport.upload_file(ref, path, step)
        except Refused as refused:
            for entry, name in users:
                cannot.setdefault(entry.pk, {})[name] = f"{ref.base_name}: {refused.detail}"
            continue
        moved += ref.size - sent  # what the server had already counts as done
        progress(moved, total, "files")
        if sent:
            done.counts["uploaded"] += 1
            done.counts["uploaded_bytes"] += sent
    return done, cannot


def fetch(transport: Transport, ref: FileRef, progress: BytesProgress | None = None) -> Path:
    """The content of `ref` in this folder, downloaded first if needed (resuming a cut
    download); returns where it is. ContentMismatch, Refused (404) and Offline go up."""
    here = files.content_path(ref)
    if here is not None:
        return here
    download(transport, ref, progress or (lambda done, total, what: None), 0, ref.size,
             ref.base_name)  # fmt: skip
    return files.content_path(ref)


def download(
    transport: Transport,
    ref: FileRef,
    progress: BytesProgress,
    before: int,
    total: int,
    label: str = "files",
) -> int:
    """Download one file into place; returns the bytes that travelled. `before` and
    `total`: bytes done and in all, when it is one of several."""
    partial = files.partial_path(ref.sha256)
    partial.parent.mkdir(parents=True, exist_ok=True)
    moved = before + files.received_bytes(ref.sha256)
    progress(moved, total, label)

    def step(count: int) -> None:
        nonlocal moved
        moved += count
        progress(moved, total, label)

    received = transport.download_file(ref.sha256, partial, step)
    files.accept_partial(ref)
    return received


def fetch_missing(
    transport: Transport,
    schema: Schema,
    progress: BytesProgress,
    *,
    category_key: str | None = None,
) -> Transferred:
    """Download the content of the files records here refer to, each up to the
    editor's download limit, smallest first; the rest waits for `fetch`. A file the
    server does not give (404) or that arrives damaged is a problem, not a stop."""
    done = Transferred()
    wanted = files.missing(schema, category_key=category_key, max_size=files.download_limit())
    total = sum(ref.size for ref in wanted)
    before = 0
    for ref in wanted:
        try:
            received = download(transport, ref, progress, before, total)
        except Refused as refused:
            done.problems.append(f"the content of {ref.base_name} did not come: {refused.detail}")
        except files.ContentMismatch as mismatch:
            done.problems.append(str(mismatch))
        else:
            done.counts["downloaded"] += 1
            done.counts["downloaded_bytes"] += received
        before += ref.size
    return done
