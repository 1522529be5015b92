"""Fault injection: how the sandbox misbehaves when a test asks it to.

`Sandbox.fail_next`, `hang_next`, `reset_next` and `lose_response_next`
queue a `Fault`; each request the API receives takes the first pending fault
that matches its path and method. A fault answers with a canned response
("fail"), never answers ("hang", held until the sandbox closes), drops the
connection ("reset"), or lets the request take effect and then loses its
answer ("lose-hang", "lose-reset", "lose-garble").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

_LOGGER = logging.getLogger("sandbox")


@dataclass
class Fault:
    """One injected failure, and which requests it applies to."""

    kind: str  # "fail", "hang", "reset" or "lose-" + one of hang, reset, garble
    times: int | None
    path_contains: str | None
    method: str | None
    response: tuple[int, str | bytes, dict[str, str], str] | None = None


class Faults:
    """The pending faults, matched against each request in turn."""

    def __init__(self) -> None:
        """Start with no fault pending."""
        self._pending: list[Fault] = []
        self._stopping = asyncio.Event()

    def add(self, fault: Fault) -> None:
        """Queue a fault after those already pending."""
        self._pending.append(fault)

    def clear(self) -> None:
        """Forget every pending fault."""
        self._pending.clear()

    def release(self) -> None:
        """Let every hung request finish: the sandbox is closing."""
        self._stopping.set()

    def take(self, request: web.Request) -> Fault | None:
        """Return the first fault this request matches, counting it used."""
        for fault in self._pending:
            if (
                fault.path_contains is not None
                and fault.path_contains not in request.path_qs
            ):
                continue
            if fault.method is not None and fault.method.upper() != request.method:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._pending.remove(fault)
            return fault
        return None

    async def apply(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """Answer the request as the fault says (or never, or drop it)."""
        _LOGGER.info(
            "%s %s -> injected %s", request.method, request.path_qs, fault.kind
        )
        if fault.kind == "hang":
            # Held until close(), so a test's teardown never waits on it.
            await self._stopping.wait()
        if fault.kind in {"hang", "reset"}:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)
        assert fault.response is not None  # noqa: S101 - set for every "fail"
        status, body, headers, content_type = fault.response
        raw = body.encode() if isinstance(body, str) else body
        return web.Response(
            status=status, body=raw, headers=headers, content_type=content_type
        )
