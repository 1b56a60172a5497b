"""Property: on any layout of junk, Info frames and tags around real frames, the stream duration bounds FFmpeg's.

Hypothesis builds files from real libmp3lame frames (a Lavc Info frame, the same laid out as LAME writes it, or
no header at all) with junk before the header, between frames and at the end, ID3v2 (also of a version FFmpeg
skips unread), APEv2 (with and without a header), Lyrics3 and ID3v1 tags in any of those places, and a cut-off
end, and pieces of real frames, of this stream or of another rate (damaged audio). Whenever FFmpeg decodes such a
file without failing, ``stream_duration_s`` (what the 60 s rule compares) is at least what FFmpeg played, and a
file FFmpeg refuses for want of two consecutive frames never passes. CI runs a bounded number of examples (each is
one ffmpeg decode); set MEDIACHECK_FFMPEG_EXAMPLES to run more.

What FFmpeg played is summed from its decoder's frames (``ashowinfo``: samples over each frame's own rate), not
counted in a PCM file: where the sample rate switches mid-stream the command line's resampling writes artifacts
(one 22.05 kHz frame in a 44.1 kHz stream comes out as 576 samples plus 1,152 resampled), not a duration.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediacheck import check_bytes
from mediacheck._scan.mpeg import FRAME_LENGTH
from tests.support.media import MediaFactory

pytestmark = pytest.mark.ffmpeg

EXAMPLES = int(os.environ.get("MEDIACHECK_FFMPEG_EXAMPLES", "40"))


@dataclass(frozen=True)
class Stream:
    """A real encode taken apart: its leading ID3v2 tag, its first (Info) frame if it has one, its audio frames."""

    name: str
    rate: int
    id3: bytes
    info: bytes
    frames: tuple[bytes, ...]

    def __repr__(self) -> str:
        return f"Stream({self.name!r}, {len(self.frames)} frames)"


def _split(name: str, rate: int, data: bytes, *, has_info: bool) -> Stream:
    start = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]) if data[:3] == b"ID3" else 0
    frames = []
    pos = start
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        length = FRAME_LENGTH[data[pos + 1] << 8 | data[pos + 2]]
        frames.append(data[pos:pos + length])
        pos += length
    info = frames.pop(0) if has_info else b""
    return Stream(name, rate, data[:start], info, tuple(frames))


def _lame_style(stream: Stream) -> Stream:
    info = bytearray(stream.info)
    info[3] = stream.frames[0][3]  # LAME gives its Info frame the audio frames' header bits; FFmpeg's encoder does not
    return Stream(stream.name + "-lame", stream.rate, stream.id3, bytes(info), stream.frames)


def _encode(make_media: MediaFactory, seconds: float, rate: int, *args: str) -> bytes:
    return make_media.encode(f"anoisesrc=d={seconds}:c=brown:r={rate}:a=0.3:seed=11", "-ac", "1", "-c:a", "libmp3lame",
                             *args).read_bytes()


@pytest.fixture(scope="module")
def streams(make_media: MediaFactory) -> list[Stream]:
    """Small real encodes: MPEG-2 with a Lavc Info frame and the same LAME-style, MPEG-1 CBR with no header, MPEG-1
    VBR with a Xing frame (and LAME-style), MPEG-2.5 with an Info frame."""
    lavc = _split("lavc", 22050, _encode(make_media, 1.3, 22050, "-b:a", "32k"), has_info=True)
    plain = _split("plain", 44100, _encode(make_media, 1.2, 44100, "-b:a", "48k", "-write_xing", "0"), has_info=False)
    vbr = _split("vbr", 48000, _encode(make_media, 1.1, 48000, "-q:a", "6"), has_info=True)
    low = _split("mpeg25", 8000, _encode(make_media, 1.6, 8000, "-b:a", "8k"), has_info=True)
    return [lavc, _lame_style(lavc), plain, vbr, _lame_style(vbr), low]


def _id3v2(version: int, body: int) -> bytes:
    return b"ID3" + bytes([version, 0, 0]) + bytes((body >> s) & 0x7F for s in (21, 14, 7, 0)) + bytes(body)


def _ape(*, header: bool) -> bytes:
    item = (5).to_bytes(4, "little") + bytes(4) + b"Title\x00Hello"
    size = (len(item) + 32).to_bytes(4, "little")

    def block(flags: int) -> bytes:
        return b"APETAGEX" + (2000).to_bytes(4, "little") + size + (1).to_bytes(4, "little") + \
            flags.to_bytes(4, "little") + bytes(8)

    return (block(0xA0000000) + item + block(0x80000000)) if header else item + block(0)


TAGS = {
    "id3v2": _id3v2(3, 20),
    "id3v2.5": _id3v2(5, 12),  # a version FFmpeg cannot read: it still skips it by its size at the start
    "ape": _ape(header=True),
    "ape-footer": _ape(header=False),
    "lyrics3": b"LYRICSBEGININD00002" + b"10" + b"000019LYRICS200",
    "id3v1": b"TAG" + b"Hold".ljust(30, b"\x00") + bytes(95),
}

junk = st.one_of(
    st.integers(1, 400).map(bytes),  # zeros (the decoder skips them)
    st.binary(min_size=1, max_size=300),
    st.integers(1, 64).map(lambda n: b"\xff" * n),
    st.sampled_from([b"hello world", b"<html>", b"\x00\x00\x01\xba", b"\xff\xfb\x00\x44", b"RIFF"]),
)


@dataclass(frozen=True)
class Fragment:
    """A piece of a real frame, or a whole one, of this stream or another (damaged audio, a frame of another rate)."""

    source: int
    frame: int
    start: int
    length: int

    def bytes_of(self, streams: list[Stream]) -> bytes:
        """The piece, cut from the frames of stream ``source``."""
        frames = streams[self.source % len(streams)].frames
        frame = frames[self.frame % len(frames)]
        return frame[self.start % len(frame):][:self.length]


filler = st.one_of(junk, st.sampled_from(list(TAGS.values())),
                   st.builds(Fragment, st.integers(0, 5), st.integers(0, 60), st.sampled_from([0, 0, 1, 4, 40, 200]),
                             st.integers(1, 1500)))


@dataclass(frozen=True)
class Layout:
    """Where the junk and the tags go around one stream's frames."""

    stream: int
    lead: str
    before_info: bytes
    keep_info: bool
    after_info: bytes | Fragment
    frames: int
    inserts: tuple[tuple[int, bytes | Fragment], ...]
    tail: tuple[bytes | Fragment, ...]
    cut: int

    def build(self, streams: list[Stream]) -> bytes:
        """The file's bytes."""
        stream = streams[self.stream % len(streams)]
        lead = {"none": b"", "id3": stream.id3, "id3v2.5": TAGS["id3v2.5"], "id3+ape": stream.id3 + TAGS["ape"],
                "two-id3": stream.id3 + TAGS["id3v2"]}[self.lead]
        def piece(blob: bytes | Fragment) -> bytes:
            return blob.bytes_of(streams) if isinstance(blob, Fragment) else blob

        frames = list(stream.frames[:max(1, min(self.frames, len(stream.frames)))])
        for at, blob in sorted(self.inserts, key=lambda insert: insert[0], reverse=True):
            frames.insert(at % (len(frames) + 1), piece(blob))
        body = lead + self.before_info + (stream.info if self.keep_info else b"") + piece(self.after_info)
        body += b"".join(frames) + b"".join(piece(blob) for blob in self.tail)
        return body[:len(body) - self.cut] if self.cut else body


