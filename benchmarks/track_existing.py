"""How long ``manage.py fieldsync_track_existing`` takes on a site whose rows the
feeds never saw, and the memory it needs: the first run (every row tracked)
and a second run (nothing to do), on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/track_existing.py                      # 100,000 rows
    .venv/bin/python benchmarks/track_existing.py --rows 1000000 --backends postgres

Each backend gets a throw-away museum site (tests/museum_site), migrated and
seeded, then `--rows` artefacts inserted with ``bulk_create`` (no signal: as
rows made before the plugin was installed). Each run of the command is a
fresh process; its wall time and peak resident memory (ru_maxrss) are
printed as JSON. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432/{name}"

FILL = """
import sys
from django.core.management import call_command
from tests.museum_site.models import Artefact, Trench
call_command("migrate", verbosity=0)
call_command("seed_museum", verbosity=0)
trenches = list(Trench.objects.all())
rows, batch = int(sys.argv[1]), 5000
for start in range(0, rows, batch):
    Artefact.objects.bulk_create(
        Artefact(trench=trenches[n % len(trenches)], title=f"Sherd {n}", catalogue_code=f"S-{n}",
                 attributes={"layer": n % 7})
        for n in range(start, min(rows, start + batch))
    )
"""

RUN = """
import io, resource, sys, time
from django.core.management import call_command
started = time.perf_counter()
call_command("fieldsync_track_existing", stdout=io.StringIO(), stderr=io.StringIO())
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _python(code: str, env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return result.stdout


def measure(backend: str, rows: int) -> dict:
    folder = tempfile.mkdtemp(prefix="fieldsync-track-existing-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.museum_site.settings",
           "FIELDSYNC_DEMO_DATA_DIR": folder, "PYTHONPATH": str(ROOT)}  # fmt: skip
    name = f"fieldsync_bench_{uuid.uuid4().hex[:8]}"
    if backend == "postgres":
        import psycopg

        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        env["FIELDSYNC_DEMO_DATABASE_URL"] = PG.format(name=name)
    try:
        started = time.perf_counter()
        _python(FILL, env, str(rows))
        filled = time.perf_counter() - started
        figures = {"backend": backend, "rows": rows, "fill_seconds": round(filled, 1)}
        for run in ("first", "second"):
            seconds, peak_mb = _python(RUN, env).split()
            figures[f"{run}_run_seconds"] = round(float(seconds), 1)
            figures[f"{run}_run_peak_mb"] = int(peak_mb)
        figures["rows_per_second_first_run"] = round(rows / figures["first_run_seconds"])
        return figures
    finally:
        if backend == "postgres":
            import psycopg

            with psycopg.connect(
                "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        print(json.dumps(measure(backend, args.rows)), flush=True)


if __name__ == "__main__":
    main()
