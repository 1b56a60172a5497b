"""What fix tells its caller: the check of what it wrote, and in plain words what it changed to get there.

The changes are worked out from ffmpeg's own account of the input (the ``Input #0`` block it logs at info
level: container, codec, duration, sample rate, channel layout, tags, cover art) set against the check of the
output, so every sentence states something measured, not merely what fix intended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mediacheck._report import MediaInfo, Report

# Differences below these are encoder delay and container rounding, not something fix did.
_SECONDS_TOLERANCE = 0.1
_TECHNICAL_TAGS = frozenset({"encoder", "major_brand", "minor_version", "compatible_brands", "creation_time",
                             "handler_name", "vendor_id", "duration"})
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6, "octagonal": 8}
_FORMAT_NAMES = {"mp4": "M4A/MP4", "ogg": "Ogg", "webm": "WebM/Matroska", "wma": "WMA", "aiff": "AIFF",
                 "amr": "AMR", "aac": "AAC", "flac": "FLAC", "wav": "WAV", "mp2": "MP2", "mp1": "MP1"}

_PREFIX = re.compile(r"^(?:\[[^\]]*\] ?)+")
_INPUT = re.compile(r"^Input #0, (?P<container>[^ ]+), from ")
_DURATION = re.compile(r"^\s+Duration: (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)")
_AUDIO = re.compile(r"^\s+Stream #0:\d+\S*: Audio: (?P<codec>[^ ,]+)[^,]*(?:, (?P<rate>\d+) Hz)?"
                    r"(?:, (?P<layout>[^,]+))?")
_BITRATE = re.compile(r", (?P<kbps>\d+) kb/s")
_TAG = re.compile(r"^ {4,6}(?P<key>[^\s:][^:]*?)\s*: ")


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """What ffmpeg said about the input it read (its first audio stream); None where it said nothing."""

    container: str | None = None
    codec: str | None = None
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bitrate_kbps: int | None = None
    tags: tuple[str, ...] = ()
    cover_art: bool = False


def _channels(layout: str | None) -> int | None:
    if layout is None:
        return None
    layout = layout.strip()
    counted = re.match(r"(\d+) channels?", layout)
    if counted:
        return int(counted.group(1))
    named = _LAYOUT_CHANNELS.get(layout.split("(")[0])
    if named is not None:
        return named
    surround = re.match(r"(\d+)\.(\d+)", layout)  # 5.1 -> 6, 7.1(wide) -> 8
    return int(surround.group(1)) + int(surround.group(2)) if surround else None


def parse_input_log(log: str) -> SourceFacts:
    """The facts of ``Input #0`` from an ffmpeg log written with ``-loglevel level+info`` (or plain ``info``)."""
    facts: dict[str, Any] = {}
    tags: list[str] = []
    inside = False
    in_picture = False  # a cover art stream's own metadata ("comment: Cover (front)") is not the file's tags
    for raw in log.splitlines():
        line = _PREFIX.sub("", raw)
        started = _INPUT.match(line)
        if started:
            inside = True
            facts["container"] = started["container"]
            continue
        if not inside:
            continue
        if line and not line[0].isspace():
            break  # "Stream mapping:", "Output #0": the input's block is over
        duration = _DURATION.match(line)
        if duration:
            facts["duration_s"] = int(duration["h"]) * 3600 + int(duration["m"]) * 60 + float(duration["s"])
            continue
        if line.lstrip().startswith("Stream #"):
            in_picture = False
        audio = _AUDIO.match(line)
        if audio and "codec" not in facts:
            facts["codec"] = audio["codec"]
            facts["sample_rate"] = int(audio["rate"]) if audio["rate"] else None
            facts["channels"] = _channels(audio["layout"])
            kbps = _BITRATE.search(line)
            facts["bitrate_kbps"] = int(kbps["kbps"]) if kbps else None
            continue
        if "Video:" in line and "(attached pic)" in line:
            facts["cover_art"] = in_picture = True
            continue
        tag = None if in_picture else _TAG.match(line)
        if tag and tag["key"].strip().lower() not in _TECHNICAL_TAGS:
            key = tag["key"].strip().lower()
            if key not in tags:
                tags.append(key)
    return SourceFacts(tags=tuple(tags), **facts)


