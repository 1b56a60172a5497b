"""The frame scanner on crafted streams: mid-stream tags, CRC frames, huge tags, limits, memory and bad paths."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediacheck import Limits, check_bytes, check_file
from mediacheck._check import check_chunks
from mediacheck._inspector import Inspector
from tests.core.conftest import FIXTURES, chunks

NOXING = (FIXTURES / "cbr-noxing-5s.mp3").read_bytes()
_ID3_END = 10 + ((NOXING[6] << 21) | (NOXING[7] << 14) | (NOXING[8] << 7) | NOXING[9])
FRAMES = NOXING[_ID3_END:]  # 5 s of 96 kbps frames, no tags, no Xing


def _frame_count(data: bytes) -> int:
    media = check_bytes(data).media
    assert media is not None
    assert media.frames is not None
    return media.frames


FRAME_COUNT = _frame_count(FRAMES)


def id3v2(body_size: int, *, footer: bool = False) -> bytes:
    """An ID3v2.4 tag of ``body_size`` zero bytes (padding), with a footer if asked."""
    size = bytes((body_size >> s) & 0x7F for s in (21, 14, 7, 0))
    flags = 0x10 if footer else 0
    tag = b"ID3\x04\x00" + bytes([flags]) + size + bytes(body_size)
    return tag + (b"3DI\x04\x00" + bytes([flags]) + size if footer else b"")


def first_frame_length() -> int:
    """The length of the first frame in FRAMES (all are 96 kbps at 44.1 kHz: 313 or 314 bytes)."""
    return 144 * 96_000 // 44_100 + ((FRAMES[2] >> 1) & 1)


def test_mid_stream_id3v2_with_footer_is_a_tag_not_junk() -> None:
    """An ID3v2.4 tag with a footer between two frames is skipped and counted; every frame is still found."""
    cut = first_frame_length()
    data = FRAMES[:cut] + id3v2(500, footer=True) + FRAMES[cut:]
    report = check_bytes(data)
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.media.tags is not None
    assert report.media.tags["by_kind"] == {"id3v2": 10 + 500 + 10}
    assert "format.junk" not in report.codes()


def test_crc_protected_frames_are_scanned() -> None:
    """Frames whose protection bit says a CRC follows keep their length: the same frames are counted."""
    data = bytearray(FRAMES)
    pos = 0
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        data[pos + 1] &= 0xFE
        pos += 144 * 96_000 // 44_100 + ((data[pos + 2] >> 1) & 1)
    report = check_bytes(bytes(data))
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.ok


def test_a_tag_bigger_than_the_capture_cap_is_counted_not_buffered() -> None:
    """A 3 MB ID3v2 tag is skipped in constant memory, counted, and warned about as eating the size budget."""
    data = id3v2(3_000_000) + FRAMES
    tracemalloc.start()
    try:
        inspector = Inspector()
        for piece in chunks(data, 64 * 1024):
            inspector.feed(piece)
            del piece
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    inspection = inspector.finish()
    assert inspection.media.tags is not None
    assert inspection.media.tags["bytes"] == 3_000_010
    assert "size.tags-large" in [f.code for f in inspection.findings]
    assert peak < 1_000_000


def _endless(frames: bytes, total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        for piece in chunks(frames, 65536):
            yield piece
            sent += len(piece)


def _peak_for(total: int) -> int:
    limits = Limits(size_limit_bytes=10**12, duration_limit_s=10.0**7)
    tracemalloc.start()
    try:
        report = check_chunks(_endless(FRAMES, total), limits=limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.media is not None
    assert report.media.bytes >= total
    return peak


def test_memory_does_not_grow_with_the_stream() -> None:
    """Scanning 12 MB of frames peaks at about the memory of scanning 1.2 MB (one chunk plus a small carry)."""
    small = _peak_for(1_200_000)
    large = _peak_for(12_000_000)
    assert large < small * 1.5 + 64 * 1024
    assert large < 1_000_000


def test_size_limit_stops_the_scan_and_fails() -> None:
    """With a 20,000-byte limit, a 60 KB file fails on size, and a chunked feed stops at the limit."""
    limits = Limits(size_limit_bytes=20_000)
    inspector = Inspector(limits)
    fed = 0
    for piece in chunks(NOXING, 4096):
        fed += len(piece)
        if inspector.feed(piece):
            break
    assert 20_000 <= fed < 20_000 + 4096
    inspection = inspector.finish()
    assert inspection.media.complete is False
    assert "size.too-large" in [f.code for f in inspection.findings]


def test_size_equal_to_the_limit_fails() -> None:
    """A file exactly as large as the limit is not "less than" it."""
    report = check_bytes(NOXING, limits=Limits(size_limit_bytes=len(NOXING)))
    assert "size.too-large" in report.codes()
    assert "size.too-large" not in check_bytes(NOXING, limits=Limits(size_limit_bytes=len(NOXING) + 1)).codes()


def test_duration_equal_to_the_limit_fails() -> None:
    """A stream whose frames last exactly the limit fails; a hair longer limit passes."""
    media = check_bytes(NOXING).media
    assert media is not None
    assert media.stream_duration_s is not None
    exact = FRAME_COUNT * 1152 / 44100
    assert "duration.too-long" in check_bytes(NOXING, limits=Limits(duration_limit_s=exact)).codes()
    assert "duration.too-long" not in check_bytes(NOXING, limits=Limits(duration_limit_s=exact + 1e-6)).codes()


def test_non_mp3_first_bytes_stop_at_once() -> None:
    """An HTML page is judged from its first bytes: the inspector says stop before the rest arrives."""
    inspector = Inspector()
    page = (FIXTURES / "share-page.html").read_bytes() * 20
    assert inspector.feed(page[:600]) is True
    assert inspector.finish().media.format == "html"


def test_adts_aac_is_not_taken_for_mpeg_audio() -> None:
    """AAC's ADTS sync word (0xFFF1) does not start an MPEG frame scan, even after an ID3 tag."""
    report = check_bytes(id3v2(100) + (FIXTURES / "not-mp3-adts.aac").read_bytes())
    assert report.media is not None
    assert report.media.format == "aac"


