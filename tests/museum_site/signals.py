"""The museum's own signal, one a real site would have: a damaged find is sent
for conservation, with a note saying so.

It works on the row as stored, not on the instance being saved (as signals
that must not trust a caller's half-edited object do), so the saving code's
instance no longer holds what the row holds. It writes during any save, a
push included, and the pushing editor must receive what it wrote.
"""

from __future__ import annotations

CONSERVATION_NOTE = "Sent for conservation: recorded as damaged."


def mark_damaged_for_conservation(sender, instance, raw: bool = False, **kwargs) -> None:
    from .models import Artefact, Note

    if raw or not isinstance(instance, Artefact):
        return
    if instance.condition == Artefact.DAMAGED and instance.status != Artefact.NEEDS_CONSERVATION:
        stored = type(instance)._default_manager.get(pk=instance.pk)
        if stored.status == Artefact.NEEDS_CONSERVATION:
            return
        stored.status = Artefact.NEEDS_CONSERVATION
        stored.save(update_fields=["status"])
        Note.objects.create(artefact=stored, text=CONSERVATION_NOTE)
