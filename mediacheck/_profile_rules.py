"""A platform profile's rules: pure functions from the scan's facts (MP3 or WAV), limits and a profile to findings.

Under ``daily`` none of this runs: the Inspector keeps the original rules (:mod:`mediacheck._rules`). Under any
other profile those rules judge MP3 facts with the profile's words for the size and duration bounds (handed to
them as :class:`mediacheck._rules.LimitWords`, never patched into their messages), their format findings are
replaced by the profile's and "played twice" is Daily's alone; WAV facts are judged here, and the profile adds
its own rules: codec, sample rate, channels, bit depth and, for fetched URLs, the Content-Type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mediacheck._facts import MediaFacts
from mediacheck._limits import Limits
from mediacheck._profiles import Profile
from mediacheck._report import Finding, MediaInfo, Report, Severity
from mediacheck._rules import LimitWords, evaluate
from mediacheck._scan.wav import WavFacts
from mediacheck._urlpolicy import shorten

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_FORMAT_NAMES = {"mp3": "MP3", "wav": "WAV"}
_LAW_NAMES = {"pcm_mulaw": "µ-law (pcm_mulaw)", "pcm_alaw": "A-law (pcm_alaw)", "mp3": "MP3"}


def _words(items: tuple[Any, ...], name: dict[str, str] | None = None) -> str:
    names = [name.get(str(i), str(i)) if name else str(i) for i in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _codec_name(codec: str) -> str:
    if codec.startswith("pcm_") and codec not in _LAW_NAMES:
        kind = "float" if codec[4] == "f" else "unsigned" if codec[4] == "u" else "signed"
        return f"{codec[5:7].rstrip('lb')}-bit {kind} PCM ({codec})"
    return _LAW_NAMES.get(codec, codec)


def _sorted(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: _ORDER[f.severity]))


def size_bound(limits: Limits, profile: Profile) -> str:
    """The size rule in words: the profile's own (with its "at most") when the limits are the profile's."""
    if profile.max_bytes is not None and profile.max_bytes_inclusive and \
            limits.size_limit_bytes == profile.max_bytes + 1:
        return f"at most {profile.max_bytes:,} bytes"
    return f"less than {limits.size_limit_bytes:,} bytes"


def duration_bound(limits: Limits, profile: Profile) -> str:
    """The duration rule in words, as :func:`size_bound`."""
    if profile.max_seconds is not None and profile.max_seconds_inclusive and \
            limits.duration_limit_s == profile.limits().duration_limit_s:
        return f"at most {profile.max_seconds:g} s"
    return f"less than {limits.duration_limit_s:g} s"


def _fix_hint(profile: Profile) -> str:
    target = profile.fix
    if target is None or target.format != "wav":
        return ("Convert it, e.g. `mediacheck fix INPUT -o OUTPUT --profile "
                f"{profile.name}`, or `ffmpeg -i INPUT -vn -codec:a libmp3lame -b:a 128k hold.mp3`.")
    return (f"Convert it with `mediacheck fix INPUT -o OUTPUT.wav --profile {profile.name}` or "
            f"`ffmpeg -i INPUT -vn -ar {target.sample_rate} -ac {target.channels} -c:a {target.codec} OUTPUT.wav`.")


def _not_allowed(description: str, profile: Profile) -> Finding:
    return Finding("format.not-allowed", Severity.ERROR,
                   f"This is {description}; for {profile.title} it must be a {_words(profile.formats, _FORMAT_NAMES)} "
                   "file.",
                   _fix_hint(profile))


# -- MP3 (and everything the MPEG scanner names) -------------------------------------------------------------

def mp3_findings(facts: MediaFacts, limits: Limits, profile: Profile) -> tuple[Finding, ...]:
    """The original rules' findings, adjusted to the profile, plus the profile's own rules for an MP3 stream."""
    out: list[Finding] = []
    for finding in evaluate(facts, limits, LimitWords(size_bound(limits, profile), duration_bound(limits, profile))):
        code = finding.code
        if code == "duration.played-twice" and not profile.played_twice:
            continue
        if code == "format.not-mp3" and profile.formats != ("mp3",):
            if facts.format in profile.formats:  # a WAV the MPEG scanner met behind a leading tag
                finding = Finding("format.corrupt", Severity.ERROR,
                                  f"This is {facts.description} with other bytes before its header, which players "
                                  "do not expect.", _fix_hint(profile))
            else:
                finding = _not_allowed(facts.description, profile)
        elif code == "format.wrong-layer" and "mp3" not in profile.formats:
            finding = _not_allowed(f"MPEG Layer {'I' * (facts.layer or 0)} audio", profile)
        out.append(finding)
    if facts.format == "mp3":
        if "mp3" not in profile.formats:
            out.append(_not_allowed("MP3 audio", profile))
        else:
            out.extend(_shape_findings("mp3", facts.sample_rate, facts.channels, None, profile))
    return _sorted(out)


def _shape_findings(codec: str | None, rate: int | None, channels: int | None, bits: int | None,
                    profile: Profile) -> list[Finding]:
    out: list[Finding] = []
    hint = _fix_hint(profile)
    if profile.codecs is not None and codec is not None and codec not in profile.codecs:
        out.append(Finding("format.codec", Severity.ERROR,
                           f"The audio is {_codec_name(codec)}; for {profile.title} it must be "
                           f"{_words(profile.codecs, _LAW_NAMES)}.", hint))
    if profile.sample_rates is not None and rate is not None and rate not in profile.sample_rates:
        out.append(Finding("format.sample-rate", Severity.ERROR,
                           f"The sample rate is {rate:,} Hz; for {profile.title} it must be "
                           f"{_words(tuple(f'{r:,} Hz' for r in profile.sample_rates))}.", hint))
    if profile.channels is not None and channels is not None and channels not in profile.channels:
        names = {1: "mono", 2: "stereo"}
        plural = "s" if channels != 1 else ""
        out.append(Finding("format.channels", Severity.ERROR,
                           f"The audio has {channels} channel{plural}; for {profile.title} it must be "
                           f"{_words(tuple(names.get(c, f'{c} channels') for c in profile.channels))}.", hint))
    if profile.bit_depths is not None and bits is not None and bits not in profile.bit_depths:
        out.append(Finding("format.bit-depth", Severity.ERROR,
                           f"The samples are {bits}-bit; for {profile.title} they must be "
                           f"{_words(tuple(f'{b}-bit' for b in profile.bit_depths))}.", hint))
    return out


# -- WAV --------------------------------------------------------------------------------------------------------

def wav_findings(facts: WavFacts, limits: Limits, profile: Profile) -> tuple[Finding, ...]:
    """Every finding the WAV facts support under the profile, errors first."""
    out: list[Finding] = []
    if facts.bytes >= limits.size_limit_bytes:
        at_least = "" if facts.complete else "at least "
        out.append(Finding("size.too-large", Severity.ERROR,
                           f"The file is {at_least}{facts.bytes:,} bytes; it must be {size_bound(limits, profile)}.",
                           "Shorten it, or lower the sample rate, channels or bit depth (8 kHz mono µ-law is "
                           "64 kbit/s, 8 KB a second)."))
    if "wav" not in profile.formats:
        out.append(_not_allowed(f"a WAV file holding {facts.codec_description or 'audio'}", profile))
        return _sorted(out)
    if facts.corrupt is not None:
        out.append(Finding("format.corrupt", Severity.ERROR, f"This WAV file cannot be played: {facts.corrupt}.",
                           "Export the audio again as WAV from the original source."))
        return _sorted(out)
    if facts.data_chunks > 1:
        out.append(Finding("format.corrupt", Severity.ERROR,
                           f"The file has {facts.data_chunks} data chunks; players disagree about which to play "
                           "(FFmpeg plays the last, a streaming player the first).",
                           "Export the audio again as one WAV file."))
    if facts.fmt_after_data:
        out.append(Finding("format.corrupt", Severity.ERROR,
                           "The fmt chunk comes after the audio data, so a player reading the file as it arrives "
                           "cannot decode it.", "Export the audio again as WAV (the fmt chunk then comes first)."))
    measured = facts.measured
    if measured and facts.frames == 0 and facts.complete:
        out.append(Finding("format.corrupt", Severity.ERROR,
                           "This WAV file holds no audio: its data chunk has not one whole sample frame.",
                           "Export the audio again as WAV from the original source."))
    if not measured:
        out.append(Finding("format.codec", Severity.ERROR,
                           f"This WAV file holds {facts.codec_description}, which mediacheck cannot vouch for (it "
                           "measures PCM, float, µ-law and A-law WAV to the sample).", _fix_hint(profile)))
    out.extend(_shape_findings(facts.codec, facts.sample_rate, facts.channels,
                               facts.bits_per_sample if measured else None, profile))
    out.extend(_wav_duration_findings(facts, limits, profile))
    out.extend(_wav_blemishes(facts))
    return _sorted(out)


def _wav_duration_findings(facts: WavFacts, limits: Limits, profile: Profile) -> list[Finding]:
    if facts.frames is None or not facts.sample_rate:
        return []
    seconds = facts.frames / facts.sample_rate
    if seconds < limits.duration_limit_s:
        return []
    measured = (f"It plays for {seconds:.3f} s" if facts.complete
                else f"It runs for more than {seconds:.3f} s (the scan stopped once that was certain)")
    target = max(limits.duration_limit_s - 1, 1) if profile.max_seconds is not None else 60
    return [Finding("duration.too-long", Severity.ERROR, f"{measured}; it must be {duration_bound(limits, profile)}.",
                    f"Trim it, e.g. `ffmpeg -i IN.wav -t {target:g} -c copy OUT.wav`, ideally with a fade-out.")]


def _wav_blemishes(facts: WavFacts) -> list[Finding]:
    out: list[Finding] = []
    cut = []
    if facts.truncated and facts.data_declared is not None:
        cut.append(f"the data chunk claims {facts.data_declared:,} bytes but the file ends after "
                   f"{facts.data_bytes:,} of them")
    if facts.partial_frame_bytes:
        cut.append(f"it ends {facts.partial_frame_bytes} byte(s) into a sample frame, which players drop")
    if cut and facts.complete:
        out.append(Finding("format.truncated", Severity.WARNING,
                           "The audio is cut short: " + "; ".join(cut) + " (an interrupted upload or export?).",
                           "Upload the complete file again."))
    odd = []
    if facts.data_chunks and facts.data_declared is None and facts.container in ("RIFF", "RIFX"):
        odd.append("the data chunk's size is unset (0 or 0xFFFFFFFF, as a streaming recorder leaves it), so "
                   "players that trust it may play nothing")
    if facts.block_align_mismatch:
        odd.append(f"the block align ({facts.block_align}) does not match {facts.channels} channel(s) of "
                   f"{facts.container_bits}-bit samples")
    if facts.valid_bits_narrower:
        odd.append(f"it declares {facts.valid_bits} valid bits in {facts.container_bits}-bit samples, which "
                   f"FFmpeg-based players decode as {facts.bits_per_sample}-bit audio (wrong length, noise)")
    if odd:
        out.append(Finding("format.wav-header", Severity.WARNING,
                           "The WAV header is inconsistent: " + "; ".join(odd) + ".",
                           "Export the audio again as WAV so the header is rewritten."))
    return out


def wav_media_info(facts: WavFacts) -> MediaInfo:
    """The report's media section for a WAV file (``wav`` holds the container and fmt chunk details)."""
    duration = None
    bitrate = None
    if facts.frames is not None and facts.sample_rate:
        duration = round(facts.frames / facts.sample_rate, 6)
    if facts.frame_bytes and facts.sample_rate:
        bitrate = round(facts.frame_bytes * 8 * facts.sample_rate / 1000)
    details = {
        "container": facts.container, "codec": facts.codec, "codec_description": facts.codec_description,
        "format_tag": facts.format_tag, "bits_per_sample": facts.bits_per_sample, "block_align": facts.block_align,
        "data_bytes": facts.data_bytes, "data_declared": facts.data_declared, "data_chunks": facts.data_chunks,
        "partial_frame_bytes": facts.partial_frame_bytes, "chunks": list(facts.chunks),
    }
    return MediaInfo(format="wav", bytes=facts.bytes, complete=facts.complete, duration_s=duration,
                     stream_duration_s=duration, sample_rate=facts.sample_rate, channels=facts.channels,
                     bitrate_kbps=bitrate, frames=facts.frames, wav=details)


