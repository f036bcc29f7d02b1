"""A central site for tests that syncs a third-party model: Django's own
``flatpages.FlatPage`` (integer primary key, many-to-many to ``sites.Site``),
grouped by site. Run it like the demo::

    DJANGO_SETTINGS_MODULE=tests.flatpages_site.settings \
        python -m server_plugin.demo --data-dir DIR --seed-command seed_flatpages
"""
