"""The demo site's settings, syncing ``flatpages.FlatPage`` grouped by ``sites.Site``.

The FlatPage model is registered exactly as a site developer would register
it: nothing of Django's own code changes. Its category path is the
many-to-many ``sites``; a page on several sites belongs to the one with the
lowest key.
"""

import os

from server_plugin.demo.settings import *  # noqa: F403
from server_plugin.demo.settings import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sites",
    "django.contrib.flatpages",
    "tests.flatpages_site",
]
SITE_ID = 1

FIELDSYNC = {
    "CHECKOUT_MODE": os.environ.get("FIELDSYNC_DEMO_CHECKOUT_MODE", "exclusive"),
    "CATEGORY_MODEL": "sites.Site",
    "MODELS": {
        "flatpages.FlatPage": {"category": "sites", "display_field": "title"},
    },
}
