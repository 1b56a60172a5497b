"""The streaming Inspector: fed chunks of any size, it measures the media in O(1) memory and says when to stop.

This is the seam every source (file, bytes, fetch, upload) feeds: ``Inspector(limits, *, declared_size=None)``,
``feed(chunk) -> bool`` (True = the verdict is certain, stop feeding), ``finish() -> Inspection``, ``done`` and
``bytes_fed``. The scanning lives in :mod:`mediacheck._scan.scanner`, the judging in :mod:`mediacheck._rules`;
this module joins them and turns the facts into the report's :class:`MediaInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediacheck._facts import MediaFacts
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._profiles import DAILY
from mediacheck._report import Finding, MediaInfo
from mediacheck._rules import evaluate
from mediacheck._scan.scanner import StreamScanner

if TYPE_CHECKING:
    from mediacheck._profiles import Profile
    from mediacheck._scan.router import FormatRouter


@dataclass(frozen=True, slots=True)
class Inspection:
    """The inspector's result: the media facts and the media findings the rules drew from them."""

    media: MediaInfo
    findings: tuple[Finding, ...]


class Inspector:
    """Measures a byte stream fed in chunks; ``feed`` returns True once the verdict is certain."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, *, declared_size: int | None = None,
                 profile: Profile | None = None) -> None:
        self._limits = limits
        # Platform profiles: None and daily keep the original scanner and rules, untouched.
        self._profile = None if profile is None or profile == DAILY else profile
        self._scanner: StreamScanner | FormatRouter
        if self._profile is not None and self._profile.reads_wav:
            from mediacheck._scan.router import FormatRouter

            self._scanner = FormatRouter(limits, declared_size)
        else:
            self._scanner = StreamScanner(limits, declared_size)

    @property
    def done(self) -> bool:
        """True once more bytes cannot change the verdict."""
        return self._scanner.done

    @property
    def bytes_fed(self) -> int:
        """How many bytes the inspector has been fed."""
        return self._scanner.bytes_fed

    def feed(self, chunk: bytes | bytearray | memoryview) -> bool:
        """Take the next chunk; return True when the source may stop (the verdict is certain)."""
        return self._scanner.feed(chunk)

    def finish(self) -> Inspection:
        """End the stream and return the measurements and findings."""
        facts = self._scanner.finish()
        if self._profile is not None:
            from mediacheck._profile_rules import inspect_for_profile

            media, findings = inspect_for_profile(facts, self._limits, self._profile, media_info)
            return Inspection(media, findings)
        assert isinstance(facts, MediaFacts)
        return Inspection(media_info(facts), evaluate(facts, self._limits))


def media_info(facts: MediaFacts) -> MediaInfo:
    """The report's media section from the scan's facts (durations in seconds, rounded to the microsecond)."""
    if facts.format not in ("mp3", "mp1", "mp2"):
        return MediaInfo(format=facts.format, bytes=facts.bytes, complete=facts.complete, tags=facts.tags)
    rate = facts.sample_rate or 1
    duration = stream_duration = None
    bitrate = None
    mode = None
    if facts.stream_samples is not None:
        stream_duration = round(facts.stream_samples / rate, 6)
        duration = round((facts.playback_samples or 0) / rate, 6)
        if facts.stream_samples:
            bitrate = round(facts.audio_bytes * 8 / (facts.stream_samples / rate) / 1000)
        mode = "free" if facts.free_format else "vbr" if facts.variable_bitrate else "cbr"
    return MediaInfo(
        format=facts.format, bytes=facts.bytes, complete=facts.complete, duration_s=duration,
        stream_duration_s=stream_duration, sample_rate=facts.sample_rate, channels=facts.channels,
        mpeg_version=facts.mpeg_version, layer=facts.layer, bitrate_kbps=bitrate, bitrate_mode=mode,
        frames=facts.audio_frames if facts.format == "mp3" else None, tags=facts.tags)
