"""Guarded fetching of hold-music URLs (PLACEHOLDER until the safe-fetch issue)."""

from __future__ import annotations

from collections.abc import Iterable

from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._report import Report


def check_url(url: str, *, limits: Limits = DEFAULT_LIMITS, allow_networks: Iterable[str] = (),
              deep: bool = False) -> Report:
    """Fetch a URL through the network guard and check what it serves."""
    raise NotImplementedError("safe fetch is not built yet")


async def acheck_url(url: str, *, limits: Limits = DEFAULT_LIMITS, allow_networks: Iterable[str] = (),
                     deep: bool = False) -> Report:
    """Fetch a URL through the network guard and check what it serves, without blocking the event loop."""
    raise NotImplementedError("safe fetch is not built yet")
