"""A third-party model syncs: Django's own ``flatpages.FlatPage`` (integer
primary key, many-to-many to ``sites.Site``), grouped by site.

The central site is tests/flatpages_site (``CATEGORY_MODEL = "sites.Site"``,
``"flatpages.FlatPage": {"category": "sites"}``): a page belongs to the site
with the lowest key among its sites. Sites order by domain, and "harbour"
(key 2) lists before "north" (key 1), so the many-to-many values travel in
another order than the keys: the tests compare them as sets where the order
is the server's business, and exactly where both sides must agree.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.central import FLATPAGES, CentralSite, built_template, running_site
from tests.support.editor import Editor

from .conftest import BACKENDS, make_editor

pytestmark = pytest.mark.both_backends  # a third-party model, grouped by a many-to-many

NORTH, HARBOUR = "north.example.org", "harbour.example.org"
NORTH_KEY, HARBOUR_KEY = "1", "2"
MODEL = "flatpages.flatpage"

# The seeded pages (tests/flatpages_site/management/commands/seed_flatpages.py).
SEEDED = {
    "/about/": ("About us", {1}),
    "/contact/": ("Contact", {1}),
    "/opening-hours/": ("Opening hours", {1}),
    "/privacy/": ("Privacy", {1, 2}),
    "/terms/": ("Terms of use", {1, 2}),
    "/harbour/history/": ("Our history", {2}),
    "/harbour/quay/": ("The quay", {2}),
    "/harbour/events/": ("Events", {2}),
}


@pytest.fixture(scope="module", params=BACKENDS)
def pages_template(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"flatpages-template-{request.param}")
    with built_template(request.param, folder, **FLATPAGES) as template:
        yield template


@pytest.fixture
def pages_site(pages_template, tmp_path):
    with running_site(pages_template, tmp_path / "central") as site:
        yield site


@pytest.fixture
def editor(pages_site, tmp_path, keyring_home) -> Editor:
    return make_editor("editor1", tmp_path, keyring_home, pages_site)


# -- reading both sides ---------------------------------------------------------


def server_pages(site: CentralSite) -> dict:
    """url -> (pk, title, content, set of site keys), straight from the site's database."""
    output = site.shell(
        "import json\n"
        "from django.contrib.flatpages.models import FlatPage\n"
        "print(json.dumps([[p.pk, p.url, p.title, p.content, sorted(p.sites.values_list('pk', "
        "flat=True))] for p in FlatPage.objects.all()]))"
    )
    rows = json.loads(output.strip().splitlines()[-1])
    return {url: (pk, title, content, set(sites)) for pk, url, title, content, sites in rows}


def by_url(records: dict) -> dict:
    """(model, pk) -> record, keyed by the page's url instead."""
    return {r["values"]["url"]: {"pk": pk, **r} for (_, pk), r in records.items()}


def assert_converged(site: CentralSite, *editors: Editor, keys=(NORTH_KEY,)) -> None:
    for key in keys:
        server = site.records(key)
        for editor in editors:
            assert editor.records(key) == server, f"{editor.name} differs in category {key}"


def page_pk(editor: Editor, category: str, title: str) -> str:
    (found,) = [r for r in editor.json("records", category) if r["title"] == title]
    return found["pk"]


# -- the tests ---------------------------------------------------------------------