def inspect_for_profile(facts: MediaFacts | WavFacts, limits: Limits, profile: Profile,
                        mpeg_media_info: Callable[[MediaFacts], MediaInfo]) -> tuple[MediaInfo, tuple[Finding, ...]]:
    """The media section and findings of a scan judged under ``profile``."""
    if isinstance(facts, WavFacts):
        return wav_media_info(facts), wav_findings(facts, limits, profile)
    return mpeg_media_info(facts), mp3_findings(facts, limits, profile)


# -- fetched URLs -----------------------------------------------------------------------------------------------

def content_type_finding(content_type: str | None, profile: Profile) -> Finding | None:
    """The profile's Content-Type rule: None when it has none or the type is one it accepts."""
    accepted = profile.content_types
    if accepted is None:
        return None
    severity = Severity.ERROR if profile.content_type_required else Severity.WARNING
    wanted = _words(accepted)
    hint = f"Configure the server (or the object's metadata) to send Content-Type: {accepted[0]}."
    if content_type is None:
        return Finding("access.content-type", severity,
                       f"The server sends no Content-Type header; for {profile.title} it must be {wanted}.", hint)
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence in accepted:
        return None
    return Finding("access.content-type", severity,
                   f"The server labels the file {shorten(content_type)!r}; for {profile.title} it must be {wanted}.",
                   hint)


def apply_to_fetch(report: Report, profile: Profile) -> Report:
    """Replace the default Content-Type warning of a fetched report with the profile's own rule."""
    if report.fetch is None or report.fetch.status is None or not 200 <= report.fetch.status < 300:
        return report
    findings = [f for f in report.findings if f.code != "access.content-type"]
    own = content_type_finding(report.fetch.content_type, profile)
    if own is not None:
        findings.append(own)
    return dataclasses.replace(report, findings=_sorted(findings))
