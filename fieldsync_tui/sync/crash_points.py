"""Test hook: ``FIELDSYNC_CRASH_AT=point:N`` kills the process (SIGKILL) the N-th
time `point` is reached, to prove that a crash at that moment loses nothing.
Unset in normal use. Points: push-frozen, push-answered, pull-page,
pull-reference-page (the engine); upload-chunk, download-chunk (the transport,
after each chunk the server took or the disk kept)."""

from __future__ import annotations

import os
import signal


class CrashHook:
    def __init__(self, point: str | None, count: int):
        self.point, self.count = point, count

    @classmethod
    def from_env(cls) -> CrashHook:
        spec = os.environ.get("FIELDSYNC_CRASH_AT", "")
        if ":" not in spec:
            return cls(None, 0)
        point, count = spec.split(":", 1)
        return cls(point, int(count))

    def reached(self, point: str) -> None:
        if point != self.point:
            return
        self.count -= 1
        if self.count <= 0:
            os.kill(os.getpid(), signal.SIGKILL)
