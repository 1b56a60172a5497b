"""The resources every request shares, built once per app in the lifespan: limits, slots, the fetcher.

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
from mediacheck.service.client_limits import ClientLimiter, InProcessLeaseStore, LeaseStore
from mediacheck.service.settings import Settings


@dataclass(frozen=True, slots=True)
class ServiceResources:
    """Shared by all requests of one app: its settings, default limits, slots, per-client limits and fetcher."""

    settings: Settings
    limits: Limits
    slots: anyio.Semaphore
    fetcher: SafeFetcher
    upload_slots: anyio.Semaphore
    client_limits: ClientLimiter

    async def check_url(self, url: str, limits: Limits, profile: str | None = None) -> Report:
        """Fetch ``url`` through the guard and check it (a refused or failed fetch is a failing Report)."""
        return await self.fetcher.acheck(url, limits=limits, profile=profile)


@asynccontextmanager
async def open_resources(settings: Settings, *, resolver: Resolver | None = None,
                         verify: ssl.SSLContext | None = None) -> AsyncIterator[ServiceResources]:
    """Build the shared resources; close the fetcher's pool and the lease store when the app stops."""
    limits = settings.default_limits()
    client_limits = ClientLimiter(lease_store_for(settings), trusted_proxies=settings.trusted_proxies)
    try:
        # reveal_addresses=False: answers go to strangers, who must not learn what internal names resolve to.
        async with SafeFetcher(limits=limits, allow_networks=settings.allow_networks, resolver=resolver,
                               verify=verify, reveal_addresses=False) as fetcher:
            yield ServiceResources(
                settings=settings,
                limits=limits,
                slots=anyio.Semaphore(settings.max_concurrency),
                fetcher=fetcher,
                upload_slots=anyio.Semaphore(settings.max_uploads),
                client_limits=client_limits,
            )
    finally:
        await client_limits.aclose()


def lease_store_for(settings: Settings) -> LeaseStore:
    """Redis (falling back to this process while it is down) when MEDIACHECK_REDIS_URL is set, else this process."""
    if settings.redis_url is None:
        return InProcessLeaseStore()
    try:
        from mediacheck.service.redis_leases import RedisLeaseStore, SharedLeaseStore
    except ImportError as exc:
        raise RuntimeError("MEDIACHECK_REDIS_URL needs the Redis client: pip install 'mediacheck[redis]'") from exc
    return SharedLeaseStore(RedisLeaseStore(settings.redis_url, lease_ttl_s=settings.lease_ttl_s()))