layouts = st.builds(
    Layout, stream=st.integers(0, 5), lead=st.sampled_from(["none", "id3", "id3v2.5", "id3+ape", "two-id3"]),
    before_info=st.one_of(st.just(b""), junk), keep_info=st.booleans(), after_info=st.one_of(st.just(b""), filler),
    frames=st.integers(1, 60), inserts=st.lists(st.tuples(st.integers(0, 60), filler), max_size=3).map(tuple),
    tail=st.lists(filler, max_size=2).map(tuple), cut=st.one_of(st.just(0), st.integers(1, 150)))


# FFmpeg's MP3 demuxer refuses a file with this when it finds no two consecutive frames: the refusal the scan
# models (``format.no-audio``). A probe that ends in a tie with another format is not modelled.
_NO_PAIR = b"Failed to find two consecutive MPEG audio frames"


_FRAME_INFO = re.compile(rb"rate:(\d+) nb_samples:(\d+)")


def _ffmpeg_decode(ffmpeg: str, data: bytes, work: Path) -> tuple[float | None, bytes]:
    """Seconds FFmpeg's decoder outputs for ``data`` (None when it refuses the file), and what it said."""
    source = work / "layout.mp3"
    source.write_bytes(data)
    done = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "info", "-i", str(source), "-map",
                           "0:a:0", "-af", "ashowinfo", "-f", "null", "-"], capture_output=True)
    if done.returncode != 0:
        return None, done.stderr
    return sum(int(n) / int(rate) for rate, n in _FRAME_INFO.findall(done.stderr)), done.stderr


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(layout=layouts)
def test_stream_duration_bounds_what_ffmpeg_plays(ffmpeg_exe: str, streams: list[Stream], tmp_path: Path,
                                                  layout: Layout) -> None:
    """stream_duration_s >= FFmpeg's decoded duration whenever FFmpeg decodes; a file it refuses never passes."""
    data = layout.build(streams)
    played, said = _ffmpeg_decode(ffmpeg_exe, data, tmp_path)
    report = check_bytes(data)
    assert report.media is not None
    if played is None:
        assert _NO_PAIR not in said or not report.ok, (layout, said, report.codes())
        return
    if report.media.format != "mp3" or not report.media.complete:
        # Junk that spells another format's signature, or a scan that stopped (a second stream of another rate
        # joined on, far too much junk): its durations are "at least" readings, and it fails, never a false pass.
        assert not report.ok, (layout, played, report.codes())
        return
    assert report.media.stream_duration_s is not None
    assert report.media.stream_duration_s >= played - 1e-6, (layout, played, report.media)
