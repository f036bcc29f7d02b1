"""Fixtures for the app's tests: the real Textual app, driven by Pilot, over a
real store file and a real central site in a subprocess.

Django's settings are global to a process, so each test process opens ONE
store folder (session fixture) and every test starts from an emptied store.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.app_driver import AppDriver
from tests.support.central import MUSEUM, CentralSite, built_template, running_site

BACKEND = os.environ.get("FIELDSYNC_APP_BACKEND", "sqlite")
MUSEUM_BACKENDS = os.environ.get("FIELDSYNC_E2E_BACKENDS", "sqlite,postgres").split(",")


@pytest.fixture(scope="session")
def store_folder(tmp_path_factory):
    from fieldsync_tui.store.database import open_database

    folder = tmp_path_factory.mktemp("app-store")
    open_database(folder)
    return folder


@pytest.fixture
def empty_store(store_folder):
    """The session's store, emptied: its tables, and the folders beside it (set-aside
    files and file content), so no test reads what an earlier one left."""
    from fieldsync_tui.store.models import Account, Category, Conflict, PendingChange, Record

    for model in (Conflict, PendingChange, Record, Category, Account):
        model.objects.all().delete()
    for name in ("set-aside", "files"):
        shutil.rmtree(store_folder / name, ignore_errors=True)
    return store_folder


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A plaintext keyring in a temporary folder, named in the environment as the tests'
    choice (fieldsync never picks a plaintext keyring by itself): never the user's."""
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv("FIELDSYNC_TOKEN", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring"))
    return PlaintextKeyring()  # reads the same file: its path follows XDG_DATA_HOME


@pytest.fixture(scope="session")
def site_template(request, tmp_path_factory):
    """The demo site, built once per session and backend: BACKEND, unless a test asks
    for others (`@pytest.mark.parametrize("site_template", [...], indirect=True)`)."""
    backend = getattr(request, "param", BACKEND)
    folder = tmp_path_factory.mktemp(f"app-site-template-{backend}")
    with built_template(backend, folder) as template:
        yield template


@pytest.fixture
def central(site_template, tmp_path):
    with running_site(site_template, tmp_path / "central") as site:
        yield site


def log_in(site: CentralSite) -> str:
    """editor1's token, with the store logged in (schema and categories fetched)."""
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport

    transport = Transport(site.url)
    token = SyncEngine.login(transport, "editor1", "demo-password", "pilot")
    engine = SyncEngine(transport)
    engine.refresh_schema()
    engine.refresh_categories()
    return token


@pytest.fixture
def logged_in(central, empty_store) -> str:
    return log_in(central)


@pytest.fixture
def driver(empty_store, logged_in) -> AppDriver:
    return AppDriver(empty_store, token=logged_in)


@pytest.fixture
def editor1(central, logged_in):
    """An engine for editor1's device (the one the app runs as), outside the app."""
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport

    return SyncEngine(Transport(central.url, logged_in))


@pytest.fixture
def politics(editor1, central) -> str:
    """Politics checked out to editor1 before the app starts; its category key."""
    category, _ = editor1.checkout("Politics")
    return category.key


@pytest.fixture(scope="session", params=MUSEUM_BACKENDS)
def museum_template(request, tmp_path_factory):
    """The museum test site (tests/museum_site), migrated and seeded once per session,
    on each backend: what an editor types in the form must arrive equal on both."""
    folder = tmp_path_factory.mktemp(f"app-museum-template-{request.param}")
    with built_template(request.param, folder, **MUSEUM) as template:
        yield template


@pytest.fixture
def museum_central(museum_template, tmp_path):
    with running_site(museum_template, tmp_path / "museum") as site:
        yield site


@pytest.fixture
def museum_driver(museum_central, empty_store) -> AppDriver:
    return AppDriver(empty_store, token=log_in(museum_central))
