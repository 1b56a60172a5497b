"""Hostile bodies (dense false headers, stray tags, junk floods) fail after a bounded amount of work."""

from __future__ import annotations

import tracemalloc
import zlib

import pytest

from fixtures import hostile
from mediacheck import Limits, check_bytes
from mediacheck._check import check_chunks
from mediacheck._inspector import Inspector
from mediacheck._limits import DEFAULT_LIMITS
from mediacheck._scan.offchain import MAX_DETOURS
from mediacheck._scan.playback import FFmpegPlayback
from mediacheck._scan.scanner import StreamScanner
from tests.core.conftest import FIXTURES, chunks

SIZE = 9_000_000
JUNK_CAP = DEFAULT_LIMITS.size_limit_bytes // 4

# Case -> (the codes it must get, the most bytes the scan may take before its verdict is certain).
EXPECTED = {
    "never-chaining headers": (["format.corrupt"], 64 * 1024),
    "never-chaining headers, no lead-in": (["format.not-mp3"], 64 * 1024),
    "3 frames then a break": (["format.corrupt"], 256 * 1024),
    "4 Info frames then a break": (["format.corrupt"], 256 * 1024),
    # Each stray byte makes FFmpeg drop the next frame: three of every four frames play, 60 s in about 80 KB.
    "4 frames then a stray byte": (["duration.too-long"], 256 * 1024),
    "Info frames only": (["format.corrupt"], 64 * 1024),
    "0xFF run": (["format.corrupt"], JUNK_CAP + 64 * 1024),
    "tiny ID3v2 tags": (["format.corrupt"], 64 * 1024),
    "broken ID3 magic": (["format.corrupt"], 64 * 1024),
    "lying APE/Lyrics3 sizes": (["format.corrupt"], 256 * 1024),
    # A Lyrics3 block is at most 1,000,014 bytes: past that its body is junk, up to the junk cap.
    "0xFF run in a Lyrics3 block": (["format.corrupt"], 1_000_014 + JUNK_CAP + 64 * 1024),
}


def _feed(data: bytes, size: int = 64 * 1024) -> tuple[Inspector, int]:
    inspector = Inspector()
    for piece in chunks(data, size):
        if inspector.feed(piece):
            break
    return inspector, inspector.bytes_fed


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_body_fails_early(case: str) -> None:
    """Each hostile 9 MB body fails with the right code, and the scan stops long before its end."""
    data = hostile.WORST_CASES[case](SIZE)
    codes, most_bytes = EXPECTED[case]
    inspector, fed = _feed(data)
    inspection = inspector.finish()
    assert [f.code for f in inspection.findings if f.severity.value == "error"] == codes
    assert fed <= most_bytes
    assert inspection.media.complete is False


def test_detours_are_capped() -> None:
    """The scanner's count of steps off the frame chain never passes its cap, however dense the false headers."""
    scanner = StreamScanner(DEFAULT_LIMITS, None)
    scanner.feed(hostile.never_chaining_headers(SIZE))
    facts = scanner.finish()
    assert facts.abandoned
    assert scanner.detours == MAX_DETOURS + 8 // 4 + 1  # the 8 lead-in frames earn a quarter detour each


def test_a_junk_flood_stops_at_a_quarter_of_the_size_budget() -> None:
    """Junk after real frames is counted up to a quarter of the size limit (corrupt is then certain), then it stops."""
    report = check_bytes(hostile.ff_run(SIZE))
    assert report.codes() == ["format.corrupt"]
    assert f"{JUNK_CAP:,} bytes" in report.errors[0].message


def test_a_tag_full_of_0xff_is_searched_and_counted() -> None:
    """A mid-stream tag claiming 256 MB is searched for frames to its end, found to hold none, and counted as tag
    (the eight lead-in frames play 0.19 s: too short to pass)."""
    data = hostile.ff_run_in_a_tag(SIZE)
    report = check_bytes(data)
    assert report.codes() == ["duration.too-short", "size.tags-large"]
    assert report.media is not None
    assert report.media.tags is not None
    assert report.media.tags["by_kind"] == {"id3v2": len(data) - len(hostile.LEAD_IN)}


def test_audio_inside_a_mid_stream_tag_claim_is_counted() -> None:
    """Frames inside a mid-stream tag's claimed size are audio (ffmpeg plays them), so a lying tag hides no time."""
    body = hostile.FRAME * 1000
    lying = b"ID3\x04\x00\x00" + bytes((10**6 >> s) & 0x7F for s in (21, 14, 7, 0))
    report = check_bytes(hostile.LEAD_IN + lying + body)
    assert report.media is not None
    assert report.media.frames == 8 + 1000


