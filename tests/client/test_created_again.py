"""Two editors who each keep their edit of a record deleted on the server both create it
again under its id: the second meets the first as a conflict it can resolve, never a
refusal nobody can fix, and its folder keeps syncing (found by the 20-editor load run,
benchmarks/load_run.py)."""

from __future__ import annotations


def test_two_editors_keeping_a_record_deleted_on_the_server_meet_as_a_conflict(
    advisory_central, tmp_path, keyring_home
):
    from tests.client.conftest import make_editor

    site = advisory_central
    a, b, c = (make_editor(name, tmp_path, keyring_home, site)
               for name in ("editor1", "editor2", "chief"))  # fmt: skip
    for editor in (a, b, c):
        editor.run("checkout", "Politics")
    pk = a.json("new", "article", "--category", "Politics", "--set", "title=Soon gone",
                "--set", "body=First sentence.")["pk"]  # fmt: skip
    for editor in (a, b, c):
        editor.run("sync")
    b.run("edit", "article", pk, "--set", "body=First sentence. Added by two.")
    c.run("edit", "article", pk, "--set", "body=Added by three. First sentence.")
    a.run("delete", "article", pk)
    a.run("sync")
    for editor in (b, c):  # each learns of the deletion: a conflict
        editor.run("sync", check=False)
    for editor in (b, c):  # each keeps its edit: the record is created again, same id
        (conflict,) = editor.json("conflicts")
        editor.run("resolve", str(conflict["id"]), "--take", "mine")
        editor.run("sync", check=False)

    assert c.json("rejected") == []
    (met,) = c.json("conflicts")  # two's creation was first: three meets it
    assert met["pk"] == pk and "body" in met["fields"], met
    c.run("resolve", str(met["id"]), "--take", "mine")
    c.run("sync")
    for editor in (a, b, c):
        editor.run("sync")
    body = site.records(site.category_key("Politics"))[("news.article", pk)]["values"]["body"]
    assert body == "Added by three. First sentence."
    assert b.json("show", "article", pk)["values"]["body"] == body
    assert c.json("conflicts") == [] and c.json("status")["queued"] == 0