def test_editor_edits_creates_deletes_and_resites_flat_pages(
    pages_site, editor, tmp_path, keyring_home
):
    checked_out = editor.json("checkout", NORTH)
    assert checked_out["records"] == 5  # the three north pages and the two on both sites
    about = page_pk(editor, NORTH, "About us")
    contact = page_pk(editor, NORTH, "Contact")
    hours = page_pk(editor, NORTH, "Opening hours")
    privacy = page_pk(editor, NORTH, "Privacy")

    editor.run("edit", "flatpage", about, "--set", "title=About the north office",
               "--set", "content=<p>Written in the field.</p>")  # fmt: skip
    created = editor.json(
        "new", "flatpage", "--category", NORTH,
        "--set", "url=/field-notes/", "--set", "title=Field notes",
        "--set", "content=<p>Notes.</p>", "--set", "sites=2,1",
    )  # fmt: skip
    assert created["pk"].startswith("tmp:")
    editor.run("delete", "flatpage", contact)
    editor.run("edit", "flatpage", hours, "--set", "sites=1,2")  # gains a site, stays north
    editor.run("edit", "flatpage", privacy, "--set", "sites=1")  # loses one, stays north
    editor.run("sync")

    # The server holds exactly that, and nothing else changed.
    expected = {url: (title, sites) for url, (title, sites) in SEEDED.items()}
    del expected["/contact/"]
    expected["/about/"] = ("About the north office", {1})
    expected["/field-notes/"] = ("Field notes", {1, 2})
    expected["/opening-hours/"] = ("Opening hours", {1, 2})
    expected["/privacy/"] = ("Privacy", {1})
    server = server_pages(pages_site)
    assert {url: (title, sites) for url, (_, title, _, sites) in server.items()} == expected
    assert server["/about/"][2] == "<p>Written in the field.</p>"
    assert server["/field-notes/"][2] == "<p>Notes.</p>"

    # The new page has its permanent integer id here too, and no temporary id is left.
    permanent = str(server["/field-notes/"][0])
    local = editor.records(NORTH_KEY)
    assert (MODEL, permanent) in local
    assert not [pk for (_, pk) in local if pk.startswith("tmp:")]
    assert editor.json("status")["queued"] == 0

    # The many-to-many values, on both sides: the feed and the store agree exactly.
    feed = by_url(pages_site.records(NORTH_KEY))
    for url, (_title, sites) in expected.items():
        if min(sites) == 1:
            assert set(feed[url]["values"]["sites"]) == sites, url
            assert set(by_url(local)[url]["values"]["sites"]) == sites, url
    assert set(feed) == {url for url, (_, sites) in expected.items() if min(sites) == 1}
    assert_converged(pages_site, editor)

    # Another editor taking the site over sees the same pages.
    editor.run("checkin", NORTH)
    other = make_editor("editor2", tmp_path, keyring_home, pages_site)
    other.run("checkout", NORTH)
    assert_converged(pages_site, other)
    assert set(by_url(other.records(NORTH_KEY))["/field-notes/"]["values"]["sites"]) == {1, 2}


def test_changing_sites_moves_pages_between_checked_out_sites(pages_site, editor):
    editor.run("checkout", NORTH)
    editor.run("checkout", HARBOUR)
    hours = page_pk(editor, NORTH, "Opening hours")
    quay = page_pk(editor, HARBOUR, "The quay")
    terms = page_pk(editor, NORTH, "Terms of use")

    editor.run("edit", "flatpage", hours, "--set", "sites=2")  # north -> harbour
    editor.run("edit", "flatpage", quay, "--set", "sites=2,1")  # harbour -> north (lowest key)
    editor.run("edit", "flatpage", terms, "--set", "sites=2", "--set", "title=Terms")
    created = editor.json(
        "new", "flatpage", "--category", HARBOUR,
        "--set", "url=/harbour/tides/", "--set", "title=Tides",
    )  # fmt: skip
    assert created["values"]["sites"] == [2]
    editor.run("sync")

    server = server_pages(pages_site)
    assert server["/opening-hours/"][3] == {2}
    assert server["/harbour/quay/"][3] == {1, 2}
    assert (server["/terms/"][1], server["/terms/"][3]) == ("Terms", {2})
    assert server["/harbour/tides/"][3] == {2}
    north = by_url(pages_site.records(NORTH_KEY))
    harbour = by_url(pages_site.records(HARBOUR_KEY))
    assert set(north) == {"/about/", "/contact/", "/privacy/", "/harbour/quay/"}
    assert set(harbour) == {
        "/opening-hours/", "/terms/", "/harbour/history/", "/harbour/events/", "/harbour/tides/",
    }  # fmt: skip
    assert_converged(pages_site, editor, keys=(NORTH_KEY, HARBOUR_KEY))

    # A second sync changes nothing: the moves left no stale copy behind.
    editor.run("sync")
    assert_converged(pages_site, editor, keys=(NORTH_KEY, HARBOUR_KEY))
    assert editor.count("record") == len(north) + len(harbour)


