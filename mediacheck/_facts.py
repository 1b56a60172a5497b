"""The facts a scan measured, handed from the scanner to the rules: a plain value, no behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """What the scan measured: the format, the size, the MPEG stream's numbers and its blemishes."""

    format: str
    description: str
    bytes: int
    complete: bool
    layer: int | None = None
    mpeg_version: str | None = None
    sample_rate: int | None = None
    playback_samples: int | None = None
    stream_samples: int | None = None
    header_frames: int | None = None  # what a Xing/VBRI header claims
    header_kind: str | None = None
    audio_frames: int = 0
    extra_header_frames: int = 0  # Xing/Info frames met after the first audio frame (joined files)
    junk_bytes: int = 0
    junk_runs: int = 0
    truncated_last_frame: bool = False
    free_format: bool = False
    variable_bitrate: bool = False
    tag_bytes: int = 0
    tag_kinds: tuple[str, ...] = field(default_factory=tuple)
    format_known: bool = True  # False when the scan stopped (size limit) before the format could be told
    channels: int | None = None
    audio_bytes: int = 0
    tags: Mapping[str, Any] | None = None  # the report's tag summary: bytes by kind, title, artist, pictures
    abandoned: bool = False  # the stream left its frame chain too often (false headers, stray tags) to go on
    mixed_streams: bool = False  # frames of a second kind (sample rate, version, layer) follow the first stream
    ffmpeg_opens: bool = True  # FFmpeg's demuxer finds two consecutive frames where it looks (or the file is long)
