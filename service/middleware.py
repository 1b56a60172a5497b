"""Request-body caps enforced at the ASGI edge, answered with a JSON 413 like every other refusal.

A ``Content-Length`` above the cap gets 413 at once, before any work (with ``Expect: 100-continue`` the
client never sends the body); a body that grows past the cap while being read (chunked) stops there with 413.
FastAPI's own ``max_body_size`` answers the first case in plain text, hence this small middleware.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException, status
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimitMiddleware:
    """Caps every request body: ``limits_by_path`` for the paths named there, ``default_limit`` for the rest."""

    def __init__(self, app: ASGIApp, *, default_limit: int, limits_by_path: Mapping[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits_by_path = dict(limits_by_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits_by_path.get(scope["path"], self.default_limit)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                response = JSONResponse(
                    {"detail": f"The request body is {int(value):,} bytes; this endpoint takes at most {limit:,}."},
                    status_code=status.HTTP_413_CONTENT_TOO_LARGE,
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's read, so the app's exception handling turns it into a JSON 413.
                    raise HTTPException(
                        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
                        detail=f"The request body exceeds {limit:,} bytes, the most this endpoint takes.",
                        headers={"Connection": "close"},
                    )
            return message

        await self.app(scope, limited_receive, send)
