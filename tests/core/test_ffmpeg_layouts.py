"""Where FFmpeg reads the Xing/Info header, where it starts and which frames it drops: the scan does the same.

Each layout is built from a real libmp3lame encode and decoded by FFmpeg in the test: the playback duration must
equal FFmpeg's sample count, to the sample, and the stream duration must not be less.
"""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import pytest

from mediacheck import check_bytes
from mediacheck._scan.mpeg import FRAME_LENGTH
from mediacheck._scan.xing import VbrHeader, effective_frame_count
from tests.support.media import MediaFactory

pytestmark = pytest.mark.ffmpeg

RATE = 44100


class Parts:
    """A 10 s encode taken apart: ID3v2 tag, Lavc Info frame (and a LAME-style copy), audio frames."""

    def __init__(self, data: bytes) -> None:
        start = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
        self.id3 = data[:start]
        length = FRAME_LENGTH[data[start + 1] << 8 | data[start + 2]]
        self.info = data[start:start + length]
        self.audio = data[start + length:]
        lame = bytearray(self.info)
        lame[3] = self.audio[3]  # LAME writes the Info frame with the audio frames' header bits
        self.lame_info = bytes(lame)

    def frames(self, count: int) -> bytes:
        """The first ``count`` audio frames."""
        end = 0
        for _ in range(count):
            end += FRAME_LENGTH[self.audio[end + 1] << 8 | self.audio[end + 2]]
        return self.audio[:end]


@pytest.fixture(scope="module")
def parts(make_media: MediaFactory) -> Parts:
    """A 10 s, 128 kbps mono encode with FFmpeg's gapless Info header."""
    return Parts(make_media.encode(f"anoisesrc=d=10:c=brown:r={RATE}:a=0.3:seed=5", "-ac", "1", "-c:a", "libmp3lame",
                                   "-b:a", "128k").read_bytes())


def _decoded(ffmpeg: str, data: bytes, tmp_path: Path) -> int:
    source, out = tmp_path / "layout.mp3", tmp_path / "layout.wav"
    source.write_bytes(data)
    subprocess.run([ffmpeg, "-nostdin", "-v", "quiet", "-y", "-i", str(source), "-c:a", "pcm_s16le", str(out)],
                   check=True)
    with wave.open(str(out), "rb") as decoded:
        return decoded.getnframes()


def _assert_exact(ffmpeg: str, data: bytes, tmp_path: Path) -> int:
    samples = _decoded(ffmpeg, data, tmp_path)
    media = check_bytes(data).media
    assert media is not None
    assert media.duration_s is not None
    assert media.stream_duration_s is not None
    assert round(media.duration_s * RATE) == samples
    assert round(media.stream_duration_s * RATE) >= samples
    return samples


APE = (b"APETAGEX" + (2000).to_bytes(4, "little") + (42).to_bytes(4, "little") + (0).to_bytes(4, "little")
       + (0xA0000000).to_bytes(4, "little") + bytes(8) + bytes(10) + b"APETAGEX" + (2000).to_bytes(4, "little")
       + (42).to_bytes(4, "little") + (0).to_bytes(4, "little") + (0x80000000).to_bytes(4, "little") + bytes(8))


