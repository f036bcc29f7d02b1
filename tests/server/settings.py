"""Settings for the central plugin's tests: the demo site, on SQLite or PostgreSQL.

``FIELDSYNC_TEST_DB=postgres`` selects PostgreSQL on 127.0.0.1:5432; the test
database name carries the process id so two runs on one machine never meet.
"""

import os
import tempfile

os.environ.setdefault("FIELDSYNC_DEMO_DATA_DIR", tempfile.mkdtemp(prefix="fieldsync-test-site-"))

from server_plugin.demo.settings import *  # noqa: E402,F403
from server_plugin.demo.settings import INSTALLED_APPS  # noqa: E402

# The museum's tables exist in the test database too; its tests switch FIELDSYNC
# to the museum's (tests/server/museum.py). The shapes app holds small models of
# the shapes fieldsync supports or refuses (tests/server/test_model_shapes.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.museum_site", "tests.shapes_app"]

if os.environ.get("FIELDSYNC_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "TEST": {"NAME": f"test_fieldsync_{os.getpid()}"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(os.environ["FIELDSYNC_DEMO_DATA_DIR"], "central.sqlite3"),
            "TEST": {"NAME": os.path.join(os.environ["FIELDSYNC_DEMO_DATA_DIR"], "test.sqlite3")},
            "OPTIONS": {"timeout": 30},
        }
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
