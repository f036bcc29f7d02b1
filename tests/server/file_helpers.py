"""Files for the in-process tests: images made with Pillow, uploads as a client
makes them (chunk by chunk from where the site says it got), what a storage holds."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw

from server_plugin.protocol.files import CHUNK_BYTES


def image_bytes(text: str = "harbour", size=(64, 48), kind: str = "JPEG") -> bytes:
    picture = Image.new("RGB", size, (40, 90, 140))
    ImageDraw.Draw(picture).text((4, 4), text, fill=(255, 255, 255))
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def ref_of(data: bytes, name: str = "harbour.jpg", content_type: str = "image/jpeg") -> dict:
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": content_type}  # fmt: skip


class Uploader:
    """Uploads like a client: asks where to start, sends chunks from there, and
    counts the bytes it sent (a resumed upload must not send them twice)."""

    def __init__(self, api, chunk: int = CHUNK_BYTES):
        self.api, self.chunk, self.sent = api, chunk, 0

    def start(self, ref: dict) -> dict:
        status, body = self.api.post("files/uploads", ref)
        assert status == 200, body
        return body

    def send(self, data: bytes, ref: dict, *, stop_after: int | None = None) -> dict:
        """Send from what the site received; `stop_after` chunks, then stop (cut)."""
        state = self.start(ref)
        received, chunks = state["received"], 0
        while received < len(data):
            if stop_after is not None and chunks == stop_after:
                return {"received": received, "complete": False}
            piece = data[received : received + self.chunk]
            status, body = self.api.put(f"files/uploads/{ref['sha256']}", piece, offset=received)
            assert status == 200, body
            self.sent += len(piece)
            received, chunks = body["received"], chunks + 1
        return {"received": received, "complete": True}


def upload(api, data: bytes, **ref_options) -> dict:
    """The content uploaded whole; returns its reference, to push."""
    ref = ref_of(data, **ref_options)
    Uploader(api).send(data, ref)
    return ref


def files_under(root: Path, folder: str) -> list[Path]:
    base = root / folder
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []


def files_added(root: Path):
    """A function listing the files stored under `root` (a folder of it) since now."""
    before = set(files_under(root, ""))
    return lambda folder="": [p for p in files_under(root, folder) if p not in before]
