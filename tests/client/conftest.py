"""Fixtures for end-to-end tests: a real central site per test (SQLite and
PostgreSQL variants) and editors driving the real command line.

Every end-to-end test runs against a central site on SQLite; those marked
`both_backends` (flows whose outcome depends on the central database: field
storage, migrations, sequences, receipts under a crash) run on PostgreSQL too.
The plugin's own suite runs in full on both, in process, which is where the
server's logic is proven on each database.
"""

from __future__ import annotations

import os

import pytest

from tests.support.central import MUSEUM, built_template, running_site
from tests.support.editor import Editor

BACKENDS = os.environ.get("FIELDSYNC_E2E_BACKENDS", "sqlite,postgres").split(",")
_TEMPLATES = ("site_template", "museum_template", "pages_template")


def pytest_collection_modifyitems(config, items):
    """Leave out the PostgreSQL variant of tests not marked `both_backends`."""
    left_out = [item for item in items if _on_postgres(item) and not _both(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


def _on_postgres(item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(params.get(name) == "postgres" for name in _TEMPLATES)


def _both(item) -> bool:
    return item.get_closest_marker("both_backends") is not None


@pytest.fixture(scope="session", params=BACKENDS)
def site_template(request, tmp_path_factory):
    with built_template(request.param, tmp_path_factory.mktemp(f"template-{request.param}")) as t:
        yield t


@pytest.fixture
def central(site_template, tmp_path):
    with running_site(site_template, tmp_path / "central") as site:
        yield site


@pytest.fixture
def advisory_central(site_template, tmp_path):
    """A site where several editors may hold one category (each is warned)."""
    advisory = {"FIELDSYNC_DEMO_CHECKOUT_MODE": "advisory"}
    with running_site(site_template, tmp_path / "central", env=advisory) as site:
        yield site


DELTA, VALLEY = "Delta survey 2026", "Upper valley 2025"  # the museum's expeditions


@pytest.fixture(scope="session", params=BACKENDS)
def museum_template(request, tmp_path_factory):
    """The museum test site (tests/museum_site), migrated and seeded once per session."""
    folder = tmp_path_factory.mktemp(f"museum-template-{request.param}")
    with built_template(request.param, folder, **MUSEUM) as template:
        yield template


@pytest.fixture
def museum_site(museum_template, tmp_path):
    with running_site(museum_template, tmp_path / "central") as site:
        yield site


@pytest.fixture(scope="session")
def local_store(tmp_path_factory):
    """The one local store this test process opens (Django's settings are per
    process): every in-process client test module shares it and fills it itself."""
    from fieldsync_tui.store import database

    if database._opened is None:
        database.open_database(tmp_path_factory.mktemp("local-store"))
    return database._opened


@pytest.fixture
def keyring_home(tmp_path):
    return tmp_path / "keyring-home"


def make_editor(name, tmp_path, keyring_home, site) -> Editor:
    editor = Editor(name, tmp_path / f"{name}-data", keyring_home)
    editor.login(site.url)
    return editor


@pytest.fixture
def editor1(central, tmp_path, keyring_home) -> Editor:
    return make_editor("editor1", tmp_path, keyring_home, central)


@pytest.fixture
def editor2(central, tmp_path, keyring_home) -> Editor:
    return make_editor("editor2", tmp_path, keyring_home, central)


@pytest.fixture
def cli_here(local_store, capsys):
    """Run one command line in this process, on the local store: (exit, stdout, stderr)."""
    from fieldsync_tui import cli

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--data-dir", str(local_store), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def engine_on(local_store, central):
    """A factory of engines in this process, on the emptied local store logged in to
    `central` as editor1 (no keyring: the token stays in memory)."""
    from fieldsync_tui.store.models import Account, Category, Conflict, PendingChange, Record
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport

    for model in (Conflict, PendingChange, Record, Category, Account):
        model.objects.all().delete()
    transport = Transport(central.url)
    SyncEngine.login(transport, "editor1", "demo-password", "in-process")
    SyncEngine(transport).refresh_schema()

    def engine(progress=None, cancel=None):
        return SyncEngine(Transport(central.url, transport.token), progress, cancel=cancel)

    return engine
