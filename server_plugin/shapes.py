"""Which model shapes and field types can sync, decided before anything registers.

A model the plugin cannot sync exactly is refused at start-up: it is left out
of the registry (so it is never served half-right) and the system check
(checks.py) names the model, the reason and the way out. Each rule is a pure
function of the model and its registration.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from .protocol import fields as field_table


@dataclass(frozen=True)
class Refusal:
    """Why a registered model cannot sync, and what the site developer can do."""

    label: str  # the FIELDSYNC['MODELS'] key
    reason: str
    hint: str
    id: str  # the system check's id, e.g. "fieldsync.E101"


def refusals(label: str, model: type[models.Model], fields: tuple) -> list[Refusal]:
    """Every reason `model`, registered under `label` with these synced fields, cannot sync."""
    return unknown_field_types(label, model, fields)


def unknown_field_types(label: str, model, fields) -> list[Refusal]:
    found = []
    for field in fields:
        internal_type = field.get_internal_type()
        if field.is_relation:
            continue  # relations are judged by the key they point at
        if not field_table.supported(internal_type):
            found.append(
                Refusal(
                    label,
                    f"{model._meta.label}.{field.name} is a {type(field).__name__} "
                    f"({internal_type}), a field type fieldsync cannot carry exactly.",
                    f"Leave it out: FIELDSYNC['MODELS'][{label!r}] = {{..., 'exclude': "
                    f"[{field.name!r}]}}, or list the fields to sync in 'fields'.",
                    "fieldsync.E101",
                )
            )
    return found
