"""Fresh encodes across sample rates, modes and truncation points measure exactly what ffmpeg's decode plays."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from mediacheck import check_bytes, check_file
from mediacheck._scan.mpeg import FRAME_LENGTH
from tests.support.media import MediaFactory

pytestmark = pytest.mark.ffmpeg


def _decode_samples(ffmpeg: str, path: Path) -> tuple[int, int]:
    out = path.with_suffix(".wav")
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(path), "-c:a", "pcm_s16le", str(out)],
                   check=True)
    with wave.open(str(out), "rb") as decoded:
        return decoded.getnframes(), decoded.getframerate()


@pytest.mark.parametrize(("rate", "channels", "codec_args"), [
    (48000, 2, ["-b:a", "192k"]),  # MPEG-1, 48 kHz CBR
    (32000, 1, ["-q:a", "5"]),  # MPEG-1, 32 kHz VBR
    (16000, 1, ["-b:a", "24k"]),  # MPEG-2
    (11025, 1, ["-q:a", "7"]),  # MPEG-2.5 VBR
    (12000, 2, ["-b:a", "16k", "-write_xing", "0"]),  # MPEG-2.5, no Xing header: no gapless info
])
def test_fresh_encode_matches_decode(ffmpeg_exe: str, make_media: MediaFactory, tmp_path: Path, rate: int,
                                     channels: int, codec_args: list[str]) -> None:
    """Playback duration equals ffmpeg's decoded samples over the rate, within 2 ms."""
    target = tmp_path / "fresh.mp3"
    target.write_bytes(make_media.encode(f"anoisesrc=d=3.3:c=brown:r={rate}:a=0.3", "-ac", str(channels),
                                         "-c:a", "libmp3lame", *codec_args).read_bytes())
    samples, decoded_rate = _decode_samples(ffmpeg_exe, target)
    media = check_file(target).media
    assert media is not None
    assert media.sample_rate == decoded_rate
    assert media.channels == channels
    assert media.duration_s == pytest.approx(samples / decoded_rate, abs=0.002)


def _last_frame_start(data: bytes) -> int:
    """Walk the frames of a tag-free-at-the-end stream (after its ID3v2 tag) to where the last one starts."""
    pos = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    last = pos
    while pos < len(data):
        last = pos
        pos += FRAME_LENGTH[data[pos + 1] << 8 | data[pos + 2]]
    assert pos == len(data)
    return last


@pytest.mark.parametrize("kept", [1, 3, 4, 40, 200])
def test_truncated_last_frame_counts_as_ffmpeg_plays_it(ffmpeg_exe: str, tmp_path: Path, kept: int) -> None:
    """However much of the last frame survives, the frame count matches what ffmpeg decodes, with a warning."""
    source = Path(__file__).resolve().parents[2] / "fixtures" / "cbr-noxing-5s.mp3"
    data = source.read_bytes()
    cut = data[: _last_frame_start(data) + kept]
    target = tmp_path / "cut.mp3"
    target.write_bytes(cut)
    samples, rate = _decode_samples(ffmpeg_exe, target)
    report = check_bytes(cut)
    assert report.media is not None
    assert report.media.duration_s == pytest.approx(samples / rate, abs=0.002)
    assert "format.truncated" in report.codes()


@pytest.mark.parametrize(("encoder", "delay", "padding"), [
    (b"Lavc", 576, 1260),  # what FFmpeg's encoder writes
    (b"LAME", 1105, 529),  # padding that only covers the decoder delay
    (b"Lavf", 0, 0),  # FFmpeg's remuxer with no gapless info: only the decoder delay goes
    (b"LAME", 576, 100),  # padding under 529 removes nothing at the end
    (b"Lavc", 2000, 2500),
    (b"Fake", 576, 1260),  # an unknown encoder's numbers are not gapless info
])
def test_lame_header_delay_and_padding_as_ffmpeg_applies_them(ffmpeg_exe: str, tmp_path: Path, encoder: bytes,
                                                              delay: int, padding: int) -> None:
    """Rewriting the LAME-format encoder, delay and padding changes the duration exactly as FFmpeg's decode."""
    data = (Path(__file__).resolve().parents[2] / "fixtures" / "mpeg2-24k-mono-8s.mp3").read_bytes()
    at = data.index(b"Lavc")
    packed = (delay << 12 | padding).to_bytes(3, "big")
    target = tmp_path / "gapless.mp3"
    target.write_bytes(data[:at] + encoder + data[at + 4:at + 21] + packed + data[at + 24:])
    samples, rate = _decode_samples(ffmpeg_exe, target)
    media = check_file(target).media
    assert media is not None
    assert media.duration_s == pytest.approx(samples / rate, abs=0.5 / rate)
