"""Property tests: any bytes, mutated files and arbitrary chunk splits always give a Report, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures import hostile
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
# Hostile shapes: short chains, lying tag sizes, tags back to back, a frame chain inside a tag's claim, a second
# stream of another rate after the first.
SEEDS += [hostile.three_frames_then_break(12_000), hostile.lying_ape_and_lyrics(12_000),
          hostile.tiny_id3_tags(3_000),
          hostile.LEAD_IN + b"ID3\x04\x00\x00\x00\x00\x10\x00" + hostile.FRAME * 300,
          hostile.FRAME * 50 + (b"\xff\xf3\x18\xc4" + bytes(32)) * 50]

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


# Structure worth inserting: tag magics (whole or as they look cut), frame headers, an Info frame.
_MAGICS = [b"ID3\x04\x00\x00\x00\x00\x01\x00", b"TAG", b"APETAGEX", b"APETAGE", b"LYRICSBEGIN",
           b"\xff\xf3\x14\xc4", b"\xff\xfb\x90\x44", hostile.INFO_FRAME]


@_SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.integers(min_value=0), max_size=40),
       st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=32)), max_size=4),
       st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(_MAGICS)), max_size=4))
def test_any_chunk_split_gives_the_same_report(seed: bytes, cuts: list[int], edits: list[tuple[int, bytes]],
                                               inserts: list[tuple[int, bytes]]) -> None:
    """However the (possibly damaged) bytes are split into chunks, the report equals the whole-file one."""
    data = bytearray(seed)
    for at, blob in edits:
        at %= len(data)
        data[at:at + len(blob)] = blob
    for at, blob in inserts:
        at %= len(data) + 1
        data[at:at] = blob
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
