"""The start-up floor's settings: the client store's, without the store's own app.

`python -c "import django; django.setup()"` with these is the least a Django
process that opens a SQLite file can cost; sync_speed.py times it as the
floor of `fieldsync` start-up. Mirrors fieldsync_tui/store/database.py.
"""

import os
import tempfile

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.gettempdir(), "fieldsync-floor.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    }
}
INSTALLED_APPS: list[str] = []
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING_CONFIG = None
