"""Property tests: any RIFF chunk soup, cut anywhere and split anyhow, gives the same Report, never an exception."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.make_wav_fixtures import chunk, extensible, fmt_chunk
from mediacheck import Limits, Report, check_bytes
from mediacheck._check import check_chunks
from tests.profiles.conftest import ANY_WAV

_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_FMT = st.one_of(
    st.builds(lambda tag, ch, rate, bits: fmt_chunk(tag, ch, rate, bits),
              st.sampled_from([1, 3, 6, 7, 0x11, 0x55, 0xFFFE, 0]), st.integers(0, 3),
              st.sampled_from([0, 8000, 44100, 2**32 - 1]), st.sampled_from([0, 4, 8, 12, 16, 24, 32, 64])),
    st.builds(lambda tag, ch, bits, valid: extensible(tag, ch, 8000, bits, valid),
              st.sampled_from([1, 3, 7, 6, 2]), st.integers(1, 2), st.sampled_from([8, 16, 24, 32]),
              st.integers(0, 40)),
)
_CHUNK = st.one_of(
    _FMT.map(lambda body: chunk(b"fmt ", body)),
    st.binary(max_size=300).map(lambda body: chunk(b"data", body)),
    st.tuples(st.binary(max_size=200), st.sampled_from([0, 0xFFFFFFFF, 7, 10**6])).map(
        lambda pair: b"data" + struct.pack("<I", pair[1]) + pair[0]),
    st.tuples(st.sampled_from([b"LIST", b"fact", b"JUNK", b"id3 ", b"bext", b"ds64", b"\0\0\0\0"]),
              st.binary(max_size=64)).map(lambda pair: chunk(pair[0], pair[1])),
    st.binary(max_size=12),
)
_FILE = st.tuples(st.sampled_from([b"RIFF", b"RIFX", b"RF64", b"BW64"]), st.lists(_CHUNK, max_size=8)).map(
    lambda pair: pair[0] + b"\xff\xff\xff\xffWAVE" + b"".join(pair[1]))


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[last:point])
        last = point
    return pieces


@_SETTINGS
@given(_FILE, st.integers(0, 4000), st.lists(st.integers(0, 10_000), max_size=12))
def test_any_chunk_soup_cut_and_split_reports_the_same(data: bytes, cut: int, cuts: list[int]) -> None:
    """Whatever the chunks, wherever the file ends and however it is split, the report is one and the same."""
    data = data[:cut] if cut < len(data) else data
    whole = check_bytes(data, profile=ANY_WAV, target="t")
    assert isinstance(whole, Report)
    split = check_chunks(iter(_split(data, cuts)), declared_size=len(data), profile=ANY_WAV, target="t")
    assert split.to_dict() == whole.to_dict()
    media = whole.media
    assert media is not None
    if media.duration_s is not None and whole.ok:
        assert media.frames is not None
        assert media.sample_rate


@_SETTINGS
@given(_FILE, st.integers(1, 2000), st.floats(0.001, 0.2))
def test_early_stops_do_not_depend_on_the_split(data: bytes, size: int, seconds: float) -> None:
    """With tight limits (a size or duration stop mid-file) the report still does not depend on chunk sizes."""
    limits = Limits(size_limit_bytes=size, duration_limit_s=seconds)
    whole = check_bytes(data, limits=limits, profile=ANY_WAV, target="t")
    split = check_chunks(iter(_split(data, [size // 3, size // 2 + 1, size + 5])), limits=limits,
                         declared_size=len(data), profile=ANY_WAV, target="t")
    assert split.to_dict() == whole.to_dict()
