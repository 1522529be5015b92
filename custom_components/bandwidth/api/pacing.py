"""Pacing call creations to the account's calls-per-second limit."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final

# Bandwidth counts creations per second as they arrive; requests sent a
# second apart can arrive closer together (a slow connection set-up for the
# first, say), so the window is a little longer than a second.
WINDOW: Final = 1.1


class PacingTimeoutError(Exception):
    """No slot frees up before the deadline."""


class CreationPacer:
    """Lets at most `rate` call creations start in any one-second window.

    Waiters are served in arrival order (asyncio.Lock is fair), so a large
    fan-out placed first is not overtaken by calls placed after it, and a
    later action waits its turn rather than being refused by Bandwidth.
    """

    def __init__(self) -> None:
        """Start with no creation in the window."""
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self, rate: float, deadline: float) -> None:
        """Wait for a slot and take it.

        Args:
            rate: Creations allowed per second (at least one is).
            deadline: Event loop time after which waiting is pointless.

        Raises:
            PacingTimeoutError: no slot frees up before the deadline.

        """
        loop = asyncio.get_running_loop()
        limit = max(1, int(rate))
        async with self._lock:
            while True:
                now = loop.time()
                while self._starts and self._starts[0] <= now - WINDOW:
                    self._starts.popleft()
                if len(self._starts) < limit:
                    self._starts.append(now)
                    return
                # The slot that frees first is the oldest start's.
                wake = self._starts[len(self._starts) - limit] + WINDOW
                if wake >= deadline:
                    raise PacingTimeoutError
                await asyncio.sleep(wake - now)
