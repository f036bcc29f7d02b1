"""The museum site after a deployed migration (tests/museum_site/models.py, MIGRATED):
the same settings, the models' new state and the migration that makes it, applied
when the site starts (tests/client/test_schema_changes.py restarts it so)."""

from tests.museum_site.settings import *  # noqa: F403

MUSEUM_MIGRATED = True
MIGRATION_MODULES = {"museum": "tests.museum_site.migrations_migrated"}
