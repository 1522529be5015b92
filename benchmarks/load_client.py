"""Drives benchmarks/load.py, the load client in a process of its own."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


class LoadClient:
    """A running load process; `run` hands it one job and waits for its answer."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Wrap a started process."""
        self._process = process

    @classmethod
    async def start(cls) -> LoadClient:
        """Start the load process with this Python, from the repository."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.load",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def run(
        self, requests: list[tuple[str, str, str]], *, total: int, concurrency: int
    ) -> tuple[list[float], float]:
        """Send `total` POSTs, `concurrency` at a time; return latencies, duration.

        `requests` are (URL, body, content type); each worker sends one of them.
        """
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        job = {"requests": requests, "total": total, "concurrency": concurrency}
        stdin.write(json.dumps(job).encode() + b"\n")
        await stdin.drain()
        answer: dict[str, Any] = json.loads(await stdout.readline())
        if "error" in answer:
            raise AssertionError(answer["error"])
        return answer["latencies"], answer["duration"]

    async def close(self) -> None:
        """End the process: it stops when its input closes."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()
