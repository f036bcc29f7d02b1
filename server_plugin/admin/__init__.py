"""The plugin's admin: devices and checkouts, the review queue, record history.

`SyncHistoryMixin` (mixins.py) is for the host site's own ModelAdmins: it
puts a record's sync history and its policy flag next to the record.
"""

from . import devices, history, review  # noqa: F401  (registers the admin pages)
from .mixins import SyncHistoryMixin

__all__ = ["SyncHistoryMixin"]
