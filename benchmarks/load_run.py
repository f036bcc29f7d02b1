"""The load run (issue 12): N editors (real clients, each its own process and SQLite
store), the chief in the admin over HTTP and a writer through the ORM, against the
demo site under gunicorn on PostgreSQL, with editors offline for a while and
killed mid-sync; then everyone syncs and resolves, and an oracle checks the end
state. Exits 1 when the oracle fails, listing what failed.

    .venv/bin/python benchmarks/load_run.py --short          # CI: 3 editors, ~2 minutes
    .venv/bin/python benchmarks/load_run.py --editors 20 --minutes 10 --workers 4
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
