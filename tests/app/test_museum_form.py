"""The record form on a site that is not the newsroom: the museum's field survey.

A JSON field is edited as JSON text and stays JSON (saving a record changes
none of its other values); bad JSON is marked on its field; decimals, local
times, durations and choices typed in the form arrive in the central database
equal by value.
"""

from __future__ import annotations

import asyncio
import json

from textual.widgets import Input, Label, Select, TextArea

from tests.support.app_driver import (
    highlight_category,
    highlight_record,
    online,
    queued,
    screen_is,
    settle,
    status_bar,
    until,
)

DELTA = "Delta survey 2026"


def stored_bowl(site) -> dict:
    out = site.shell(
        "import json\nfrom tests.museum_site.models import Artefact\n"
        "a = Artefact.objects.get(catalogue_code__isnull=False, reference="
        "'6f1c2a4e-8b3d-4f7a-9c21-0d5e6b7a8c90')\n"
        "print(json.dumps({'title': a.title, 'attributes': a.attributes,\n"
        "  'weight_kg': repr(a.weight_kg), 'recorded_at': a.recorded_at.isoformat(),\n"
        "  'exposure': repr(a.exposure), 'condition': a.condition, 'fragile': a.fragile,\n"
        "  'on_display': a.on_display}))"
    )
    return json.loads(out)


async def open_bowl(pilot):
    from fieldsync_tui.app.screens.record_form import RecordFormScreen

    await highlight_record(pilot, "Glazed bowl")
    await pilot.press("enter")
    await screen_is(pilot, RecordFormScreen, "the bowl's form")
    return pilot.app.screen


async def save_and_return(pilot):
    from fieldsync_tui.app.screens.main import MainScreen

    await pilot.press("ctrl+s")
    await screen_is(pilot, MainScreen, "back on the main screen after saving")


def test_json_stays_json_and_typed_values_arrive_equal(museum_driver, museum_central, in_new_york):
    from fieldsync_tui.app.widgets.categories_list import CategoriesList

    seeded = {"glaze": "green", "marks": ["x", 2, None], "kiln": {"temp_c": 1180.5}}

    async def scenario():
        async with museum_driver.run() as pilot:
            app = pilot.app
            await online(pilot)
            await highlight_category(pilot, DELTA)
            await pilot.press("c")
            await pilot.pause(0.2)
            await pilot.press("y")
            await settle(pilot)
            categories = app.screen.query_one(CategoriesList)
            await until(pilot, lambda: categories.selected["checked_out"], "Delta checked out")

            # Only the title changes: the JSON field is saved as the same JSON value.
            form = await open_bowl(pilot)
            assert json.loads(form.query_one("#field-attributes", TextArea).text) == seeded
            form.query_one("#field-title", Input).value = "Glazed bowl"  # unchanged...
            form.query_one("#field-slug", Input).value = "glazed-bowl-app"  # ...one field edited
            await save_and_return(pilot)
            await pilot.press("ctrl+s")  # sync
            await queued(pilot, 0)
            await settle(pilot)
            stored = stored_bowl(museum_central)
            assert stored["attributes"] == seeded
            assert stored["on_display"] is None, "unknown stays unknown, never 'no'"

            # Bad JSON is marked on its field, and nothing is saved.
            form = await open_bowl(pilot)
            form.query_one("#field-attributes", TextArea).text = "{glaze: red}"
            await pilot.press("ctrl+s")
            await settle(pilot)
            error = str(form.query_one("#error-attributes", Label).content)
            assert error.startswith("✗ not valid JSON"), error
            assert form.query_one("#field-attributes").has_class("-invalid")
            assert app.screen is form

            # Values typed the way an editor types them arrive equal by value.
            form.query_one("#field-attributes", TextArea).text = '{"glaze": "blue", "coats": 2}'
            form.query_one("#field-weight_kg", Input).value = "12.25"
            form.query_one("#field-recorded_at", Input).value = "2026-11-25 10:42:00.5"
            form.query_one("#field-exposure", Input).value = "2:30:00"
            form.query_one("#field-condition", Select).value = "damaged"
            assert form.query_one("#field-on_display", Select).value is Select.NULL
            form.query_one("#field-on_display", Select).value = False
            await save_and_return(pilot)
            await pilot.press("ctrl+s")
            await queued(pilot, 0)
            await settle(pilot)
            assert status_bar(app).status.conflicts == 0

    asyncio.run(scenario())
    stored = stored_bowl(museum_central)
    assert stored["attributes"] == {"glaze": "blue", "coats": 2}
    assert stored["weight_kg"] == "Decimal('12.250')"
    assert stored["recorded_at"] == "2026-11-25T15:42:00.500000+00:00", (
        "New York time, sent with its offset"
    )
    assert stored["exposure"] == "datetime.timedelta(seconds=9000)"
    assert stored["condition"] == "damaged" and stored["fragile"] is True
    assert stored["on_display"] is False
