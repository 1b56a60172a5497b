"""A scan that stops for duration reports both durations already at least the limit, whatever the chunking."""

from __future__ import annotations

import pytest

from mediacheck import Limits, check_bytes, check_file
from mediacheck._check import check_chunks
from mediacheck._inspector import Inspector
from tests.core.conftest import FIXTURES, chunks

TOO_LONG = (FIXTURES / "too-long-75s.mp3").read_bytes()


def _with_gapless(data: bytes, delay: int, padding: int) -> bytes:
    at = data.index(b"Lavc")
    return data[:at + 21] + (delay << 12 | padding).to_bytes(3, "big") + data[at + 24:]


def test_a_75_second_file_reads_at_least_60_seconds_everywhere() -> None:
    """The stop comes once the playback (not only the stream) has reached 60 s: both readings and the message agree."""
    report = check_file(FIXTURES / "too-long-75s.mp3")
    assert report.media is not None
    assert report.media.complete is False
    assert report.media.duration_s is not None
    assert report.media.stream_duration_s is not None
    assert 60.0 <= report.media.duration_s <= report.media.stream_duration_s
    assert report.errors[0].code == "duration.too-long"
    assert report.errors[0].message == (
        f"It plays for at least {report.media.duration_s:.3f} s (all frames: at least "
        f"{report.media.stream_duration_s:.3f} s; the scan stopped once that was certain); it must be less than 60 s.")


@pytest.mark.parametrize("limit", [1.5, 10.0, 30.0, 59.99, 60.0, 74.0])
@pytest.mark.parametrize("delay", [576, 4095])
def test_every_limit_is_crossed_by_both_durations(limit: float, delay: int) -> None:
    """Under any limit the file exceeds, and however large the encoder delay and padding the gapless trim removes,
    an early stop leaves both durations at or past the limit, and only a few frames past it."""
    data = _with_gapless(TOO_LONG, delay, 4095)
    media = check_bytes(data, limits=Limits(duration_limit_s=limit)).media
    assert media is not None
    assert media.complete is False
    assert media.duration_s is not None
    assert media.stream_duration_s is not None
    assert limit <= media.duration_s <= media.stream_duration_s
    assert media.stream_duration_s - limit < 0.5  # 576-sample frames at 22.05 kHz: the trims cost ~15 of them


@pytest.mark.parametrize("size", [1, 7, 4096, 65536])
def test_the_stop_is_the_same_in_any_chunking(size: int) -> None:
    """The frames counted at the stop do not depend on how the bytes arrive."""
    whole = check_bytes(TOO_LONG, target="t").to_dict()
    assert check_chunks(chunks(TOO_LONG, size), declared_size=len(TOO_LONG), target="t").to_dict() == whole


def test_the_scan_still_stops_early() -> None:
    """Scanning on to the playback bound costs a few frames, not the rest of the file."""
    inspector = Inspector()
    for piece in chunks(TOO_LONG, 4096):
        if inspector.feed(piece):
            break
    assert inspector.bytes_fed < len(TOO_LONG) * 0.85
