"""The rules: pure functions from the scan's measured facts and the limits to findings, each with a message and a hint.

No I/O and no scanning here: the Inspector measures, these functions judge, so every verdict can be
tested from a hand-built ``MediaFacts``. Limits are exclusive ("less than"), so a value equal to a limit fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mediacheck._facts import MediaFacts
from mediacheck._limits import Limits
from mediacheck._report import Finding, Severity

# Tags that use this share of the size budget earn a warning: bytes that play nothing.
TAG_BUDGET_SHARE = 0.05
# A stream whose junk reaches this share of its bytes is called corrupt rather than merely untidy...
CORRUPT_JUNK_SHARE = 0.25
# ...once the junk is also this large: FFmpeg skips a little junk (its first search alone looks 64 KiB for frames)
# and plays the frames around it, so a tiny clean file with a few hundred stray bytes is untidy, not damaged.
CORRUPT_JUNK_MIN_BYTES = 64 * 1024
# The minimum playable audio: FFmpeg must play at least this long (after the gapless trim) for a file to pass.
# Less is no hold music (a click, a lone frame, a header) and some decoders refuse it outright.
MIN_PLAYBACK_S = 1.0

_CONVERT_HINT = ("Re-encode it as MP3, e.g. `ffmpeg -i INPUT -vn -codec:a libmp3lame -b:a 128k hold.mp3`, "
                 "and host that file.")
_FORMAT_HINTS = {
    "empty": "Upload the audio file again: this one has no bytes.",
    "html": ("The link returns a web page, not the file: use the direct download link "
             "(for example `?dl=1` on Dropbox, the raw URL on GitHub)."),
    "xml": "The server answered with an error document: check that the object exists and is publicly readable.",
    "json": "The link returns an API response: use the URL of the audio file itself.",
    "pdf": "Link to the MP3 file, not to a document.",
}


@dataclass(frozen=True, slots=True)
class LimitWords:
    """How the findings word the size and duration rules: "less than 10,000,000 bytes", "at most 300 s"."""

    size: str
    duration: str

    @classmethod
    def of(cls, limits: Limits) -> LimitWords:
        """The limits' own words: each is exclusive, "less than" its value."""
        return cls(f"less than {limits.size_limit_bytes:,} bytes", f"less than {limits.duration_limit_s:g} s")


def _seconds(samples: int, rate: int) -> float:
    return samples / rate


def evaluate(facts: MediaFacts, limits: Limits, words: LimitWords | None = None) -> tuple[Finding, ...]:
    """Every finding the facts support, errors first, in a stable order (the bounds worded by ``words``)."""
    words = words or LimitWords.of(limits)
    findings = [*_size_findings(facts, limits, words), *_format_findings(facts),
                *_duration_findings(facts, limits, words)]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return tuple(sorted(findings, key=lambda f: order[f.severity]))


def _size_findings(facts: MediaFacts, limits: Limits, words: LimitWords) -> list[Finding]:
    out: list[Finding] = []
    limit = limits.size_limit_bytes
    if facts.bytes >= limit:
        at_least = "" if facts.complete or facts.format != "mp3" else "at least "
        out.append(Finding(
            "size.too-large", Severity.ERROR,
            f"The file is {at_least}{facts.bytes:,} bytes; it must be {words.size}.",
            "Shrink it: re-encode at a lower bitrate (64-128 kbps is plenty on a phone line), shorten it, "
            "or strip embedded pictures."))
    if facts.tag_bytes and facts.tag_bytes >= TAG_BUDGET_SHARE * limit:
        kinds = ", ".join(facts.tag_kinds) or "tags"
        out.append(Finding(
            "size.tags-large", Severity.WARNING,
            f"Tags ({kinds}) take {facts.tag_bytes:,} bytes, {facts.tag_bytes / limit:.0%} of the size budget, "
            "and play nothing.",
            "Strip the tags and cover art, e.g. `ffmpeg -i IN.mp3 -map 0:a -map_metadata -1 -c copy OUT.mp3`."))
    return out


