"""The demo site's settings, syncing the museum's field survey grouped by expedition.

Registered exactly as a site developer would: nothing of the museum's models
knows of fieldsync.

``FIELDSYNC_MUSEUM_MODELS`` (tests only) moves the synced schema without a
migration: a JSON object merged into ``FIELDSYNC["MODELS"]``, one model's
options per label, ``null`` to stop syncing a model. E.g.
``{"museum.Artefact": {"exclude": ["description"]}, "museum.Note": null}``
"removes" the field description and the model Note for every editor
(tests/client/test_schema_changes.py restarts the site with it). A real
migration deployed is settings_migrated.py.
"""

import json
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

for _label, _options in json.loads(os.environ.get("FIELDSYNC_MUSEUM_MODELS") or "{}").items():
    if _options is None:
        FIELDSYNC["MODELS"].pop(_label, None)
    else:
        FIELDSYNC["MODELS"][_label] = {**FIELDSYNC["MODELS"].get(_label, {}), **_options}
