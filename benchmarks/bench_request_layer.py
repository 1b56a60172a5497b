"""What the request layer (request id, access-log line, HTTP metrics) costs per request, measured in-process.

The same app answers ``GET /healthz`` through its ASGI stack with the layer and without it (the stack
FastAPI builds on its own), alternating rounds so machine noise hits both alike; the log lines go to
/dev/null through the real JSON formatter. Prints the per-request CPU time of each and their difference.

    python benchmarks/bench_request_layer.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
from typing import Any

from fastapi import FastAPI

from mediacheck.service.access_log import ACCESS_LOGGER, JsonLogFormatter
from mediacheck.service.app import create_app
from mediacheck.service.settings import Settings

REQUESTS = 5_000
ROUNDS = 7


async def _drive(asgi: Any, count: int) -> float:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/healthz", "raw_path": b"/healthz", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"x-request-id", b"bench-1")], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000), "state": {}}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    started = time.process_time()
    for _ in range(count):
        await asgi(dict(scope), receive, send)
    return (time.process_time() - started) / count


def main() -> None:
    """Alternate rounds with and without the layer; print medians in microseconds per request."""
    app: FastAPI = create_app(Settings())
    logger = logging.getLogger(ACCESS_LOGGER)
    for installed in list(logger.handlers):  # the stdout handler the app installed: lines go to /dev/null here
        logger.removeHandler(installed)
    handler = logging.FileHandler("/dev/null")
    handler.setFormatter(JsonLogFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    with_layer = app.build_middleware_stack()
    without_layer = FastAPI.build_middleware_stack(app)
    timings: dict[str, list[float]] = {"with": [], "without": []}

    async def run() -> None:
        await _drive(with_layer, 500)  # warm both paths (imports, caches) before measuring
        await _drive(without_layer, 500)
        for _ in range(ROUNDS):
            timings["with"].append(await _drive(with_layer, REQUESTS) * 1e6)
            timings["without"].append(await _drive(without_layer, REQUESTS) * 1e6)

    asyncio.run(run())
    result = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    spread = {name: [round(min(values), 1), round(max(values), 1)] for name, values in timings.items()}
    print(f"GET /healthz in-process, {REQUESTS} requests x {ROUNDS} rounds, CPU µs per request (median, range):")
    print(f"  without the request layer: {result['without']} {spread['without']}")
    print(f"  with the request layer   : {result['with']} {spread['with']}")
    print(f"  the layer costs          : {round(result['with'] - result['without'], 1)} µs per request")
    print(json.dumps({"us_per_request": result, "range": spread}))


if __name__ == "__main__":
    main()
