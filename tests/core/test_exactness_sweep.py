"""A sweep of fresh libmp3lame encodes (CBR/VBR/ABR, every MPEG-1/2/2.5 rate, mono/stereo, lengths at frame
boundaries) plays exactly as many samples as ffmpeg decodes: the docs' "sample-exact", checked to the sample."""

from __future__ import annotations

import random
import subprocess
import wave
from pathlib import Path

import pytest

from mediacheck import check_file

pytestmark = pytest.mark.ffmpeg

RATES = (48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
# Encoder settings: CBR, VBR and ABR, and a CBR stream with no Xing/LAME header (no gapless info at all).
MODES = {
    "cbr": ["-b:a", "{kbps}k"],
    "vbr": ["-q:a", "4"],
    "abr": ["-abr", "1", "-b:a", "{kbps}k"],
    "noxing": ["-b:a", "{kbps}k", "-write_xing", "0"],
}


def _cases() -> list[tuple[int, int, str, int]]:
    cases = []
    modes = list(MODES)
    for i, rate in enumerate(RATES):
        spf = 1152 if rate >= 32000 else 576
        for j, offset in enumerate((-1, 0, 1)):
            mode = modes[(i + j) % len(modes)]
            channels = 1 + (i + j) % 2
            frames = 7 + 13 * j + i  # a few dozen frames: short encodes, past the encoder's delay
            cases.append((rate, channels, mode, frames * spf + offset))
    return cases


def _write_noise(path: Path, rate: int, channels: int, samples: int) -> None:
    rng = random.Random(samples * rate + channels)
    frames = bytes(rng.getrandbits(8) & 0x3F for _ in range(samples * channels * 2))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def _decoded_samples(ffmpeg: str, path: Path) -> int:
    out = path.with_suffix(".decoded.wav")
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(path), "-c:a", "pcm_s16le", str(out)],
                   check=True)
    with wave.open(str(out), "rb") as decoded:
        return decoded.getnframes()


@pytest.mark.parametrize(("rate", "channels", "mode", "samples"), _cases())
def test_playback_is_sample_exact(ffmpeg_exe: str, tmp_path: Path, rate: int, channels: int, mode: str,
                                  samples: int) -> None:
    """duration_s times the rate is ffmpeg's decoded sample count, to the sample; stream_duration_s is never less."""
    source = tmp_path / "source.wav"
    _write_noise(source, rate, channels, samples)
    kbps = 128 if rate >= 32000 else 32
    args = [a.format(kbps=kbps) for a in MODES[mode]]
    target = tmp_path / "sweep.mp3"
    subprocess.run([ffmpeg_exe, "-nostdin", "-v", "error", "-y", "-i", str(source), "-c:a", "libmp3lame", *args,
                    str(target)], check=True)
    decoded = _decoded_samples(ffmpeg_exe, target)
    media = check_file(target).media
    assert media is not None
    assert media.sample_rate == rate
    assert media.channels == channels
    assert media.duration_s is not None
    assert media.stream_duration_s is not None
    assert round(media.duration_s * rate) == decoded
    assert media.stream_duration_s >= media.duration_s


# MPEG-2 Layer III, 24 kHz, 32 kbps, mono: 96-byte frames of 576 samples (24 ms); an Info marker sits at 13.
_HEADER = b"\xff\xf3\x44\xc4"
_FRAME = _HEADER + bytes(92)


def _info_frame(flags: int, *fields: int) -> bytes:
    body = bytes(9) + b"Info" + flags.to_bytes(4, "big") + b"".join(f.to_bytes(4, "big") for f in fields)
    return _HEADER + body + bytes(92 - len(body))


def test_mid_stream_info_frames_play_and_count_toward_the_limit(ffmpeg_exe: str, tmp_path: Path) -> None:
    """Info frames after the first audio frame (joined files) are played by ffmpeg as silence, so they count:
    2,490 audio frames (59.76 s) with 10 Info frames among them play 60.0 s and fail "less than 60 s"."""
    data = _info_frame(1, 2490) + (_FRAME * 249 + _info_frame(0)) * 10
    target = tmp_path / "joined.mp3"
    target.write_bytes(data)
    decoded = _decoded_samples(ffmpeg_exe, target)
    report = check_file(target)
    assert report.media is not None
    assert report.media.frames == 2490
    assert report.media.duration_s is not None
    assert round(report.media.duration_s * 24000) == decoded == 2500 * 576
    assert "duration.too-long" in report.codes()


@pytest.mark.parametrize(("flags", "fields", "skipped"), [
    (0, (), False),  # no counts at all: ffmpeg decodes the frame
    (1, (0,), False),  # a frame count of 0: the same
    (1, (100,), True),  # a real count: the frame is metadata
    (2, (9600,), True),  # a byte count alone is enough for ffmpeg
])
def test_a_first_info_frame_without_counts_is_played(ffmpeg_exe: str, tmp_path: Path, flags: int,
                                                     fields: tuple[int, ...], skipped: bool) -> None:
    """A first Xing/Info frame is skipped exactly when ffmpeg skips it: only if it has a frame or byte count."""
    data = _info_frame(flags, *fields) + _FRAME * 100
    target = tmp_path / "first-info.mp3"
    target.write_bytes(data)
    decoded = _decoded_samples(ffmpeg_exe, target)
    media = check_file(target).media
    assert media is not None
    assert media.duration_s is not None
    assert decoded == (100 if skipped else 101) * 576
    assert round(media.duration_s * 24000) == decoded


def test_stray_frames_between_junk_count_toward_the_stream_duration(ffmpeg_exe: str, tmp_path: Path) -> None:
    """Lone frames scattered in junk do not chain, yet ffmpeg plays each: 48 s of chained audio plus 600 lone
    8 kbps frames (14.4 s in 8% of the bytes) plays 62.4 s, so the file fails "less than 60 s" on its stream."""
    lone = b"\xff\xf3\x14\xc4" + bytes(20)  # the same stream kind at 8 kbps: 24 bytes, 24 ms
    data = _info_frame(1, 2000) + _FRAME * 2000 + (lone + b"\x00" * 3) * 600
    target = tmp_path / "stray.mp3"
    target.write_bytes(data)
    decoded = _decoded_samples(ffmpeg_exe, target)
    report = check_file(target)
    assert report.media is not None
    assert report.media.stream_duration_s is not None
    assert report.media.frames == 2001  # the first lone frame still follows the chain
    assert round(report.media.stream_duration_s * 24000) >= decoded == 2600 * 576
    assert report.codes()[:2] == ["duration.too-long", "format.junk"]
