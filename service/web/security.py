"""The page's browser-side defences: a strict Content-Security-Policy and friends, and a same-origin gate.

The page authenticates with an API key the browser keeps in ``sessionStorage`` and sends as an
``Authorization`` header, never a cookie, so another site cannot borrow it. Without configured keys the
service is open, and a form on another site could still make a visitor's browser post to it; the gate
refuses any such request. It trusts the Fetch Metadata header (``Sec-Fetch-Site``, sent by every current
browser) and, where that is missing, compares ``Origin`` with ``Host``; clients that send neither (curl,
scripts) are not browsers acting for someone else, and pass.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Everything from this origin only; no inline script or style (the templates carry none), and Trusted Types,
# so the one place the page inserts server-rendered HTML is also the only place it can.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types mediacheck-fragment",
])
PAGE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


class PageHeadersMiddleware:
    """Adds :data:`PAGE_HEADERS` to every answer under the page's paths (``/`` and ``prefix``)."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/" or path.startswith(self.prefix)):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(header for header in PAGE_HEADERS if header[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def require_same_origin(request: Request) -> None:
    """Refuse (403) a request a browser sends on behalf of another site; see the module docstring."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site != "same-origin":
            raise _cross_site(f"Sec-Fetch-Site: {site}")
        return
    origin = request.headers.get("origin")
    if origin is not None and urllib.parse.urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise _cross_site("its Origin is not this service")


def _cross_site(why: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN,
                         detail=f"Refused a request another web page made ({why}); use this service's own page.")


SameOrigin = Annotated[None, Depends(require_same_origin)]