@dataclass(frozen=True, slots=True)
class FixChange:
    """One thing fix changed, as a stable code, a plain-words message, and the values before and after."""

    code: str
    message: str
    before: float | int | str | None = None
    after: float | int | str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The change as a JSON object."""
        return {"code": self.code, "message": self.message, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class FixReport(Report):
    """The check of what fix wrote (or of the input, when it already passed and nothing was written).

    ``written`` says whether the output was written; ``changes`` what was done to the audio, in order;
    ``source`` the input as given; ``removed_leftovers`` the temporary files of earlier, killed fix runs
    that were deleted from the output's folder.
    """

    source: str = ""
    written: bool = False
    changes: tuple[FixChange, ...] = ()
    removed_leftovers: tuple[str, ...] = ()

    def summary(self) -> str:
        """What fix did, in one sentence."""
        if not self.written:
            return f"{self.source} already passes with no warnings; nothing to do (no file was written)."
        done = "; ".join(change.message for change in self.changes) or "re-encoded it"
        return f"Wrote {self.target} from {self.source}: {done}."

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON with a ``fix`` object: source, written, changes, removed_leftovers."""
        document = Report.to_dict(self)
        document["fix"] = {"source": self.source, "written": self.written,
                           "changes": [change.to_dict() for change in self.changes],
                           "removed_leftovers": list(self.removed_leftovers)}
        return document


def _format_name(source_format: str, source: SourceFacts) -> str:
    if source_format in ("unknown", "mp3") and source.container:
        return source.container.split(",")[0].upper()
    return _FORMAT_NAMES.get(source_format, source_format.upper())


def describe_changes(source: SourceFacts, source_format: str, output: MediaInfo, *, target_seconds: float,
                     fade_seconds: float, strip_silence: bool, normalize: bool) -> tuple[FixChange, ...]:
    """The changes from ``source`` (as ffmpeg read it; ``source_format`` as the check named it) to ``output``."""
    changes: list[FixChange] = []
    before, after = source.duration_s, output.duration_s
    if after is not None:
        cut = after >= target_seconds - _SECONDS_TOLERANCE and (before is None or before > after + _SECONDS_TOLERANCE)
        if cut:
            said = f"cut from {before:.1f} s to {after:.1f} s" if before is not None else f"cut to {after:.1f} s"
            changes.append(FixChange("trimmed", said, before, round(after, 3)))
            if fade_seconds > 0:
                changes.append(FixChange("faded", f"faded out over the last {fade_seconds:g} s", None, fade_seconds))
        elif strip_silence and before is not None and before - after > _SECONDS_TOLERANCE:
            changes.append(FixChange("removed-silence", f"removed {before - after:.1f} s of silence from the start",
                                     before, round(after, 3)))
    if normalize:
        changes.append(FixChange("normalized", "normalised the loudness to -18 LUFS (true peak at most -2 dBTP)"))
    if source.channels is not None and output.channels is not None and source.channels != output.channels:
        names = {1: "mono", 2: "stereo"}
        was = names.get(source.channels, f"{source.channels} channels")
        now = names.get(output.channels, f"{output.channels} channels")
        verb = "downmixed" if source.channels > output.channels else "upmixed"
        changes.append(FixChange(verb, f"{verb} {was} to {now}", source.channels, output.channels))
    if source.sample_rate is not None and output.sample_rate is not None and source.sample_rate != output.sample_rate:
        changes.append(FixChange("resampled", f"resampled {source.sample_rate:,} Hz to {output.sample_rate:,} Hz",
                                 source.sample_rate, output.sample_rate))
    rate = f"{output.bitrate_kbps} kbps CBR" if output.bitrate_kbps else "a constant bitrate"
    was_rate = f" ({source.bitrate_kbps} kbps)" if source.bitrate_kbps else ""
    if output.format != "mp3":  # a profile's WAV (fix --profile connect): name its codec, a WAV has no bitrate choice
        wav_codec = (output.wav or {}).get("codec_description")
        made = f"{wav_codec} {output.format.upper()}" if wav_codec else output.format.upper()
        name = _format_name(source_format, source)
        codec = f" ({source.codec})" if source.codec and source.codec.lower() != name.lower() else ""
        changes.append(FixChange("converted", f"converted {name}{codec} to {made}", source_format, output.format))
    elif source_format == "mp3":
        changes.append(FixChange("re-encoded", f"re-encoded the MP3{was_rate} at {rate}", source.bitrate_kbps,
                                 output.bitrate_kbps))
    else:
        name = _format_name(source_format, source)
        codec = f" ({source.codec})" if source.codec else ""
        changes.append(FixChange("converted", f"converted {name}{codec} to MP3 at {rate}", source_format, "mp3"))
    removed = []
    if source.tags:
        removed.append(f"the tags ({', '.join(source.tags)})")
    if source.cover_art:
        removed.append("the cover art")
    if removed:
        changes.append(FixChange("removed-tags", f"removed {' and '.join(removed)}"))
    return tuple(changes)