def test_a_second_stream_of_another_rate_is_corrupt() -> None:
    """Frames of another sample rate chained after the first stream (joined encodes) fail as corrupt, not junk."""
    other = b"\xff\xf3\x18\xc4" + bytes(32)  # MPEG-2, 8 kbps, 16 kHz, mono: 36 bytes a frame
    report = check_bytes(hostile.FRAME * 100 + other * 100)
    assert report.codes() == ["format.corrupt"]
    assert "sample rate" in report.errors[0].message


def test_a_huge_id3_size_costs_one_skip() -> None:
    """An ID3v2 tag claiming 256 MB is skipped as it streams: the file is called an ID3 tag with no audio."""
    report = check_bytes(hostile.huge_id3_size(SIZE))
    assert report.codes() == ["format.corrupt", "size.tags-large"]
    assert report.media is not None
    assert report.media.format == "id3"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_verdicts_do_not_depend_on_chunking(case: str) -> None:
    """The early stop falls at the same byte of the stream for a 7-byte feed as for one whole feed."""
    data = hostile.WORST_CASES[case](200_000)
    whole = check_bytes(data, target="x")
    chunked = check_chunks(chunks(data, 7), declared_size=len(data), target="x")
    assert chunked.to_dict() == whole.to_dict()


def test_a_clean_file_far_below_the_cap() -> None:
    """A clean stream with a few mid-stream tags and one junk run takes a handful of detours, not hundreds."""
    scanner = StreamScanner(DEFAULT_LIMITS, None)
    scanner.feed((FIXTURES / "tagged-id3v2-ape-lyrics3-id3v1.mp3").read_bytes())
    scanner.finish()
    assert 0 < scanner.detours < 10


def test_a_compressed_tag_frame_is_never_inflated() -> None:
    """A zlib-compressed ID3 frame that would inflate to 50 MB is left unread: the check stays small in memory."""
    payload = zlib.compress(b"\x00" + b"A" * 50_000_000, 9)
    body = (50_000_001).to_bytes(4, "big") + payload
    frame = b"TIT2" + len(body).to_bytes(4, "big") + b"\x00\x80" + body  # v2.3 flag 0x80: compressed
    tag = b"ID3\x03\x00\x00" + bytes((len(frame) >> s) & 0x7F for s in (21, 14, 7, 0)) + frame
    tracemalloc.start()
    try:
        report = check_bytes(tag + hostile.LEAD_IN * 50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.media is not None
    assert report.media.format == "mp3"
    assert peak < 5_000_000


def test_a_long_stream_joined_from_many_parts_is_not_given_up() -> None:
    """1,200 parts of ten frames, each after an Info frame (limits lifted), earn their detours: all frames count."""
    data = hostile.LEAD_IN + (hostile.INFO_FRAME + hostile.FRAME * 10) * 1200
    report = check_bytes(data, limits=Limits(size_limit_bytes=10**9, duration_limit_s=10.0**6))
    assert report.media is not None
    assert report.media.frames == 8 + 12_000
    assert report.ok


def test_a_flood_of_tiny_tags_at_the_start_is_given_up_on() -> None:
    """Empty ID3v2 tags back to back from the first byte (no audio before them) stop the scan within the detour
    budget: a bounded amount of work, not one step per tag through 9 MB."""
    data = b"ID3\x03\x00\x00\x00\x00\x00\x00" * (SIZE // 10)
    inspector, fed = _feed(data)
    assert fed <= 64 * 1024
    assert inspector.finish().media.format != "mp3"


def _duration_stop_work(data: bytes, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times a scan of ``data`` (limits lifted) asks how long FFmpeg plays some count of frames."""
    calls = 0
    played_samples = FFmpegPlayback.played_samples

    def counted(self: FFmpegPlayback, frames: int, spf: int, file_bytes: int | None) -> int:
        nonlocal calls
        calls += 1
        return played_samples(self, frames, spf, file_bytes)

    with monkeypatch.context() as patch:
        patch.setattr(FFmpegPlayback, "played_samples", counted)
        report = check_bytes(data, limits=Limits(size_limit_bytes=10**12, duration_limit_s=1e9))
    assert report.media is not None
    assert report.media.complete is True
    return calls


def test_the_duration_stop_costs_the_same_for_every_dropped_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame FFmpeg drops moves the duration stop; finding it again costs a few steps, not one per frame
    dropped so far: twice the "4 frames then a stray byte" body is twice the work, not four times."""
    small = _duration_stop_work(hostile.four_frames_then_stray_byte(50_000), monkeypatch)
    large = _duration_stop_work(hostile.four_frames_then_stray_byte(100_000), monkeypatch)
    assert large <= 2.2 * small
