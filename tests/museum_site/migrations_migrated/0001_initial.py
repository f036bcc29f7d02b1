"""The museum's first migration, as deployed (tests/museum_site/migrations)."""

import importlib

Migration = importlib.import_module("tests.museum_site.migrations.0001_initial").Migration
