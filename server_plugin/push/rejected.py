"""A change answered `rejected`: why, per field, in words the editor can act on.

Raised anywhere on the push path for a problem of one change (its values, a
right it needs, a row it refers to that is gone); the batch answers that
change and goes on with the others.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Rejected(Exception):
    def __init__(self, errors: dict, message: str = ""):
        super().__init__(message or first_error(errors))
        self.errors = errors
        self.message = message


class FieldErrors(Exception):
    """Values a record cannot take: field name -> messages."""

    def __init__(self, errors: dict):
        super().__init__(first_error(errors))
        self.errors = errors


def error_dict(error: ValidationError) -> dict:
    """Django's ValidationError as field name (or ``__all__``) -> messages."""
    if hasattr(error, "error_dict"):
        return {
            name: list(ValidationError(msgs).messages) for name, msgs in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}


def first_error(errors: dict) -> str:
    for name, messages in errors.items():
        if messages:
            return messages[0] if name == "__all__" else f"{name}: {messages[0]}"
    return "rejected"
