"""Applying a pushed batch of changes.

The push path, in the order a batch takes it (batch.py tells it in one place):

- `parse`     what a pushed change means on this site: its model, fields and
              key read against the registry before anything touches the
              database (the wire's shape was read by protocol/wire.py);
- `receipts`  the recorded answer to each change, claimed and found by the
              change id's canonical spelling: nothing is applied twice;
- `rights`    who may write what, checked per change;
- `rows`      what the batch knows of the records it touches, read and locked once;
- `decide`    the decision, a pure function: fast-forward, merge, or the
              model's conflict policy (no database; tests/protocol tests it);
- `write`     writing the outcome through the model, with its history;
- `batch`     the transaction that runs them (a savepoint per change only
              when a change is refused after writing: run again, carefully).

`push()` is the one entry point (the API, bundles and the review queue all
use it); `assign_values` and `FieldErrors` convert values alike for restores.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .batch import push
    from .rejected import FieldErrors
    from .write import assign_values

__all__ = ["FieldErrors", "assign_values", "push"]

_WHERE = {"push": "batch", "FieldErrors": "rejected", "assign_values": "write"}


def __getattr__(name: str):
    """Loaded on first use, so that `decide` (plain Python) imports without Django."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