class TestWhereTheHeaderIsRead:
    """FFmpeg reads a Xing/Info header only right after the leading ID3v2 tags; anywhere else it is audio."""

    def test_the_header_right_after_the_tag_trims(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path) -> None:
        """The clean file: the Info frame is skipped and the gapless trim applied (441,000 samples, 10 s)."""
        assert _assert_exact(ffmpeg_exe, parts.id3 + parts.lame_info + parts.audio, tmp_path) == 10 * RATE

    @pytest.mark.parametrize("junk", [bytes(6), b"\x01" * 6, bytes(300)])
    def test_junk_before_a_lame_info_frame_makes_it_audio(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path,
                                                          junk: bytes) -> None:
        """Junk between the tag and a LAME-style Info frame: FFmpeg plays that frame and trims nothing."""
        samples = _assert_exact(ffmpeg_exe, parts.id3 + junk + parts.lame_info + parts.audio, tmp_path)
        assert samples > 10 * RATE + 1105  # the trim's 1,105 samples and the Info frame's 1,152 are back

    def test_junk_before_a_lavc_info_frame_skips_it(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path) -> None:
        """FFmpeg's own Info frame differs from its audio in the "original" bit: after junk, FFmpeg's search for two
        consecutive frames skips it, so it does not play, and nothing is trimmed."""
        data = parts.id3 + bytes(6) + parts.info + parts.audio
        samples = _assert_exact(ffmpeg_exe, data, tmp_path)
        media = check_bytes(data).media
        assert media is not None
        assert media.stream_duration_s is not None
        assert round(media.stream_duration_s * RATE) == samples + 1152  # the Info frame: in the stream, not played

    def test_an_ape_tag_before_the_header_makes_it_audio(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path) -> None:
        """FFmpeg skips no APE tag: its header search looks at the tag, so the Info frame after it plays."""
        _assert_exact(ffmpeg_exe, parts.id3 + APE + parts.lame_info + parts.audio, tmp_path)

    def test_an_id3v2_tag_of_a_version_ffmpeg_cannot_read_is_still_skipped(self, ffmpeg_exe: str, parts: Parts,
                                                                            tmp_path: Path) -> None:
        """An "ID3v2.5" tag is skipped by its size, like any other: the header after it is read and trims."""
        odd = b"ID3\x05\x00\x00\x00\x00\x00\x10" + bytes(16)
        assert _assert_exact(ffmpeg_exe, parts.id3 + odd + parts.lame_info + parts.audio, tmp_path) == 10 * RATE

    def test_an_info_tag_behind_a_crc_is_not_read(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path) -> None:
        """FFmpeg reads the Info magic right after the side information, whatever the CRC bit says: two bytes
        later (after a CRC), it is no header, and the frame plays."""
        info = bytearray(parts.lame_info)
        info[1] &= 0xFE  # protected: a 16-bit CRC follows the header
        moved = bytes(info[:4]) + b"\x12\x34" + bytes(info[4:-2])
        samples = _assert_exact(ffmpeg_exe, parts.id3 + moved + parts.audio, tmp_path)
        assert samples > 10 * RATE

    def test_a_lame_tag_without_counts_still_trims_the_start(self, ffmpeg_exe: str, parts: Parts,
                                                             tmp_path: Path) -> None:
        """An Info frame with no frame or byte count is played, but FFmpeg has read its encoder delay by then."""
        at = parts.lame_info.index(b"Info")
        cleared = parts.lame_info[:at + 4] + bytes(4) + parts.lame_info[at + 16:] + bytes(8)
        _assert_exact(ffmpeg_exe, parts.id3 + cleared + parts.audio, tmp_path)


class TestFramesFFmpegDrops:
    """FFmpeg's decoder drops the frame right after junk or a tag (they share its packet), unless only zeros."""

    @pytest.mark.parametrize(("between", "dropped"), [
        (bytes(100), 0),
        (b"\x01" * 100, 1),
        (b"ID3\x04\x00\x00\x00\x00\x00\x14" + bytes(20), 1),
        (b"TAG" + bytes(125), 1),
        (APE, 1),
    ])
    def test_the_frame_after_junk_or_a_tag(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path, between: bytes,
                                           dropped: int) -> None:
        """Zeros cost nothing; anything else costs the next frame, and the scan says so to the sample."""
        head = parts.frames(50)
        samples = _assert_exact(ffmpeg_exe, parts.id3 + parts.info + head + between + parts.audio[len(head):],
                                tmp_path)
        assert samples == 10 * RATE - dropped * 1152

    def test_the_frame_ffmpeg_starts_at_plays_though_a_tag_is_before_it(self, ffmpeg_exe: str, parts: Parts,
                                                                        tmp_path: Path) -> None:
        """One frame, a tag, then the rest: FFmpeg's search for two consecutive frames skips the first frame and the
        tag, and the frame after them opens its first packet, so that one plays (only the first is lost, and with
        the timeline one frame shorter the end padding falls past the end: 889 samples fewer in all)."""
        head = parts.frames(1)
        tag = b"ID3\x04\x00\x00\x00\x00\x00\x14" + bytes(20)
        samples = _assert_exact(ffmpeg_exe, parts.id3 + parts.info + head + tag + parts.audio[len(head):], tmp_path)
        assert samples == 10 * RATE - 889

    def test_a_cut_short_first_frame_is_skipped(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path) -> None:
        """A frame cut short right after the header frame runs over the real frames: FFmpeg starts at the first
        two frames that follow each other, and so does the scan (the gapless trim still applies)."""
        cut = parts.frames(1)[:60]
        assert _assert_exact(ffmpeg_exe, parts.id3 + parts.info + cut + parts.audio, tmp_path) == 10 * RATE


