"""How much of the event loop each session's frames may take to read.

A page's frames are read, and their JSON parsed, on the server's event loop, which serves every
other page meanwhile: a frame of megabytes of numbers takes a large part of a second to parse, and
a page sending such frames one after another would slow every visitor. Each session (a visitor,
all their tabs) has a budget of the loop's time for reading: it refills at :data:`SHARE` of a
second per second, up to :data:`BURST` seconds. A session that has spent it waits, before its
next frame is read, until it has some again: its own sockets slow down (the browser's sends back
up), and the loop serves everyone else meanwhile. An honest page spends microseconds a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SHARE = 0.1
"""The part of the event loop's time one session's reading may take, over time."""
BURST = 0.5
"""The loop time (seconds) a session may spend at once, from a full budget."""


class ReadBudget:
    """Each session's budget of the event loop's time for reading its frames."""

    def __init__(self, share: float = SHARE, burst: float = BURST, clock: Callable[[], float] = time.monotonic) -> None:
        self.share, self.burst, self._clock = share, burst, clock
        self._sessions: dict[str, list[float]] = {}
        """session -> [seconds left, when that was so, sockets reading]"""

    def open(self, session: str) -> None:
        """A socket of ``session`` starts reading."""
        entry = self._sessions.setdefault(session, [self.burst, self._clock(), 0])
        entry[2] += 1

    def close(self, session: str) -> None:
        """A socket of ``session`` stopped reading; the last one forgets the session."""
        entry = self._sessions.get(session)
        if entry is not None:
            entry[2] -= 1
            if entry[2] <= 0:
                del self._sessions[session]

    def spend(self, session: str, seconds: float) -> float:
        """``session`` took ``seconds`` of the loop: how long to wait before reading its next frame."""
        entry = self._sessions.get(session)
        if entry is None:
            return 0.0
        now = self._clock()
        left = min(self.burst, entry[0] + (now - entry[1]) * self.share) - seconds
        entry[0], entry[1] = left, now
        return -left / self.share if left < 0 else 0.0

    def sessions(self) -> int:
        """How many sessions have a socket reading (for tests: none is kept after its last socket)."""
        return len(self._sessions)
