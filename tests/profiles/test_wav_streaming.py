"""The WAV scan streams: any chunking gives the same report, memory stays flat, reading stops at the verdict."""

from __future__ import annotations

import struct
import tracemalloc
from collections.abc import Iterator

import pytest

from fixtures.make_wav_fixtures import chunk, fmt_chunk, riff
from mediacheck import Limits, check_bytes
from mediacheck._check import check_chunks
from mediacheck._profiles import CONNECT
from tests.core.conftest import chunks
from tests.profiles.conftest import ANY_WAV, Truth

pytestmark = pytest.mark.ffmpeg


def test_chunk_size_does_not_change_the_report(wav_corpus: list[Truth]) -> None:
    """Every corpus file reports the same fed whole, in 7 B, 4 KiB and 64 KiB chunks (and byte by byte when small)."""
    for truth in wav_corpus:
        data = truth.case.path.read_bytes()
        whole = check_bytes(data, target="t", profile=ANY_WAV).to_dict()
        sizes = (1, 7, 4096, 65536) if len(data) < 16_384 else (7, 4096, 65536)
        for size in sizes:
            chunked = check_chunks(chunks(data, size), declared_size=len(data), target="t", profile=ANY_WAV)
            assert chunked.to_dict() == whole, (truth.case.name, size)


def _streamed_wav(seconds: float, rate: int = 8000) -> Iterator[bytes]:
    """A µ-law mono WAV as a server would stream it: an unsized header, then 8 KiB pieces of data."""
    yield riff(chunk(b"fmt ", fmt_chunk(7, 1, rate, 8)), size=0xFFFFFFFF) + b"data\xff\xff\xff\xff"
    left = int(seconds * rate)
    piece = bytes(range(256)) * 32
    while left > 0:
        yield piece[:left]
        left -= len(piece)


def test_reading_stops_once_the_duration_limit_is_certain() -> None:
    """A 10-minute stream under connect (less than 5 min) is read only to 300 s of audio, and says so."""
    pulled = 0

    def counted() -> Iterator[bytes]:
        nonlocal pulled
        for piece in _streamed_wav(600):
            pulled += len(piece)
            yield piece

    report = check_chunks(counted(), profile=CONNECT)
    assert report.codes() == ["duration.too-long", "format.wav-header"]
    assert report.media is not None
    assert report.media.complete is False
    assert report.media.frames == 300 * 8000  # counted to the limit's last sample however the stream was cut
    assert 300 * 8000 <= pulled < 300 * 8000 + 8192 + 100
    assert "more than 300.000 s" in report.errors[0].message


@pytest.mark.parametrize("size", [1, 7, 4096, 65536])
def test_an_early_stop_reads_the_same_however_chunked(size: int) -> None:
    """The report of a stream stopped at the duration limit does not depend on the chunk size."""
    data = b"".join(_streamed_wav(2.5, rate=8000))
    whole = check_bytes(data, limits=Limits(duration_limit_s=1.0), profile=ANY_WAV, target="t").to_dict()
    chunked = check_chunks(chunks(data, size), limits=Limits(duration_limit_s=1.0), profile=ANY_WAV, target="t",
                           declared_size=len(data))
    assert chunked.to_dict() == whole
    assert whole["media"]["frames"] == 8000


def test_reading_stops_at_the_size_limit() -> None:
    """Past the size limit nothing more is read, however the WAV continues."""
    pulled = 0

    def counted() -> Iterator[bytes]:
        nonlocal pulled
        for piece in _streamed_wav(600):
            pulled += len(piece)
            yield piece

    report = check_chunks(counted(), limits=Limits(size_limit_bytes=100_000, duration_limit_s=1e6), profile=ANY_WAV)
    assert "size.too-large" in report.codes()
    assert pulled < 100_000 + 8192


def _peak(seconds: float) -> int:
    tracemalloc.start()
    try:
        check_chunks(_streamed_wav(seconds), limits=Limits(size_limit_bytes=10**9, duration_limit_s=1e6),
                     profile=ANY_WAV)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file() -> None:
    """Scanning 1,500 s of WAV (12 MB) peaks no higher than 150 s (1.2 MB): the data is counted, never kept."""
    small, large = _peak(150), _peak(1500)
    assert large < small * 1.5 + 16_384


def test_data_size_field_counts_in_exact_bytes() -> None:
    """The data chunk's size field is read little-endian for RIFF and big-endian for RIFX (same audio, same length)."""
    body = bytes(6000)
    little = riff(chunk(b"fmt ", fmt_chunk(1, 1, 8000, 16)), chunk(b"data", body))
    big = (b"RIFX" + struct.pack(">I", 4 + 24 + 8 + len(body)) + b"WAVE"
           + chunk(b"fmt ", fmt_chunk(1, 1, 8000, 16, endian=">"), endian=">") + chunk(b"data", body, endian=">"))
    frames = [check_bytes(data, profile=ANY_WAV).media.frames for data in (little, big)]  # type: ignore[union-attr]
    assert frames == [3000, 3000]
