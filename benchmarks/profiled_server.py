"""The demo central site with every request profiled: for `sync_speed.py --profile DIR`.

    python benchmarks/profiled_server.py --profile-dir DIR [demo site options]

The demo site's own start-up (server_plugin/demo/serve.py: migrate, seed,
serve with waitress), with the WSGI application wrapped so that each
request runs under its own `cProfile.Profile` (profilers are per thread, so
waitress's worker threads do not mix) and dumps it to
``DIR/NNNNN-METHOD-path.prof``. Read them with `pstats`. Times are inflated
by the profiler: use it to see where time goes, not how much there is.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def profiled(app, folder: Path):
    counter = itertools.count(1)
    lock = threading.Lock()
    folder.mkdir(parents=True, exist_ok=True)

    def application(environ, start_response):
        with lock:
            number = next(counter)
        path = re.sub(r"[^A-Za-z0-9]+", "_", environ.get("PATH_INFO", "")).strip("_")[:80]
        name = f"{number:05d}-{environ.get('REQUEST_METHOD', 'GET')}-{path}.prof"
        profile = cProfile.Profile()
        profile.enable()
        try:
            return list(app(environ, start_response))  # the body is made inside the profile
        finally:
            profile.disable()
            profile.dump_stats(folder / name)

    return application


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile-dir", type=Path, required=True)
    args, site_args = parser.parse_known_args()
    from server_plugin.demo.serve import main as serve

    return serve(site_args, wrap_app=lambda app: profiled(app, args.profile_dir))


if __name__ == "__main__":
    sys.exit(main())
