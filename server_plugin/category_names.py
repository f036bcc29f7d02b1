"""How a message names a category: by the name the site gives it, never by its id.

Ids stay in the JSON fields (``"category": "7"``) for programs; the sentences
an editor reads say "Politics". One helper, so every message says it the same way.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .registry import get_registry

GONE = "a category that no longer exists on the central site"


def category_name(key: str) -> str:
    """The category's name as the site shows it (``str()`` of it, as the admin does),
    or GONE when there is no such category. Only for a category the reader may see:
    one they have no grant for is never named (access.require_category)."""
    model = get_registry().category_model
    if model is None:
        return GONE
    try:
        found = model._default_manager.filter(pk=key).first()
    except (ValueError, TypeError, ValidationError):
        found = None
    return str(found) if found is not None else GONE
