"""The app tells the editor how the store followed a new schema of the central
site: a field removed while an edit of it waited, told in a notification that
names the file its value was set aside in (the museum site, restarted with the
field left out of sync). The CLI's walk is tests/client/test_schema_changes.py."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from tests.support.app_driver import notifications, online, queued, settle, until

DELTA = "Delta survey 2026"


def test_a_removed_field_is_told_with_the_file_holding_the_editors_value(
    museum_central, museum_driver, empty_store
):
    from fieldsync_tui.store.edits import update_record
    from fieldsync_tui.store.models import Record
    from fieldsync_tui.sync.engine import SyncEngine
    from fieldsync_tui.sync.transport import Transport

    engine = SyncEngine(Transport(museum_central.url, museum_driver.token))
    engine.checkout(DELTA)
    bowl = Record.objects.get(model="museum.artefact", title="Glazed bowl")
    update_record(engine.schema, "artefact", bowl.object_pk, {"description": "Crack: 4 cm."})
    museum_central.stop()
    museum_central.env["FIELDSYNC_MUSEUM_MODELS"] = json.dumps(
        {"museum.Artefact": {"exclude": ["description"]}}
    )
    museum_central.start()

    async def scenario():
        async with museum_driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await queued(pilot, 0)

            def told() -> list[str]:
                return [n for n in notifications(app) if "“description”" in n]

            await until(pilot, told, "a notification of the removed field")
            return told()

    (told,) = asyncio.run(scenario())
    assert told.startswith("The central site no longer has the field “description” of artefact")
    kept = Path(re.search(r"set aside in (\S+\.json)", told).group(1))
    assert kept.parent == empty_store / "set-aside"
    assert json.loads(kept.read_text())["values"] == {"description": "Crack: 4 cm."}
