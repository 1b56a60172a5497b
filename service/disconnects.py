"""Cancel a check whose client hung up, so the check slot and the client's lease are free again at once.

A URL check may wait on a slow upstream for the whole fetch deadline (30 s by default). Without this, 32
clients that send a check and hang up hold all 32 slots for that long, and everyone else gets 503.
The ASGI server says ``http.disconnect`` on ``receive()`` once the connection is gone; the check runs
beside a task waiting for that message, and whichever finishes first ends the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from fastapi import HTTPException, Request

T = TypeVar("T")

# nginx's code for "client closed request": nobody reads it, but access logs and metrics show what happened.
CLIENT_CLOSED_REQUEST = 499


async def cancel_on_disconnect(request: Request, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work()`` and return its result; if the client disconnects first, cancel it and raise a 499.

    Call it only after the request body has been read: the watcher consumes ``receive()`` messages.
    """
    outcome: list[T] = []
    failure: list[Exception] = []

    async with anyio.create_task_group() as group:

        async def watch_for_disconnect() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(watch_for_disconnect)
        try:
            outcome.append(await work())
        except Exception as exc:  # re-raised below as itself, not wrapped in the task group's ExceptionGroup
            failure.append(exc)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if not outcome:  # the watcher cancelled the work
        raise HTTPException(CLIENT_CLOSED_REQUEST, detail="The client closed the connection before the answer.")
    return outcome[0]
