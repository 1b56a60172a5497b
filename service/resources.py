"""The resources every request shares, built once per app in the lifespan: limits, check slots, the fetcher.

One :class:`mediacheck.SafeFetcher` per app keeps one guarded connection pool for all checks, so
repeated checks of the same host reuse connections instead of paying a handshake each time.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from mediacheck import Limits, Report, Resolver, SafeFetcher
from mediacheck.service.settings import Settings


@dataclass(frozen=True, slots=True)
class ServiceResources:
    """Shared by all requests of one app: its settings, default limits, check slots and guarded fetcher."""

    settings: Settings
    limits: Limits
    slots: anyio.Semaphore
    fetcher: SafeFetcher

    async def check_url(self, url: str, limits: Limits, profile: str | None = None) -> Report:
        """Fetch ``url`` through the guard and check it (a refused or failed fetch is a failing Report)."""
        return await self.fetcher.acheck(url, limits=limits, profile=profile)


@asynccontextmanager
async def open_resources(settings: Settings, *, resolver: Resolver | None = None,
                         verify: ssl.SSLContext | None = None) -> AsyncIterator[ServiceResources]:
    """Build the shared resources and close the fetcher's pool when the app stops."""
    limits = settings.default_limits()
    # reveal_addresses=False: answers go to strangers, who must not learn what internal names resolve to.
    async with SafeFetcher(limits=limits, allow_networks=settings.allow_networks, resolver=resolver,
                           verify=verify, reveal_addresses=False) as fetcher:
        yield ServiceResources(
            settings=settings,
            limits=limits,
            slots=anyio.Semaphore(settings.max_concurrency),
            fetcher=fetcher,
        )
