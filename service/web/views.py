"""How a report reads on the page: the verdict in plain words, the facts, the findings in order, whether Fix helps.

Presentation only: verdicts, findings and measurements all come from the library's Report; this module picks
the words and the order a person reads them in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mediacheck import BUILTIN_PROFILES, Finding, Limits, MediaInfo, Report, Severity
from mediacheck.service.web.waveform_svg import WaveformPicture

SEVERITY_WORDS = {Severity.ERROR: "Problem", Severity.WARNING: "Worth a look", Severity.INFO: "Good to know"}
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of the facts table."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report as the page shows it."""

    name: str
    ok: bool
    headline: str
    facts: tuple[Fact, ...]
    findings: tuple[Finding, ...]
    fixable: bool
    picture: WaveformPicture | None
    picture_note: str | None


def rules_in_words(profile: str | None, limits: Limits) -> str:
    """The rules a check applies, e.g. "Daily pinless dial-in hold music: MP3, under 10,000,000 bytes and 60 s"."""
    chosen = BUILTIN_PROFILES[profile or "daily"]
    # The service's limits are always finite: a profile's bounds never pass the operator's.
    bounds = f"under {limits.size_limit_bytes:,} bytes and {limits.duration_limit_s:g} s"
    formats = " or ".join(f.upper() for f in chosen.formats)
    return f"{chosen.title}: {formats}, {bounds}"


def duration_limit(limits: Limits) -> float | None:
    """The duration limit worth drawing, or None when the rules set none."""
    limit = limits.duration_limit_s
    return limit if math.isfinite(limit) else None


def ordered(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then notes, each in report order."""
    return tuple(sorted(findings, key=lambda f: _ORDER[f.severity]))


def headline(report: Report) -> str:
    """The verdict in one sentence."""
    if not report.ok:
        count = len(report.errors)
        return f"It will be refused: {count} problem{'s' if count != 1 else ''} to fix."
    if report.warnings:
        count = len(report.warnings)
        return f"It will be accepted; {count} thing{'s' if count != 1 else ''} worth a look below."
    return "It will be accepted."


def _size(media: MediaInfo, report: Report) -> str:
    fetch = report.fetch
    lower_bound = (not media.complete and fetch is not None and fetch.content_length is None
                   and media.bytes <= fetch.bytes_read)
    text = f"{media.bytes:,} bytes ({media.bytes / 1_000_000:.2f} MB)"
    return f"at least {text}" if lower_bound else text


def _duration(media: MediaInfo, audio: dict[str, Any], limit_s: float | None) -> str | None:
    if media.duration_s is None:
        return None
    if media.complete:
        text = f"{media.duration_s:.3f} s"
        stream = media.stream_duration_s
        # Only where it decides the verdict: encoder padding makes every MP3's frames run a little longer.
        if stream is not None and limit_s is not None and media.duration_s < limit_s <= stream:
            text += f"; its frames hold {stream:.3f} s, and the limit counts those too"
        return text
    text = f"at least {media.duration_s:.3f} s (the check stopped reading once the verdict was certain)"
    if audio.get("decoded") and not audio.get("capped"):
        text += f"; the whole file decodes to {audio['decoded_duration_s']:.1f} s"
    return text


def facts(report: Report, rules: str, limits: Limits) -> tuple[Fact, ...]:
    """The facts table: the rules, then what the bytes are, how long they play, how big, the sound, the fetch."""
    rows = [Fact("Rules", rules)]
    media = report.media
    if media is not None:
        audio = dict(media.audio or {})
        rows.append(Fact("Format", media.format.upper()))
        duration = _duration(media, audio, duration_limit(limits))
        if duration:
            rows.append(Fact("Plays for", duration))
        rows.append(Fact("Size", _size(media, report)))
        if media.shape():
            rows.append(Fact("Audio", media.shape()))
        loudness = []
        if audio.get("integrated_lufs") is not None:
            loudness.append(f"{audio['integrated_lufs']:.1f} LUFS integrated")
        if audio.get("peak_dbfs") is not None:
            loudness.append(f"peak {audio['peak_dbfs']:.1f} dBFS")
        if loudness:
            rows.append(Fact("Loudness", ", ".join(loudness)))
    fetch = report.fetch
    if fetch is not None:
        answered = [f"HTTP {fetch.status}" if fetch.status is not None else "no answer"]
        if fetch.content_type:
            answered.append(fetch.content_type)
        answered.append(f"{fetch.bytes_read:,} bytes read in {fetch.elapsed_s:.2f} s")
        rows.append(Fact("Fetched", " · ".join(answered)))
        if fetch.redirects:
            rows.append(Fact("Redirects", f"{len(fetch.redirects)}, ending at {fetch.final_url}"))
    return tuple(rows)
