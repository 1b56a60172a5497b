"""Real media for the deep-check and fix tests, made by ffmpeg once per session and only when a test asks.

Every input is synthesised with lavfi sources (a steady tone, so a fade-out or a silent stretch is plain to
measure), in the formats users actually hold: WAV from a designer, M4A from a phone, FLAC, Ogg, long MP3s,
an MP3 bloated by cover art, a 320 kbps stereo MP3, plus files made to trip each listening finding.
"""

from __future__ import annotations

import array
import math
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.media import MediaFactory

Media = Callable[[str], Path]

# A steady 440 Hz tone at -12 dBFS peak (-15 dBFS RMS, about -16 LUFS): loud enough to sound, far from clipping.
_TONE = "sine=frequency=440:sample_rate=44100:duration={d},volume=2"
_MP3 = ("-c:a", "libmp3lame")

# name -> (lavfi graph, output options, file suffix)
_RECIPES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "wav": (_TONE.format(d=65), ("-ac", "2", "-c:a", "pcm_s16le"), ".wav"),
    "m4a": (_TONE.format(d=20), ("-ac", "2", "-c:a", "aac", "-b:a", "96k"), ".m4a"),
    "flac": (_TONE.format(d=20), ("-ac", "2", "-c:a", "flac"), ".flac"),
    "ogg": (_TONE.format(d=20), ("-ac", "2", "-c:a", "libvorbis", "-q:a", "2"), ".ogg"),
    "mp3_61s": (_TONE.format(d=61), ("-ac", "1", *_MP3, "-b:a", "64k"), ".mp3"),
    "mp3_segment": (_TONE.format(d=60), ("-ac", "1", *_MP3, "-b:a", "32k"), ".mp3"),
    "mp3_320k_stereo": (_TONE.format(d=30), ("-ac", "2", *_MP3, "-b:a", "320k"), ".mp3"),
    "mp3_short": (_TONE.format(d=8), ("-ac", "1", *_MP3, "-b:a", "64k"), ".mp3"),
    "mp3_for_corrupting": (_TONE.format(d=20), ("-ac", "2", *_MP3, "-b:a", "128k"), ".mp3"),
    "silent": ("anullsrc=r=44100:cl=mono:d=6", (*_MP3, "-b:a", "64k"), ".mp3"),
    "leading_silence": (_TONE.format(d=6) + ",adelay=5s:all=1", ("-ac", "1", *_MP3, "-b:a", "64k"),
                        ".mp3"),
    "trailing_silence": (_TONE.format(d=6) + ",apad=pad_dur=4", ("-ac", "1", *_MP3, "-b:a", "64k"),
                         ".mp3"),
    # +20 dB on ffmpeg's -18 dBFS sine, then 16-bit: hard-clipped flat tops, as a too-hot export would have.
    "clipped": ("sine=frequency=440:sample_rate=44100:duration=6,volume=20dB,aformat=sample_fmts=s16",
                ("-ac", "1", *_MP3, "-b:a", "64k"), ".mp3"),
    # -30 dB on the tone: about -46 LUFS, above the silence threshold but far under a phone line's needs.
    "quiet": (_TONE.format(d=6) + ",volume=-30dB", ("-ac", "1", *_MP3, "-b:a", "64k"), ".mp3"),
}

LONG_INPUTS = ("wav", "mp3_61s", "mp3_10min")


@pytest.fixture(scope="session")
def media(ffmpeg_exe: str, make_media: MediaFactory, tmp_path_factory: pytest.TempPathFactory) -> Media:
    """Make (once per session) and return the path of a named test input; tests must not modify them."""
    folder = tmp_path_factory.mktemp("audio-media")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name in made:
            return made[name]
        if name == "mp3_10min":
            # Ten copies of a 60 s stream, joined by ffmpeg's stream copy (which writes a true Xing count).
            path = folder / "ten-minutes.mp3"
            subprocess.run([ffmpeg_exe, "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "9",
                            "-i", str(get("mp3_segment")), "-c", "copy", str(path)], check=True, timeout=60)
        elif name == "mp3_cover_art":
            path = folder / "cover-art.mp3"
            path.write_bytes(get("mp3_short").read_bytes())
            from mutagen.id3 import APIC, ID3

            tags = ID3()
            picture = random.Random(6).randbytes(9 * 1024 * 1024)
            tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=picture))
            tags.save(str(path))
        elif name == "corrupt":
            data = bytearray(get("mp3_for_corrupting").read_bytes())
            noise = random.Random(7)
            for offset in (40_000, 120_000, 200_000):
                data[offset:offset + 2_000] = noise.randbytes(2_000)
            path = folder / "corrupt.mp3"
            path.write_bytes(bytes(data))
        elif name == "html":
            path = folder / "share-page.mp3"
            path.write_text("<!DOCTYPE html><html><head><title>Dropbox</title></head><body>Sign in</body></html>")
        elif name == "pdf":
            path = folder / "brochure.pdf"
            path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
        elif name == "empty":
            path = folder / "empty.wav"
            path.write_bytes(b"")
        else:
            graph, options, suffix = _RECIPES[name]
            path = make_media.encode(graph, *options, suffix=suffix)
        made[name] = path
        return path

    return get


def decode_mono(ffmpeg: str, path: Path, *, last_seconds: float | None = None) -> tuple[array.array[int], int]:
    """Decode ``path`` (or only its last seconds) to 16-bit mono samples; returns (samples, sample rate)."""
    rate = 22050
    seek = ["-sseof", f"-{last_seconds}"] if last_seconds is not None else []
    done = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", *seek, "-i", str(path), "-ac", "1",
                           "-ar", str(rate), "-f", "s16le", "-"], capture_output=True, check=True, timeout=60)
    samples = array.array("h")
    samples.frombytes(done.stdout)
    return samples, rate


def rms(samples: array.array[int]) -> float:
    """Root mean square of 16-bit samples, as a fraction of full scale."""
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
