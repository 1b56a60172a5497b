"""The report a check returns: findings, media facts and fetch facts, as immutable values with JSON forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters: only errors make a report fail."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One judgement about the target: a stable code, a one-sentence message and, where there is a fix, a hint."""

    code: str
    severity: Severity
    message: str
    hint: str | None = None
    # For access.blocked-address where the message names the address: the denylisted networks (CIDR) that
    # refused it, all of which an exemption (``allow_networks``, CLI ``--allow-network``) must cover to let it
    # through. Not part of the JSON contract, and left empty where the address is withheld (the service).
    refused_networks: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of the public contract."""
        return {"code": self.code, "severity": self.severity.value, "message": self.message, "hint": self.hint}


# Formats the scan names that are certainly not audio (MediaInfo.holds_audio).
NOT_AUDIO_FORMATS = frozenset({"empty", "gzip", "html", "image", "json", "pdf", "xml", "zip"})


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the bytes are and how long they play, as measured by the frame scan (and the deep check)."""

    format: str
    bytes: int
    complete: bool
    duration_s: float | None = None
    stream_duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    mpeg_version: str | None = None
    layer: int | None = None
    bitrate_kbps: int | None = None
    bitrate_mode: str | None = None
    frames: int | None = None
    # Tag accounting (ID3v2/ID3v1/APE sizes, title, artist, pictures) and deep-check measurements; None
    # when not measured. Plain JSON-ready mappings so the report stays one to_dict() away from the wire.
    tags: Mapping[str, Any] | None = None
    audio: Mapping[str, Any] | None = None
    # A WAV file's container and fmt chunk details (platform profiles that accept WAV); absent from the JSON
    # when None, so reports of every other file are unchanged.
    wav: Mapping[str, Any] | None = None

    @property
    def holds_audio(self) -> bool:
        """False when the bytes are plainly no audio (a web page, a document, an archive, empty): nothing to
        decode, draw or fix. Anything else may hold audio for ffmpeg, whether or not the scan could name it."""
        return self.format not in NOT_AUDIO_FORMATS

    def shape(self) -> str:
        """The stream's shape in words, e.g. "MPEG-1 Layer III, 64 kbps CBR, 44.1 kHz, mono" ("" when unknown)."""
        parts = []
        if self.wav is not None and self.wav.get("codec_description"):  # a WAV measured under a platform profile
            parts.append(str(self.wav["codec_description"]))
        if self.mpeg_version and self.layer:
            parts.append(f"MPEG-{self.mpeg_version} Layer {'I' * self.layer if self.layer < 4 else self.layer}")
        if self.bitrate_kbps:
            parts.append(f"{self.bitrate_kbps} kbps" + (f" {self.bitrate_mode.upper()}" if self.bitrate_mode else ""))
        if self.sample_rate:
            parts.append(f"{self.sample_rate / 1000:g} kHz")
        if self.channels:
            parts.append({1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels} channels"))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The media facts as the JSON object of the public contract."""
        data = {
            "format": self.format,
            "duration_s": self.duration_s,
            "stream_duration_s": self.stream_duration_s,
            "complete": self.complete,
            "bytes": self.bytes,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "mpeg_version": self.mpeg_version,
            "layer": self.layer,
            "bitrate_kbps": self.bitrate_kbps,
            "bitrate_mode": self.bitrate_mode,
            "frames": self.frames,
            "tags": dict(self.tags) if self.tags is not None else None,
            "audio": dict(self.audio) if self.audio is not None else None,
        }
        if self.wav is not None:
            data["wav"] = dict(self.wav)
        return data


@dataclass(frozen=True, slots=True)
class Redirect:
    """One redirect hop the fetch followed: where it was, what it answered, where it pointed."""

    url: str
    status: int
    location: str

    def to_dict(self) -> dict[str, Any]:
        """The hop as a JSON object."""
        return {"url": self.url, "status": self.status, "location": self.location}


@dataclass(frozen=True, slots=True)
class FetchInfo:
    """What fetching a URL looked like: the final address, status, type, hops, the body bytes read and announced."""

    final_url: str
    status: int | None
    content_type: str | None
    redirects: tuple[Redirect, ...] = ()
    bytes_read: int = 0
    elapsed_s: float = 0.0
    # The final answer's Content-Length: with it, a body the scan stopped reading early still has a known size.
    content_length: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fetch facts as the JSON object of the public contract."""
        return {
            "final_url": self.final_url,
            "status": self.status,
            "content_type": self.content_type,
            "redirects": [hop.to_dict() for hop in self.redirects],
            "bytes_read": self.bytes_read,
            "elapsed_s": round(self.elapsed_s, 6),
            "content_length": self.content_length,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The answer for one target: it passes when no finding is an error."""

    target: str
    findings: tuple[Finding, ...] = ()
    media: MediaInfo | None = None
    fetch: FetchInfo | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings that make the report fail."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings worth a look that do not fail the report."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def codes(self) -> list[str]:
        """The finding codes in report order (handy in tests and scripts)."""
        return [f.code for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """The report as the JSON document of the public contract."""
        return {
            "target": self.target,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "media": self.media.to_dict() if self.media is not None else None,
            "fetch": self.fetch.to_dict() if self.fetch is not None else None,
        }
