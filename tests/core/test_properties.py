"""Property tests: any bytes, mutated files and arbitrary chunk splits always give a Report, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediacheck import Limits, Report, check_bytes
from mediacheck._check import check_chunks
from tests.core.conftest import FIXTURES

SEEDS = [(FIXTURES / name).read_bytes() for name in (
    "cbr-noxing-5s.mp3", "mpeg25-8k-mono-8s.mp3", "free-format-4s.mp3", "junk-mid-stream.mp3",
    "not-mp3-adts.aac", "wrong-layer-mp2.mp3",
)]
# The tagged file carries a 95 KB picture; its first and last bytes hold the interesting structure.
_TAGGED = (FIXTURES / "tagged-id3v2-ape-lyrics3-id3v1.mp3").read_bytes()
SEEDS.append(_TAGGED[:96_000] + _TAGGED[-1_000:])

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[last:point])
        last = point
    return pieces


@_SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_give_a_report(data: bytes) -> None:
    """Random bytes of any length produce a Report whose size is the input's, never an exception."""
    report = check_bytes(data)
    assert isinstance(report, Report)
    assert report.media is not None
    assert report.media.bytes == len(data)
    report.to_dict()


@_SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=64)), max_size=8),
       st.integers(min_value=0))
def test_mutated_media_give_a_report(seed: bytes, edits: list[tuple[int, bytes]], cut: int) -> None:
    """Real files with bytes overwritten, inserted and cut short still produce a Report."""
    data = bytearray(seed)
    for at, blob in edits:
        at %= len(data) + 1
        if len(blob) % 2:
            data[at:at + len(blob)] = blob
        else:
            data[at:at] = blob
    data = data[: len(data) - cut % 4096]
    report = check_bytes(bytes(data))
    assert report.media is not None
    report.to_dict()


@_SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.integers(min_value=0), max_size=40),
       st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=32)), max_size=4))
def test_any_chunk_split_gives_the_same_report(seed: bytes, cuts: list[int], edits: list[tuple[int, bytes]]) -> None:
    """However the (possibly damaged) bytes are split into chunks, the report equals the whole-file one."""
    data = bytearray(seed)
    for at, blob in edits:
        at %= len(data)
        data[at:at + len(blob)] = blob
    whole = check_bytes(bytes(data), target="t")
    chunked = check_chunks(iter(_split(bytes(data), cuts)), declared_size=len(data), target="t")
    assert chunked.to_dict() == whole.to_dict()


@_SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.integers(min_value=0), max_size=40),
       st.integers(min_value=1, max_value=120_000))
def test_a_size_stop_is_the_same_for_any_chunk_split(seed: bytes, cuts: list[int], limit: int) -> None:
    """Stopping at the size limit scans exactly the bytes before it, so every split gives the same report."""
    limits = Limits(size_limit_bytes=limit)
    whole = check_bytes(seed, limits=limits, target="t")
    chunked = check_chunks(iter(_split(seed, cuts)), limits=limits, declared_size=len(seed), target="t")
    assert chunked.to_dict() == whole.to_dict()
    assert ("size.too-large" in whole.codes()) is (len(seed) >= limit)