def _format_findings(facts: MediaFacts) -> list[Finding]:
    fmt = facts.format
    if not facts.format_known:
        return []
    if fmt == "mp2" or fmt == "mp1":
        return [Finding(
            "format.wrong-layer", Severity.ERROR,
            f"This is MPEG-{facts.mpeg_version} Layer {'I' * (facts.layer or 0)} audio ({fmt.upper()}), "
            "not MP3 (Layer III).", _CONVERT_HINT)]
    if fmt == "id3":
        return [Finding("format.corrupt", Severity.ERROR,
                        "The file holds an ID3 tag but no MPEG audio frames after it.",
                        "Export the audio again as MP3; this file lost its audio.")]
    if fmt != "mp3":
        return [Finding("format.not-mp3", Severity.ERROR, f"This is {facts.description}, not MP3 audio.",
                        _FORMAT_HINTS.get(fmt, _CONVERT_HINT))]
    out: list[Finding] = []
    if facts.free_format:
        out.append(Finding(
            "format.free-format", Severity.ERROR,
            "The stream uses MPEG free-format bitrate, which FFmpeg (like many players and telephony systems) "
            "cannot decode at all.",
            "Export it again from the original recording as MP3 at a standard bitrate (e.g. 128 kbps CBR): "
            "FFmpeg cannot read this file, so it cannot be re-encoded from it."))
    elif not facts.ffmpeg_opens:
        what = "no audio frame after its header frame" if facts.audio_frames == 0 else "no two consecutive frames"
        out.append(Finding(
            "format.no-audio", Severity.ERROR,
            f"The MPEG stream has {what}, so FFmpeg refuses to open it and nothing plays.",
            "Export the audio again as MP3: this file holds no playable audio."))
    audio_and_junk = facts.junk_bytes + max(1, facts.bytes - facts.tag_bytes - facts.junk_bytes)
    if facts.mixed_streams:
        out.append(Finding(
            "format.corrupt", Severity.ERROR,
            "The stream changes sample rate, MPEG version or layer part-way (files of different encodings joined): "
            "many players stop or garble there, and the parts together may play longer than measured.",
            "Re-encode the whole file as one MP3: `ffmpeg -i IN.mp3 -codec:a libmp3lame -b:a 128k OUT.mp3`."))
    elif facts.abandoned:
        out.append(Finding(
            "format.corrupt", Severity.ERROR,
            "The stream keeps breaking off (false frame headers, stray tags or junk, over and over): "
            "the file is damaged, so the scan gave up.",
            "Export the audio again from the original source as MP3."))
    elif facts.junk_bytes >= max(CORRUPT_JUNK_SHARE * audio_and_junk, CORRUPT_JUNK_MIN_BYTES):
        out.append(Finding(
            "format.corrupt", Severity.ERROR,
            f"{facts.junk_bytes:,} bytes of the stream are not MPEG audio frames: the file is damaged.",
            "Export the audio again from the original source as MP3."))
    elif facts.junk_bytes:
        out.append(Finding(
            "format.junk", Severity.WARNING,
            f"{facts.junk_bytes:,} bytes in {facts.junk_runs} place(s) are not audio frames; players skip them.",
            "Re-encode or remux it (`ffmpeg -i IN.mp3 -c copy OUT.mp3`) to get a clean stream."))
    if facts.truncated_last_frame:
        out.append(Finding(
            "format.truncated", Severity.WARNING,
            "The last audio frame is cut short: the file was truncated (an interrupted upload or download?).",
            "Upload the complete file again."))
    return out


def _duration_findings(facts: MediaFacts, limits: Limits, words: LimitWords) -> list[Finding]:
    if facts.format != "mp3" or facts.sample_rate is None or facts.stream_samples is None:
        return []
    rate = facts.sample_rate
    stream_s = _seconds(facts.stream_samples, rate)
    playback_s = _seconds(facts.playback_samples if facts.playback_samples is not None else facts.stream_samples,
                          rate)
    limit = limits.duration_limit_s
    out: list[Finding] = []
    if playback_s >= limit or stream_s >= limit:
        if facts.complete:
            measured = f"It plays for {playback_s:.3f} s (all frames: {stream_s:.3f} s)"
        else:
            # The scan stops for duration only once the playback (not just the stream) reaches the limit, so
            # both lower bounds shown here already say "too long".
            measured = (f"It plays for at least {playback_s:.3f} s (all frames: at least {stream_s:.3f} s; the scan "
                        "stopped once that was certain)")
        out.append(Finding(
            "duration.too-long", Severity.ERROR, f"{measured}; it must be {words.duration}.",
            f"Trim it below {limit:g} s, e.g. `ffmpeg -i IN.mp3 -t {max(limit - 1, 1):g} "
            "-codec:a libmp3lame -b:a 128k OUT.mp3`, ideally with a fade-out."))
    if facts.header_frames is not None and facts.complete and (
            facts.header_frames != facts.audio_frames or facts.extra_header_frames):
        joined = " (more than one header: joined files)" if facts.extra_header_frames else ""
        out.append(Finding(
            "duration.header-mismatch", Severity.WARNING,
            f"The {facts.header_kind} header claims {facts.header_frames:,} frames but the stream has "
            f"{facts.audio_frames:,}{joined}; tools that trust the header show the wrong length.",
            "Re-encode it (or `ffmpeg -i IN.mp3 -c copy OUT.mp3`) to write a correct header."))
    elif facts.header_frames is None and facts.variable_bitrate and facts.complete:
        out.append(Finding(
            "duration.no-vbr-header", Severity.INFO,
            "The bitrate varies but there is no Xing/VBRI header, so header-reading tools guess the length wrong.",
            "Remux it with `ffmpeg -i IN.mp3 -c copy OUT.mp3` to add a Xing header."))
    playable = facts.ffmpeg_opens and not facts.free_format
    if facts.complete and playable and playback_s < MIN_PLAYBACK_S:
        out.append(Finding(
            "duration.too-short", Severity.ERROR,
            # Cut, not rounded, to the millisecond: 0.99998 s must not read "1.000 s" next to "at least 1 s".
            f"It plays for only {math.floor(playback_s * 1000) / 1000:.3f} s; hold music must play for at least "
            f"{MIN_PLAYBACK_S:g} s.",
            "Export the whole recording again; a file this short is a click, not music."))
    elif facts.complete and playable and playback_s < limit:
        out.append(Finding(
            "duration.played-twice", Severity.INFO,
            f"Pinless dial-in plays the hold music twice, so callers hear it for up to {2 * playback_s:.1f} s.",
            "Make sure it still sounds right when it repeats (a clean loop point helps)."))
    return out
