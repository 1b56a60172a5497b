"""The resources every request shares, built once per app in the lifespan: limits, check slots, the URL checker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio

from mediacheck import Limits, Report
from service.settings import Settings

UrlChecker = Callable[[str, Limits], Awaitable[Report]]


@dataclass(frozen=True, slots=True)
class ServiceResources:
    """Shared by all requests of one app: its settings, default limits, check slots and URL checker."""

    settings: Settings
    limits: Limits
    slots: anyio.Semaphore
    check_url: UrlChecker


@asynccontextmanager
async def open_resources(settings: Settings, *, resolver: Any = None) -> AsyncIterator[ServiceResources]:
    """Build the shared resources and close them when the app stops."""
    from mediacheck import acheck_url

    allow_networks = tuple(settings.allow_networks)

    async def check_url(url: str, limits: Limits) -> Report:
        return await acheck_url(url, limits=limits, allow_networks=allow_networks)

    yield ServiceResources(
        settings=settings,
        limits=settings.default_limits(),
        slots=anyio.Semaphore(settings.max_concurrency),
        check_url=check_url,
    )
