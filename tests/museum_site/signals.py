"""The museum's own signal, one a real site would have: a damaged find is sent
for conservation, with a note saying so. It writes during any save, a push
included, so the pushing editor must receive what it wrote."""

from __future__ import annotations

CONSERVATION_NOTE = "Sent for conservation: recorded as damaged."


def mark_damaged_for_conservation(sender, instance, raw: bool = False, **kwargs) -> None:
    from .models import Artefact, Note

    if raw or not isinstance(instance, Artefact):
        return
    if instance.condition == Artefact.DAMAGED and instance.status != Artefact.NEEDS_CONSERVATION:
        instance.status = Artefact.NEEDS_CONSERVATION
        instance.save(update_fields=["status"])
        Note.objects.create(artefact=instance, text=CONSERVATION_NOTE)