def test_mp3_in_riff_is_named_as_such() -> None:
    """MP3 audio inside a WAV container is called out as wrapped, not passed as MP3."""
    report = check_file(FIXTURES / "not-mp3-mp3-in-riff.wav")
    assert report.errors[0].code == "format.not-mp3"
    assert "wrapped in a RIFF/WAVE container" in report.errors[0].message


def test_s3_error_body_names_its_code() -> None:
    """An S3 error document is named with its error code, so the fix (permissions) is obvious."""
    report = check_file(FIXTURES / "s3-access-denied.xml")
    assert "AccessDenied" in report.errors[0].message


class TestBadPaths:
    """Paths that cannot be read give a failing report with an access finding, never a traceback."""

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing path fails with access.not-found."""
        assert check_file(tmp_path / "nope.mp3").codes() == ["access.not-found"]

    def test_directory(self, tmp_path: Path) -> None:
        """A directory fails with access.unreadable."""
        assert check_file(tmp_path).codes() == ["access.unreadable"]

    def test_unopenable_path(self, tmp_path: Path) -> None:
        """A path that exists but cannot be opened as a file (a Unix socket) fails with access.unreadable.

        A mode-000 file would be the obvious case, but CI runs as root, who reads any file; open() on a
        socket fails (ENXIO) for everyone and takes the same path as a permission error.
        """
        target = tmp_path / "hold.mp3"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(str(target))
            report = check_file(target)
        assert report.codes() == ["access.unreadable"]
        assert not report.ok
        assert report.findings[0].hint

    @pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
    def test_read_error_midway(self) -> None:
        """A file that opens but fails to read (/proc/self/mem answers EIO) fails with access.unreadable."""
        assert check_file("/proc/self/mem").codes() == ["access.unreadable"]


def test_oversize_cover_art_fails_on_size_and_is_read_from_the_tag_prefix(tmp_path: Path) -> None:
    """A 10.5 MB cover picture makes a 5 s file too large; the tag's title and the picture still get reported."""
    from mutagen.id3 import APIC, ID3, TIT2

    target = tmp_path / "big-cover.mp3"
    target.write_bytes(NOXING)
    tag = ID3()
    tag.add(TIT2(encoding=3, text="Big cover"))
    tag.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=b"\x89PNG\r\n\x1a\n" + bytes(10_500_000)))
    tag.save(str(target))
    report = check_file(target)
    assert report.codes() == ["size.too-large", "size.tags-large"]
    assert "size.tags-large" in report.codes()
    assert report.media is not None
    assert report.media.tags is not None
    assert report.media.tags["title"] == "Big cover"
    assert report.media.tags["pictures"] == [{"mime": "image/png", "type": 3, "bytes": 10_500_008}]


