"""A declared size (a Content-Length, a size argument) smaller than the bytes fed never hides the bytes fed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mediacheck import Limits, Report
from mediacheck._check import acheck_chunks, check_chunks
from tests.core.conftest import FIXTURES, chunks
from tests.profiles.conftest import ANY_WAV

# Small limits keep the fixtures small: a 10 s MP3 (161 KB) and a 1 s WAV (88 KB) are both over them.
_MP3 = FIXTURES / "cbr-128k-stereo-10s.mp3"
_WAV = FIXTURES / "wav" / "pcm16-22k-stereo-1s.wav"
_LIMITS = Limits(size_limit_bytes=50_000)


def _size_errors(report: Report) -> list[str]:
    return [f.code for f in report.errors if f.code.startswith("size.")]


@pytest.mark.parametrize("declared", [0, 1000, 49_999])
@pytest.mark.parametrize("piece", [4096, 1 << 20])
def test_mp3_over_the_limit_fails_whatever_size_was_declared(declared: int, piece: int) -> None:
    """An MP3 body over the size limit fails with size.too-large though its declared size is under it."""
    data = _MP3.read_bytes()
    report = check_chunks(chunks(data, piece), limits=_LIMITS, declared_size=declared)
    assert _size_errors(report) == ["size.too-large"]
    assert report.media is not None
    assert report.media.bytes >= _LIMITS.size_limit_bytes


def test_async_chunks_judge_the_bytes_fed_too() -> None:
    """The async twin judges max(declared, fed) as well."""
    data = _MP3.read_bytes()

    async def body() -> AsyncIterator[bytes]:
        for piece in chunks(data, 4096):
            yield piece

    report = asyncio.run(acheck_chunks(body(), limits=_LIMITS, declared_size=1000))
    assert _size_errors(report) == ["size.too-large"]


@pytest.mark.parametrize("declared", [0, 1000])
def test_wav_over_the_limit_fails_whatever_size_was_declared(declared: int) -> None:
    """A WAV body over the size limit fails with size.too-large though its declared size is under it."""
    data = _WAV.read_bytes()
    report = check_chunks(chunks(data, 4096), limits=_LIMITS, declared_size=declared, profile=ANY_WAV)
    assert _size_errors(report) == ["size.too-large"]
    assert report.media is not None
    assert report.media.bytes >= _LIMITS.size_limit_bytes


def test_a_larger_declared_size_still_counts() -> None:
    """A declared size above the bytes fed (a body cut short) is still the size judged."""
    data = _MP3.read_bytes()[:10_000]
    report = check_chunks([data], limits=_LIMITS, declared_size=60_000)
    assert _size_errors(report) == ["size.too-large"]
