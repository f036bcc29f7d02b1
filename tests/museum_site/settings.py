"""The demo site's settings, syncing the museum's field survey grouped by expedition.

Registered exactly as a site developer would: nothing of the museum's models
knows of fieldsync.
"""

import os

from server_plugin.demo.settings import *  # noqa: F403
from server_plugin.demo.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.museum_site"]
MEDIA_ROOT = os.path.join(os.environ.get("FIELDSYNC_DEMO_DATA_DIR", "."), "media")

FIELDSYNC = {
    "CHECKOUT_MODE": os.environ.get("FIELDSYNC_DEMO_CHECKOUT_MODE", "exclusive"),
    "CATEGORY_MODEL": "museum.Expedition",
    "MODELS": {
        "museum.Trench": {"category": "expedition"},
        "museum.Artefact": {"category": "trench__expedition", "display_field": "title"},
        "museum.Painting": {"category": "trench__expedition", "display_field": "title"},
        "museum.Note": {"category": "artefact__trench__expedition", "display_field": "text"},
        "museum.Person": {},
        "museum.Material": {},
    },
}
