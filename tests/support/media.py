"""Real media for the tests, encoded by ffmpeg from lavfi sources, each distinct file made once per session.

Every test package asks the one session fixture ``make_media`` (tests/conftest.py) for what it needs, so a file
two packages both describe (a 2-second mono tone at 64 kbps, say) is encoded once, and no package carries its
own ffmpeg command line. Files are shared: tests read them and must copy before changing one.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


class MediaFactory:
    """Encodes lavfi graphs with ffmpeg into a session folder, keyed by everything that shapes the output."""

    def __init__(self, ffmpeg: str, folder: Path) -> None:
        self.ffmpeg = ffmpeg
        self.folder = folder
        self._made: dict[tuple[str, tuple[str, ...], str], Path] = {}

    def encode(self, graph: str, *options: str, suffix: str = ".mp3") -> Path:
        """The file ffmpeg makes from the lavfi ``graph`` with these output ``options`` (made on first ask).

        The container follows ``suffix`` unless the options name a format (``-f``).
        """
        key = (graph, options, suffix)
        made = self._made.get(key)
        if made is not None:
            return made
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        out = self.folder / f"{digest}{suffix}"
        subprocess.run([self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                        "-i", graph, *options, str(out)], check=True, timeout=60)
        self._made[key] = out
        return out

    def tone_mp3(self, seconds: float, bitrate: str = "64k", *, channels: int = 1,
                 sample_rate: int | None = None) -> Path:
        """``seconds`` of a 440 Hz sine tone as a CBR MP3 (libmp3lame, 44.1 kHz unless ``sample_rate`` says)."""
        rate = ("-ar", str(sample_rate)) if sample_rate is not None else ()
        return self.encode(f"sine=frequency=440:sample_rate=44100:duration={seconds}", "-ac", str(channels),
                           "-c:a", "libmp3lame", "-b:a", bitrate, *rate)

    def tone(self, seconds: float, *options: str, suffix: str) -> Path:
        """``seconds`` of a 440 Hz mono sine tone, encoded with ``options`` into a ``suffix`` file (WAV, M4A, ...)."""
        return self.encode(f"sine=frequency=440:sample_rate=44100:duration={seconds}", "-ac", "1", *options,
                           suffix=suffix)