@pytest.mark.parametrize("filler", [b"\xff", b"\x00", b"\xff\xfb"])
def test_a_flood_of_junk_after_audio_is_counted_and_called_corrupt(filler: bytes) -> None:
    """A megabyte of sync-like filler after real frames is all junk: every frame is still found, the file is corrupt."""
    junk = filler * (1_000_000 // len(filler))
    report = check_bytes(FRAMES + junk)
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.codes()[0] == "format.corrupt"
    assert f"{len(junk):,} bytes" in report.errors[0].message


def test_layer_one_frames_are_the_wrong_layer() -> None:
    """A chain of MPEG-1 Layer I frames (32 kbps, 44.1 kHz: 32 bytes each) is named MP1, the wrong layer."""
    frame = b"\xff\xff\x10\xc0" + bytes(28)
    report = check_bytes(frame * 50)
    assert report.media is not None
    assert report.media.format == "mp1"
    assert report.media.layer == 1
    assert report.codes() == ["format.wrong-layer"]
    assert "Layer I audio" in report.errors[0].message


def test_reserved_header_values_never_lock() -> None:
    """Headers with the reserved version, layer, bitrate 15 or sample rate 3 do not start a stream."""
    for header in (b"\xff\xeb\x90\x00", b"\xff\xe1\x90\x00", b"\xff\xfb\xf0\x00", b"\xff\xfb\x9c\x00"):
        report = check_bytes((header + bytes(413)) * 20)
        assert report.media is not None
        assert report.media.format == "unknown", header


def test_checking_bytes_in_memory_adds_little_memory() -> None:
    """check_bytes on a 12 MB buffer scans it in slices: the check itself allocates well under a megabyte."""
    data = FRAMES * (12_000_000 // len(FRAMES))
    limits = Limits(size_limit_bytes=10**9, duration_limit_s=10.0**7)
    tracemalloc.start()
    try:
        report = check_bytes(data, limits=limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT * (12_000_000 // len(FRAMES))
    assert peak < 1_000_000


def test_an_apev2_tag_before_the_audio_is_a_tag() -> None:
    """An APEv2 tag (with its header) at the very start is skipped and counted, not taken for junk."""
    items = b"\x05\x00\x00\x00\x00\x00\x00\x00Title\x00Hello"
    size = (len(items) + 32).to_bytes(4, "little")

    def frame(flags: int) -> bytes:
        version, count = (2000).to_bytes(4, "little"), (1).to_bytes(4, "little")
        return b"APETAGEX" + version + size + count + flags.to_bytes(4, "little") + bytes(8)

    ape = frame(0xA0000000) + items + frame(0x80000000)
    report = check_bytes(ape + FRAMES)
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.media.tags is not None
    assert report.media.tags["by_kind"] == {"apev2": len(ape)}
    assert "format.junk" not in report.codes()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_stream_without_frames_stops_after_the_sync_search() -> None:
    """Reading /dev/zero ends after the sync search limit with a not-MP3 verdict, not at the size limit."""
    report = check_file("/dev/zero")
    assert report.codes() == ["format.not-mp3"]
    assert report.media is not None
    assert report.media.complete is False
    assert report.media.bytes < 1_000_000


def test_an_id3v2_tag_appended_after_the_audio_is_read() -> None:
    """An ID3v2.4 tag (with footer) after the last frame is counted and its title read, though searched for frames."""
    text = b"\x03Appended title"
    frame = b"TIT2" + bytes((len(text) >> s) & 0x7F for s in (21, 14, 7, 0)) + b"\x00\x00" + text
    size = bytes((len(frame) >> s) & 0x7F for s in (21, 14, 7, 0))
    tag = b"ID3\x04\x00\x10" + size + frame + b"3DI\x04\x00\x10" + size
    for piece in (7, 4096, len(FRAMES) + len(tag)):
        report = check_chunks(chunks(FRAMES + tag, piece), declared_size=len(FRAMES) + len(tag))
        assert report.media is not None
        assert report.media.frames == FRAME_COUNT
        assert report.media.tags is not None
        assert report.media.tags["by_kind"] == {"id3v2": len(tag)}
        assert report.media.tags["title"] == "Appended title"
        assert "format.junk" not in report.codes()


def test_a_free_format_stream_resyncs_after_junk() -> None:
    """Junk in the middle of a free-format stream is skipped and the frames after it still count, however fed."""
    data = (FIXTURES / "free-format-4s.mp3").read_bytes()
    whole = check_bytes(data).media
    assert whole is not None
    first = data.index(b"\xff")
    cut = data.index(data[first:first + 2], len(data) // 2)  # a frame start halfway through
    damaged = data[:cut] + bytes(100) + data[cut:]
    for piece in (7, len(damaged)):
        report = check_chunks(chunks(damaged, piece), declared_size=len(damaged))
        assert report.media is not None
        assert report.media.frames == whole.frames
        assert "format.junk" in report.codes()
        assert "format.corrupt" not in report.codes()


def test_a_lone_header_in_junk_before_the_stream_is_not_counted() -> None:
    """FFmpeg's search for two consecutive frames skips a lone legal header in the junk before the stream, so it
    adds nothing to the stream duration (after the lock, such a header would: FFmpeg's parser may decode it)."""
    lone = FRAMES[:4] + bytes(40)  # a header of the stream's own kind, followed by nothing it chains to
    report = check_bytes(b"\x01" * 50 + lone + b"\x01" * 50 + FRAMES)
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.media.stream_duration_s == round(FRAME_COUNT * 1152 / 44100, 6)