def test_a_page_cannot_leave_for_a_site_not_checked_out_nor_lose_every_site(pages_site, editor):
    editor.run("checkout", NORTH)
    hours = page_pk(editor, NORTH, "Opening hours")

    elsewhere = editor.run("edit", "flatpage", hours, "--set", "sites=2", check=False)
    nowhere = editor.run("edit", "flatpage", hours, "--set", "sites=", check=False)
    foreign = editor.run(
        "new", "flatpage", "--set", "url=/x/", "--set", "title=X", "--set", "sites=2", check=False
    )

    assert elsewhere.returncode == 1 and "not checked out" in elsewhere.stderr
    assert nowhere.returncode == 1 and "sites" in nowhere.stderr
    assert foreign.returncode == 1 and "not checked out" in foreign.stderr
    assert editor.json("status")["queued"] == 0
    assert server_pages(pages_site)["/opening-hours/"][3] == {1}


def test_the_server_refuses_a_page_without_a_site_and_keeps_the_good_changes(pages_site):
    """Bypassing the client: a page whose sites are emptied would fall out of
    every category, unseen by any editor. It is refused per change; the good
    change beside it is applied."""
    token = pages_site.api(
        "POST", "auth/token",
        body={"username": "editor1", "password": "demo-password", "device": "raw"},
    )["token"]  # fmt: skip
    pages_site.api("POST", f"categories/{NORTH_KEY}/checkout", token)
    feed = by_url(pages_site.records(NORTH_KEY))
    hours, about = feed["/opening-hours/"], feed["/about/"]

    def update(record, values) -> dict:
        return {
            "id": str(uuid.uuid4()), "op": "update", "model": MODEL, "pk": int(record["pk"]),
            "values": values, "base_version": record["version"],
            "base_values": {name: record["values"][name] for name in values},
        }  # fmt: skip

    new_page = {
        "id": str(uuid.uuid4()), "op": "create", "model": MODEL, "pk": f"tmp:{uuid.uuid4()}",
        "values": {"url": "/orphan/", "title": "Orphan", "sites": []},
    }  # fmt: skip
    results = pages_site.api(
        "POST",
        "push",
        token,
        {"changes": [update(hours, {"sites": []}), new_page, update(about, {"title": "Kept"})]},
    )["results"]

    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "sites" in results[0]["errors"] and "sites" in results[1]["errors"]
    server = server_pages(pages_site)
    assert server["/opening-hours/"][3] == {1}
    assert "/orphan/" not in server
    assert server["/about/"][1] == "Kept"


def test_sites_changed_here_and_title_changed_centrally_both_survive(pages_site, editor):
    editor.run("checkout", NORTH)
    about = page_pk(editor, NORTH, "About us")
    editor.run("edit", "flatpage", about, "--set", "sites=2,1")
    pages_site.shell(
        "from django.contrib.flatpages.models import FlatPage\n"
        f"p = FlatPage.objects.get(pk={about}); p.title = 'About (central)'; p.save()"
    )

    result = editor.run("sync")

    assert "merged" in result.stdout
    server = server_pages(pages_site)
    assert server["/about/"][1:4:2] == ("About (central)", {1, 2})
    local = by_url(editor.records(NORTH_KEY))["/about/"]["values"]
    assert (local["title"], set(local["sites"])) == ("About (central)", {1, 2})
    assert_converged(pages_site, editor)
