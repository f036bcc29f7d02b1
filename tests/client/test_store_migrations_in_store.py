"""Opening a store tells whether its tables are up to date without loading the
migration framework: every migration file of the store recorded as applied, or
`migrate` runs. In the local store alone."""

from __future__ import annotations


def test_a_store_missing_a_migration_is_seen_as_behind(local_store):
    from django.db import connection

    from fieldsync_tui.store.database import MIGRATIONS, _migrations_pending

    assert not _migrations_pending(), "a store just opened is up to date"
    latest = max(path.stem for path in MIGRATIONS.glob("0*.py"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app, name, applied FROM django_migrations WHERE name = %s",
                       [latest])  # fmt: skip
        row = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [row[0]])
    try:
        assert _migrations_pending(), f"{latest} is not recorded: migrate must run"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO django_migrations (id, app, name, applied)"
                           " VALUES (%s, %s, %s, %s)", row)  # fmt: skip
    assert not _migrations_pending()


def test_the_store_knows_every_migration_django_knows(local_store):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from fieldsync_tui.store.apps import StoreConfig
    from fieldsync_tui.store.database import MIGRATIONS

    known = {name for app, name in MigrationLoader(connection).disk_migrations
             if app == StoreConfig.label}  # fmt: skip
    assert known == {path.stem for path in MIGRATIONS.glob("*.py") if path.stem[0] != "_"}
