"""The load client of the webhook benchmarks, run in a process of its own.

Sending requests from Home Assistant's own event loop would count the client's
work against the server it measures. This process reads one job per line on
stdin and answers each with one line on stdout:

    job:    {"requests": [[url, body, content type], ...], "total": 500,
             "concurrency": 50}
    answer: {"latencies": [seconds, ...], "duration": seconds}
            or {"error": "what went wrong"}

`concurrency` workers share `total` POSTs; worker n sends request n (modulo
their number) every time, so a request list of 50 distinct calls at a
concurrency of 50 keeps every call busy.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp


async def run_job(session: aiohttp.ClientSession, job: dict[str, Any]) -> Any:
    """Send a job's requests and return its latencies and duration."""
    requests = job["requests"]
    latencies: list[float] = []
    numbers = iter(range(job["total"]))

    async def worker(url: str, body: str, content_type: str) -> None:
        data = body.encode()
        headers = {"Content-Type": content_type}
        for _ in numbers:
            started = time.perf_counter()
            async with session.post(url, data=data, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    msg = f"{url.split('?', maxsplit=1)[0]} answered {response.status}"
                    raise RuntimeError(msg)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(
        *(
            worker(*requests[index % len(requests)])
            for index in range(job["concurrency"])
        )
    )
    return {"latencies": latencies, "duration": time.perf_counter() - started}


async def main() -> None:
    """Answer jobs until stdin closes."""
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            try:
                answer = await run_job(session, json.loads(line))
            except (aiohttp.ClientError, RuntimeError) as err:
                answer = {"error": str(err)}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
