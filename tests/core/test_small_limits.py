"""A small size limit (``--max-bytes``, ``Limits(size_limit_bytes=...)``) never makes the scan give up on junk early.

The scan stops once junk between frames is certain to make the file corrupt; that cap follows the size limit,
but must never fall below the junk the rules need before calling a file corrupt (``CORRUPT_JUNK_MIN_BYTES``):
below it the scan stopped on junk the rules then called a mere blemish, and never saw the frames after it.
"""

from __future__ import annotations

import pytest

from mediacheck import Limits, check_bytes
from mediacheck._rules import CORRUPT_JUNK_MIN_BYTES
from tests.core.conftest import FIXTURES

# 60,452 bytes, whose frames hold 60.19 s (too long); half of them hold about 30 s.
_EDGE = FIXTURES / "edge-playback-59.98s.mp3"


def _with_junk_in_the_middle(junk_bytes: int) -> bytes:
    data = _EDGE.read_bytes()
    mid = len(data) // 2
    return data[:mid] + (b"junk" * junk_bytes)[:junk_bytes] + data[mid:]


@pytest.mark.parametrize("size_limit", [100_000, 120_000])
def test_frames_after_junk_under_the_corrupt_minimum_are_still_counted(size_limit: int) -> None:
    """30 KB of junk (a quarter of a small limit, yet under the rules' minimum) does not hide the 30 s after it."""
    body = _with_junk_in_the_middle(30_000)
    assert size_limit // 4 <= 30_000 < CORRUPT_JUNK_MIN_BYTES
    report = check_bytes(body, limits=Limits(size_limit_bytes=size_limit))
    assert [f.code for f in report.errors] == ["duration.too-long"]
    assert report.media is not None
    assert report.media.complete is True


def test_junk_that_stops_the_scan_is_corrupt_under_a_small_limit() -> None:
    """Junk past the cap stops the scan only where the rules then call the file corrupt, never a pass."""
    body = _with_junk_in_the_middle(70_000)
    report = check_bytes(body, limits=Limits(size_limit_bytes=200_000))
    assert "format.corrupt" in [f.code for f in report.errors]
