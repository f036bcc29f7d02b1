"""What happened, as messages: reading these class names tells the app's story.

Workers post them from threads; `@on` handlers on the event loop own the
state and the widgets. The app hands copies of the ones screens care about
to every screen (`FieldsyncApp.forward`); none of them bubble, so a copy
never travels back up to the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from textual.message import Message


class Event(Message, bubble=False):
    """Base of fieldsync's messages: none of them bubble."""

    def __init_subclass__(cls, **kwargs) -> None:
        kwargs.setdefault("bubble", False)  # Message makes subclasses bubble by default
        super().__init_subclass__(**kwargs)


@dataclass
class ConnectivityChanged(Event):
    online: bool


@dataclass
class StatusLoaded(Event):
    """Counts for the status bar: the queue, conflicts, last sync."""

    online: bool
    last_sync_at: datetime | None
    queued: int
    rejected: int
    conflicts: int


@dataclass
class SyncProgressed(Event):
    phase: str
    label: str
    done: int
    total: int | None


@dataclass
class SyncFinished(Event):
    summary: str
    problems: list[str] = field(default_factory=list)
    schema_changes: list[str] = field(default_factory=list)  # how the store followed, in words
    lost_edits: list[str] = field(default_factory=list)  # edits a policy decided against
    withdrawn: list[str] = field(default_factory=list)  # categories removed, edits set aside
    conflicts: list[str] = field(default_factory=list)  # records in conflict after it, named
    rejected: int = 0  # changes the server refused in this sync


@dataclass
class SyncCancelled(Event):
    summary: str  # what the sync did before it stopped


@dataclass
class SyncFailed(Event):
    reason: str
    offline: bool = False


@dataclass
class CategoriesLoaded(Event):
    categories: list[dict]


@dataclass
class CategoryCheckedOut(Event):
    name: str
    warnings: list[str]


@dataclass
class CategoryCheckedIn(Event):
    name: str


@dataclass
class ActionFailed(Event):
    """Something the editor asked for did not work; shown as a notification."""

    title: str
    reason: str


@dataclass
class RecordsPageLoaded(Event):
    category_key: str
    rows: list[dict]
    total: int
    first_index: int  # position of rows[0] in the whole category
    request_id: int


@dataclass
class RecordLoaded(Event):
    record: dict | None


@dataclass
class RecordSaved(Event):
    model: str
    pk: str
    created: bool


@dataclass
class RecordDeleted(Event):
    model: str
    pk: str


@dataclass
class ChangeDiscarded(Event):
    """A change was dropped and the server's values put back; the editor's are in a file."""

    model: str
    pk: str
    summary: str  # what was dropped, what came back, where the values went
    set_aside: str


@dataclass
class LoggedIn(Event):
    token: str


@dataclass
class LoginFailed(Event):
    reason: str


@dataclass
class LoginLost(Event):
    """The server no longer takes this device's token (it expired, or staff revoked
    the device): the editor must log in again. `reason` says what was kept, or
    what was removed and where the unsynced edits went."""

    reason: str
    known: dict = field(default_factory=dict)  # the login screen's fields: url, username, device


@dataclass
class QueueLoaded(Event):
    entries: list[dict]


@dataclass
class WorkEnded(Event):
    """A check-out or check-in finished (well or not): progress can go away."""


@dataclass
class FileAttached(Event):
    """A file of this computer was copied into the folder for a field of the form
    (not saved yet: the form saves it with the rest)."""

    field: str
    value: dict
    info: Any  # store.files.FileInfo


@dataclass
class FileRefused(Event):
    """A file was not attached (no such file, over the site's limit, not an image)."""

    field: str
    reason: str


@dataclass
class FileDownloaded(Event):
    """A file's content came from the server on demand (to open or save it)."""

    field: str
    info: Any  # store.files.FileInfo


@dataclass
class FileOpened(Event):
    name: str
    program: str


@dataclass
class FileCopySaved(Event):
    name: str
    path: str
