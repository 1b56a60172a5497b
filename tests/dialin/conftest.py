"""Fixtures of the dial-in tests: a real short MP3 made by ffmpeg, and a stub resolver for public host names."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from tests.support.media import MediaFactory

# TEST-NET addresses are refused by the guard, so a "public" answer must be a real public address; it is
# only ever vetted, never connected to (nothing in these tests sends a request to it).
PUBLIC_ADDRESS = "93.184.215.14"
LOOPBACK = ("127.0.0.0/8",)


@pytest.fixture(scope="session")
def short_mp3(make_media: MediaFactory) -> bytes:
    """A 2-second mono 32 kbps MP3: passes every hold-music rule."""
    return make_media.tone_mp3(2, "32k").read_bytes()


StubResolver = Callable[[str, int], Sequence[str]]


@pytest.fixture
def public_resolver() -> tuple[StubResolver, list[str]]:
    """A resolver answering PUBLIC_ADDRESS for any name, and the list of names it was asked about."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return [PUBLIC_ADDRESS]

    return resolve, asked
