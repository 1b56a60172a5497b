"""Fixtures for the fetch tests: real MP3s (from the shared media maker), loopback allowances, stub resolvers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from mediacheck import Report
from mediacheck._fetch import SafeFetcher
from tests.support.media import MediaFactory

# Loopback is denied by default; the tests that fetch from their own loopback servers exempt it explicitly.
LOOPBACK = ("127.0.0.0/8",)


@pytest.fixture(scope="session")
def short_mp3(make_media: MediaFactory) -> bytes:
    """A 5-second 64 kbps mono MP3 (about 40 KB): a file every default limit accepts."""
    return make_media.tone_mp3(5).read_bytes()


@pytest.fixture(scope="session")
def long_mp3(make_media: MediaFactory) -> bytes:
    """A 90-second 32 kbps mono MP3 (about 360 KB): too long for the 60-second limit."""
    return make_media.tone_mp3(90, "32k").read_bytes()


class StubResolver:
    """Plays DNS: maps host names to answer lists (one list per call, the last repeating) and counts calls."""

    def __init__(self, answers: dict[str, Sequence[Sequence[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.answers:
            raise OSError(-2, "Name or service not known")
        rounds = self.answers[host]
        return list(rounds[min(self.calls.count(host), len(rounds)) - 1])


def fetch_with(fetcher: SafeFetcher, url: str, mode: str) -> Report:
    """Check ``url`` with ``fetcher`` the sync or the async way; the async pool is closed in its own loop."""
    return fetch_all_with(fetcher, [url], mode)[0]


def fetch_all_with(fetcher: SafeFetcher, urls: Sequence[str], mode: str) -> list[Report]:
    """Check ``urls`` one after another with one ``fetcher``, sync or async (pooled connections are reused)."""
    if mode == "sync":
        return [fetcher.check(url) for url in urls]

    async def run() -> list[Report]:
        try:
            return [await fetcher.acheck(url) for url in urls]
        finally:
            await fetcher.aclose()

    return asyncio.run(run())
