"""How files move: a big file up and down, and many small photos in one checkout.

    .venv/bin/python benchmarks/file_speed.py [--backends sqlite,postgres]
        [--big-mb 48] [--photos 500] [--photo-kb 300]

Against a fresh demo central site per backend (in its own process), through
the real `fieldsync` command line (whole processes, as sync_speed.py does):

- ``attach``: `fieldsync edit photo PK --set image=@FILE` (hashes and copies it in);
- ``upload``: the `fieldsync sync` that sends it (chunked, resumable);
- ``download``: `fieldsync file photo PK image -o OUT` in a second editor's
  folder (a Range download, verified by sha256);
- ``checkout``: a fresh editor checking out a section of `--photos` photos of
  `--photo-kb` each (every one under the download limit, so all content comes).

Each row has wall time, MB/s, the client process's peak RSS, and the server
process's peak RSS (VmHWM) after it. The same rows for a file a tenth the
size come first, in the same run: both peaks must stay flat, not grow with
the file (the baseline the big file is compared against).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_speed import Editor, Site, log  # noqa: E402

MB = 1024 * 1024
SECTION = "Files"


@dataclass
class Row:
    what: str
    size_mb: float
    seconds: float
    client_mb: float
    server_mb: float

    def line(self) -> str:
        rate = self.size_mb / self.seconds if self.seconds else 0
        return (f"{self.what:34} {self.size_mb:8.1f} MB {self.seconds:7.2f} s {rate:7.1f} MB/s"
                f" {self.client_mb:9.0f} MB {self.server_mb:9.0f} MB")  # fmt: skip


def noise_png(path: Path, megabytes: float) -> int:
    """A PNG of random pixels (it does not compress): about `megabytes` big."""
    from PIL import Image

    side = int((megabytes * MB / 3) ** 0.5)
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, "PNG")
    return path.stat().st_size


def seed(site: Site, photos: int, photo_kb: int) -> dict:
    """A section with one article: two photos without images (for the big files),
    and `photos` photos each with its own JPEG of about `photo_kb` (no two alike,
    so nothing is deduplicated away)."""
    code = f"""
import io, os
from django.core.files.base import ContentFile
from PIL import Image
from server_plugin.demo.news.models import Article, Photo, Section
from django.contrib.auth.models import User
from server_plugin.models import CategoryGrant
section = Section.objects.create(name={SECTION!r})
editor = User.objects.get(username="editor1")
CategoryGrant.objects.create(user=editor, category_key=str(section.pk))
article = Article.objects.create(section=section, title="A day of photos", body="Photos.")
big = [Photo.objects.create(article=article, caption=f"big {{n}}").pk for n in range(2)]
side = int(({photo_kb} * 1024 / 3 / 0.25) ** 0.5)  # noise JPEG at 85: ~0.25 of raw
for n in range({photos}):
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, "JPEG", quality=85)
    photo = Photo(article=article, caption=f"photo {{n}}")
    photo.image.save(f"photo-{{n}}.jpg", ContentFile(buffer.getvalue()), save=True)
print(section.pk, *big)
"""
    section, *big = site.manage("shell", "--no-imports", "-c", code).split()[-3:]
    return {"section": section, "big": big}


def _digest(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def server_mb(site: Site) -> float:
    return (site.peak_kb() or 0) / 1024


def bench(backend: str, args, work: Path) -> list[Row]:
    site = Site(backend, work / "site").start()
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        seeded = seed(site, args.photos, args.photo_kb)
        log(f"{backend}: seeded {args.photos} photos in {time.perf_counter() - started:.0f} s")
        keyring = work / "keyring"
        office, other, fresh = (Editor(work / name, keyring, None, name)
                                for name in ("office", "other", "fresh"))  # fmt: skip
        sizes = (("small", args.big_mb / 10, seeded["big"][0]),
                 ("big", args.big_mb, seeded["big"][1]))  # fmt: skip
        office.login(site.url)
        office.run("config", "download-limit", "0")  # the seeded photos are not what is timed
        office.run("checkout", SECTION)
        attached = {}
        for label, megabytes, pk in sizes:
            path = attached[label] = work / f"{label}.png"
            size = noise_png(path, megabytes) / MB
            run = office.run("edit", "photo", pk, "--set", f"image=@{path}")
            rows.append(Row(f"attach {label} (hash and copy in)", size, run.seconds,
                            run.peak_kb / 1024, server_mb(site)))  # fmt: skip
            run = office.run("sync")
            rows.append(Row(f"upload {label} (sync)", size, run.seconds, run.peak_kb / 1024,
                            server_mb(site)))  # fmt: skip
        office.run("checkin", SECTION)  # one editor holds a category at a time
        other.login(site.url)
        other.run("config", "download-limit", "0")  # nothing by itself: `file` fetches it
        other.run("checkout", SECTION)
        for label, _megabytes, pk in sizes:
            out = work / f"{label}-downloaded.png"
            run = other.run("file", "photo", pk, "image", "-o", str(out))
            size = out.stat().st_size / MB
            rows.append(Row(f"download {label} (fieldsync file)", size, run.seconds,
                            run.peak_kb / 1024, server_mb(site)))  # fmt: skip
            if _digest(out) != _digest(attached[label]):
                raise SystemExit(f"the {label} file came back different")
        other.run("checkin", SECTION)
        fresh.login(site.url)
        run = fresh.run("checkout", SECTION)
        photos_mb = sum(p.stat().st_size for p in (work / "fresh" / "files").glob("*")) / MB
        rows.append(Row(f"checkout {args.photos} photos", photos_mb, run.seconds,
                        run.peak_kb / 1024, server_mb(site)))  # fmt: skip
    finally:
        site.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--big-mb", type=float, default=48.0)
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--photo-kb", type=int, default=300)
    args = parser.parse_args(argv)
    header = (f"{'operation':34} {'size':>11} {'wall':>9} {'rate':>12} {'client peak':>12}"
              f" {'server peak':>12}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="fieldsync-files-") as folder:
        for backend in args.backends.split(","):
            rows = bench(backend, args, Path(folder) / backend)
            print(f"\n{backend}\n{header}")
            for row in rows:
                print(row.line())
    print("\nPeaks are whole processes (Python, Django, the store): compare a row with its"
          " 'small' twin; flat means the file is never held whole in memory.")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