class TestGaplessTrim:
    """The LAME-format delay and padding, trimmed frame by frame as FFmpeg trims them."""

    @pytest.mark.parametrize(("frames", "delay", "padding"), [
        (4, 4095, 4095),  # the start trim eats every frame
        (6, 4095, 3000),  # the trims meet in one frame: FFmpeg keeps what its start skip left of it
        (6, 3000, 4095),
        (6, 2000, 2000),
    ])
    def test_tiny_files_with_large_trims(self, ffmpeg_exe: str, parts: Parts, tmp_path: Path, frames: int,
                                         delay: int, padding: int) -> None:
        """A few frames with a delay and padding of thousands of samples play exactly what FFmpeg plays."""
        at = parts.info.index(b"Lavc")
        info = parts.info[:at + 21] + (delay << 12 | padding).to_bytes(3, "big") + parts.info[at + 24:]
        count = info.index(b"Info") + 8
        info = info[:count] + frames.to_bytes(4, "big") + info[count + 4:]
        _assert_exact(ffmpeg_exe, parts.id3 + info + parts.frames(frames), tmp_path)


def test_a_joined_file_gets_no_end_trim() -> None:
    """A file over a sixteenth longer than its header's byte count is "concatenated" to FFmpeg: no end trim."""
    header = VbrHeader("Info", frames=100, bytes=40_000, delay=576, padding=1000, trim_frames=100, trim_bytes=40_000)
    assert effective_frame_count(header, 44 + 4 + 42_000, 44) == 100
    assert effective_frame_count(header, 44 + 4 + 42_501, 44) == 0
    assert effective_frame_count(header, None, 44) == 100


def _decoder_seconds(ffmpeg: str, data: bytes, tmp_path: Path) -> float:
    """Seconds FFmpeg's decoder puts out, summed frame by frame at each frame's own rate (``ashowinfo``)."""
    source = tmp_path / "stray.mp3"
    source.write_bytes(data)
    done = subprocess.run([ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "info", "-i", str(source), "-af",
                           "ashowinfo", "-f", "null", "-"], capture_output=True, check=True)
    return sum(int(n) / int(rate) for rate, n in re.findall(rb"rate:(\d+) nb_samples:(\d+)", done.stderr))


@pytest.fixture(scope="module")
def low_frames(make_media: MediaFactory) -> list[bytes]:
    """The audio frames of an 8 kHz, 8 kbps MPEG-2.5 encode (72 bytes each): the property test's smallest."""
    data = make_media.encode("anoisesrc=d=1.6:c=brown:r=8000:a=0.3:seed=11", "-ac", "1", "-c:a", "libmp3lame",
                             "-b:a", "8k", "-write_xing", "0", "-id3v2_version", "0").read_bytes()
    return [data[at:at + 72] for at in range(0, len(data) - 71, 72)]


class TestStrayHeaders:
    """Legal headers FFmpeg's parser meets outside the chain (found by the property test): they bound the stream."""

    def test_a_junk_byte_that_makes_a_header_of_another_layer(self, ffmpeg_exe: str, low_frames: list[bytes],
                                                              tmp_path: Path) -> None:
        """0xFF before a frame reads as a Layer I header at 44.1 kHz (whose length swallows that frame), which
        FFmpeg decodes as 384 samples at 8 kHz: the stream counts it at whichever rate lasts longer."""
        data = b"".join(low_frames[:2]) + b"\xff" + low_frames[2]
        played = _decoder_seconds(ffmpeg_exe, data, tmp_path)
        media = check_bytes(data).media
        assert media is not None
        assert media.stream_duration_s is not None
        assert played == pytest.approx((2 * 576 + 384) / 8000)
        assert media.stream_duration_s >= played

    def test_a_stray_frame_is_taken_whole(self, ffmpeg_exe: str, low_frames: list[bytes], tmp_path: Path) -> None:
        """After a lone frame FFmpeg's parser skips its whole length, so a false header inside it (whose length
        would swallow the frames after it) is never met: neither by FFmpeg nor by the scan."""
        data = (b"".join(low_frames[:2]) + b"\x00" + low_frames[2] + bytes(26) + b"".join(low_frames[3:9]))
        played = _decoder_seconds(ffmpeg_exe, data, tmp_path)
        media = check_bytes(data).media
        assert media is not None
        assert media.stream_duration_s is not None
        assert played == pytest.approx(9 * 576 / 8000)
        assert media.stream_duration_s >= played

    def test_a_header_before_where_ffmpeg_starts_is_not_its_stray(self, ffmpeg_exe: str, low_frames: list[bytes],
                                                                 tmp_path: Path) -> None:
        """After a frame, a broken tag and a 0xFF that makes a Layer I header with the next frame's first bytes:
        FFmpeg's search starts at the two frames after it and never parses that header, so its length must not
        hide those frames from the scan either."""
        data = low_frames[0] + b"ID3" + b"\xff" + b"".join(low_frames[1:4])
        played = _decoder_seconds(ffmpeg_exe, data, tmp_path)
        media = check_bytes(data).media
        assert media is not None
        assert media.stream_duration_s is not None
        assert played == pytest.approx(3 * 576 / 8000)
        assert media.stream_duration_s >= played
