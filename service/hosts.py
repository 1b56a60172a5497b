"""Answer only to the host names the operator lists (``MEDIACHECK_ALLOWED_HOSTS``), refusing others with a JSON 400.

DNS rebinding: a page on ``evil.example`` re-points its name at 127.0.0.1, and the victim's browser then
sends requests to a service on the victim's loopback with ``Host: evil.example``, reading the answers as
same-origin. Checking ``Host`` stops it. ``mediacheck serve`` on a loopback address lists only loopback
names unless the operator says otherwise (:func:`serve_host_names`).

Starlette's TrustedHostMiddleware answers in plain text; every other refusal of this service is JSON.
``/healthz`` and ``/readyz`` answer whatever the Host: load balancers probe instances by IP address, and
a probe reveals nothing and starts no work.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import status
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mediacheck.service.settings import LOOPBACK_HOST_NAMES

PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def host_name(value: str) -> str:
    """The name part of a Host header or allowed-hosts entry, lower-case, without port or trailing dot.

    IPv6 literals keep their brackets (``[::1]``); a bare IPv6 entry (``::1``) gets them.
    """
    value = value.strip().lower()
    if value.startswith("["):
        return value.partition("]")[0] + "]"
    if value.count(":") > 1:
        try:
            return f"[{ipaddress.IPv6Address(value)}]"
        except ValueError:
            return value
    return value.partition(":")[0].rstrip(".")


class AllowedHostsMiddleware:
    """Lets a request through when its Host names an allowed host (``*``: any; ``*.example.com``: subdomains)."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.names = frozenset(host_name(entry) for entry in allowed_hosts if not entry.startswith("*."))
        self.suffixes = tuple(host_name(entry)[1:] for entry in allowed_hosts if entry.startswith("*."))

    def allows(self, host: str | None) -> bool:
        """Whether a request with this Host header value is served."""
        if self.any_host:
            return True
        if not host:
            return False
        name = host_name(host)
        return name in self.names or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any_host or scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), None)
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        detail = (f"This service does not answer to the host {host!r}; MEDIACHECK_ALLOWED_HOSTS names those it does."
                  if host else "The request has no Host header; this service answers only to named hosts.")
        response = JSONResponse({"detail": detail}, status_code=status.HTTP_400_BAD_REQUEST)
        await response(scope, receive, send)


def serve_host_names(listen_host: str) -> str | None:
    """The MEDIACHECK_ALLOWED_HOSTS value for a service listening on ``listen_host``: loopback names only when
    it is a loopback address (a browser on this machine is the only client, and rebinding its target),
    else None (any host)."""
    if listen_host.lower() in ("localhost", "localhost."):
        return ",".join(LOOPBACK_HOST_NAMES)
    try:
        address = ipaddress.ip_address(listen_host.strip("[]"))
    except ValueError:
        return None
    if not address.is_loopback:
        return None
    listened = f"[{address}]" if address.version == 6 else str(address)
    names = dict.fromkeys((*LOOPBACK_HOST_NAMES, listened))
    return ",".join(names)
