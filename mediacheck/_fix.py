"""Turn any audio ffmpeg can read into hold music that passes the check with a margin, in one ffmpeg pass.

ffmpeg does all of it in a single filter graph: strip leading silence, optionally normalise loudness, fade
out before the cut, stop at the target duration, downmix, resample and encode to a constant bitrate chosen to
fit the size limit, with no tags and no cover art. It stops reading the input once the output is long
enough, so a 10-minute WAV costs what its first minute costs. pydub is not used here: it would decode the
whole input into memory first. The result is written to a temporary file beside the destination, checked
with ``check_file``, and only then moved into place, so a failure never leaves a half-written output
(``_fix_output``). An input that already passes with no warnings is left alone unless asked: re-encoding
only loses quality. What was changed is reported in plain words (``_fix_report``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mediacheck._check import check_file, with_profile
from mediacheck._deep import SILENCE_THRESHOLD_DBFS, TELEPHONY_TARGET_LUFS
from mediacheck._ffmpeg import die_with_parent, find_ffmpeg, input_arguments
from mediacheck._fix_output import DOWNLOAD, PARTIAL, check_destination, publish, remove_leftovers, temporary_beside
from mediacheck._fix_report import FixReport, describe_changes, parse_input_log
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._report import Report, Severity
from mediacheck._rules import MIN_PLAYBACK_S
from mediacheck.exceptions import FixError, UsageError

if TYPE_CHECKING:
    from mediacheck._profiles import Profile

# One second under the 60 s limit: the encoder's padding adds up to a frame (26 ms at 22,050 Hz) to the
# stream duration, and a player's rounding should never be what decides acceptance.
DEFAULT_TARGET_SECONDS = 59.0
# Leave at least this much between the target and the duration limit for encoder delay and padding.
MIN_DURATION_MARGIN_S = 0.25
# 22,050 Hz mono: an MPEG-2 Layer III rate every MP3 decoder plays, with 11 kHz of audio bandwidth, more
# than wideband telephony (G.722) carries, at half the bytes of 44.1 kHz. Phone lines carry 8 kHz mono.
DEFAULT_SAMPLE_RATE = 22050
DEFAULT_CHANNELS = 1
# 64 kbps CBR at 22,050 Hz mono is transparent for a phone line and ~470 KB for 59 s.
DEFAULT_BITRATE_KBPS = 64
# Long enough that the loop's restart does not click, short enough to keep the music.
DEFAULT_FADE_SECONDS = 1.5
# EBU R128's loudness range and a -2 dBTP ceiling: headroom for the phone codec's own conversion.
LOUDNORM_LRA = 11.0
LOUDNORM_TRUE_PEAK_DB = -2.0
# Aim at this share of the size limit, minus room for the Xing/LAME frame and a last frame.
SIZE_BUDGET_SHARE = 0.95
SIZE_OVERHEAD_BYTES = 8192
# A URL source may be bigger than the 10 MB hold-music limit (fix exists to shrink files), but not unbounded.
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
# fix of a 3-minute WAV takes under half a second here (with --normalize under 2 s); an ffmpeg still running
# after this is stuck on hostile input.
ENCODE_TIMEOUT_S = 300.0

# Layer III bitrates by MPEG version (ISO 11172-3 and 13818-3), and the sample rates of each version.
MPEG1_RATES = (32000, 44100, 48000)
MPEG2_RATES = (16000, 22050, 24000, 8000, 11025, 12000)
SAMPLE_RATES = tuple(sorted(MPEG1_RATES + MPEG2_RATES))
_MPEG1_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
# Formats the core sniffer names that carry no audio for ffmpeg to find.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_ERROR_LINE = re.compile(r"^(?:\[[^\]]*\]\s*)*(.*)$")
_LOG_LEVEL = re.compile(r"\[(panic|fatal|error|warning|info|verbose|debug|trace)\]")
_WRAPPER = re.compile(r"^Error (?:opening input(?: files?)?|submitting packet to decoder|while decoding stream[^:]*): ")


@dataclasses.dataclass(frozen=True, slots=True)
class FixPlan:
    """The encoding choices fix settles on before it runs ffmpeg."""

    target_seconds: float
    sample_rate: int
    channels: int
    bitrate_kbps: int
    fade_seconds: float
    strip_silence: bool
    normalize: bool

    def filters(self) -> str:
        """The ffmpeg audio filter graph that makes the output."""
        chain = []
        if self.strip_silence:
            chain.append(f"silenceremove=start_periods=1:start_threshold={SILENCE_THRESHOLD_DBFS:g}dB")
        # Renumber timestamps from the first kept sample, so the fade's start is measured in output time.
        chain.append("asetpts=N/SR/TB")
        if self.normalize:
            chain.append(f"loudnorm=I={TELEPHONY_TARGET_LUFS:g}:TP={LOUDNORM_TRUE_PEAK_DB:g}:LRA={LOUDNORM_LRA:g}")
        chain.append(f"aresample={self.sample_rate}")
        if self.fade_seconds > 0:
            start = max(self.target_seconds - self.fade_seconds, 0.0)
            chain.append(f"afade=t=out:st={start:.3f}:d={self.fade_seconds:.3f}")
        return ",".join(chain)


def choose_bitrate(requested_kbps: int, sample_rate: int, target_seconds: float, size_limit_bytes: int) -> int:
    """The highest valid Layer III bitrate for ``sample_rate`` that is at most the request and fits the size."""
    budget_bytes = size_limit_bytes * SIZE_BUDGET_SHARE - SIZE_OVERHEAD_BYTES
    budget_kbps = budget_bytes * 8 / 1000 / target_seconds
    allowed = _MPEG1_BITRATES if sample_rate in MPEG1_RATES else _MPEG2_BITRATES
    fitting = [rate for rate in allowed if rate <= requested_kbps and rate <= budget_kbps]
    if not fitting:
        raise UsageError(
            f"no {sample_rate:,} Hz MP3 bitrate of at most {requested_kbps} kbps fits {target_seconds:g} s "
            f"into {size_limit_bytes:,} bytes (the lowest is {allowed[0]} kbps); shorten the target or allow more bytes"
        )
    return max(fitting)


def plan_fix(*, limits: Limits, target_seconds: float | None, sample_rate: int, channels: int,
             bitrate_kbps: int, fade_seconds: float, strip_silence: bool, normalize: bool) -> FixPlan:
    """Validate the options against the limits and settle every encoding choice."""
    if target_seconds is None:
        limit = limits.duration_limit_s
        # Under a 2 s limit there is no second to spare: halfway between the 1 s minimum of audio and the limit.
        target_seconds = min(DEFAULT_TARGET_SECONDS, limit - 1.0) if limit > 2.0 else (MIN_PLAYBACK_S + limit) / 2
    if not 0 < target_seconds <= limits.duration_limit_s - MIN_DURATION_MARGIN_S:
        raise UsageError(
            f"the target must be above 0 s and at least {MIN_DURATION_MARGIN_S:g} s under the "
            f"{limits.duration_limit_s:g} s limit (encoder padding needs the room), got {target_seconds:g} s"
        )
    if sample_rate not in SAMPLE_RATES:
        raise UsageError(f"an MP3 sample rate is one of {', '.join(map(str, SAMPLE_RATES))} Hz, got {sample_rate}")
    if channels not in (1, 2):
        raise UsageError(f"channels must be 1 (mono) or 2 (stereo), got {channels}")
    if not 0 <= fade_seconds < target_seconds:
        raise UsageError(f"the fade must be at least 0 s and shorter than the target, got {fade_seconds:g} s")
    bitrate = choose_bitrate(bitrate_kbps, sample_rate, target_seconds, limits.size_limit_bytes)
    return FixPlan(target_seconds, sample_rate, channels, bitrate, fade_seconds, strip_silence, normalize)


def _error_lines(log: str) -> list[str]:
    """The lines ffmpeg logged as errors (all lines when it tagged none: an ffmpeg not run with level+info)."""
    lines = log.splitlines()
    if not any(_LOG_LEVEL.search(line) for line in lines):
        return lines
    return [line for line in lines if (tag := _LOG_LEVEL.search(line)) and tag.group(1) in ("panic", "fatal", "error")]


def _ffmpeg_reason(log: str) -> str:
    """ffmpeg's error lines, less its context prefixes and its generic "Error opening input ..." wrappers."""
    reasons: list[str] = []
    for line in _error_lines(log):
        match = _ERROR_LINE.match(line.strip())
        text = (match.group(1) if match else line).strip().rstrip(".")
        if not text or text.startswith("Error opening input file"):
            continue
        text = _WRAPPER.sub("", text)
        if "not on whitelist" in text:  # mediacheck._ffmpeg.input_arguments refused it
            return "not an audio file format (playlists and lists of other files are refused)"
        if text not in reasons:
            reasons.append(text)
    return "; ".join(reasons[:3]) or "ffmpeg failed without saying why"


def mp3_output_arguments(bitrate_kbps: int) -> list[str]:
    """ffmpeg's output arguments for every MP3 fix writes: constant ``bitrate_kbps`` with LAME, no ID3 tags."""
    return ["-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-id3v2_version", "0", "-write_id3v1", "0",
            "-f", "mp3"]


def _encode(src: Path, out: Path, plan: FixPlan, display: str, output: list[str] | None = None) -> str:
    """Run ffmpeg on ``src`` into ``out`` (an MP3 unless ``output`` names other codec arguments); return its log
    (info level: it describes the input)."""
    command = [
        find_ffmpeg(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info", "-y",
        *input_arguments(src),
        "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
        "-af", plan.filters(), "-t", f"{plan.target_seconds:.3f}",
        "-ac", str(plan.channels), "-ar", str(plan.sample_rate),
        *(output or mp3_output_arguments(plan.bitrate_kbps)), str(out),
    ]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False, timeout=ENCODE_TIMEOUT_S, **die_with_parent())
    except subprocess.TimeoutExpired:
        raise FixError(f"ffmpeg was still converting {display} after {ENCODE_TIMEOUT_S:g} s and was stopped",
                       reason="timeout") from None
    log: str = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        reason = _ffmpeg_reason(log)
        if "matches no streams" in reason:
            raise FixError(f"{display} holds no audio stream for ffmpeg to read", reason="no-audio")
        if "No space left on device" in reason:
            raise FixError(f"there is no room to write the output beside {out.parent}", reason="no-space")
        reason = reason.replace(f"file:{src}", display).replace(str(src), display)
        raise FixError(f"ffmpeg could not read {display} as audio: {reason}", reason="undecodable")
    return log


def _check_source(src: Path, display: str, limits: Limits, profile: Profile | None) -> Report:
    """The check of the input (against the profile being fixed for); FixError when it is missing, unreadable or
    plainly not audio."""
    report = dataclasses.replace(check_file(src, limits=limits, profile=profile), target=display)
    if report.media is None:
        message = report.findings[0].message if report.findings else f"{display} cannot be read."
        raise FixError(message, reason="unreadable")
    if not report.media.holds_audio:
        said = next((f.message for f in report.findings if f.code.startswith("format.")),
                    f"It is {report.media.format}.")
        raise FixError(f"{display} is not audio, so there is nothing to fix: {said}", reason="not-audio")
    return report


def _download(url: str, tmp: Path, *, limits: Limits, allow_networks: Iterable[str],
              max_download_bytes: int) -> None:
    from mediacheck._fetch import SafeFetcher

    # Into fix's own temporary file, not through download_to_file's staging: a fix killed mid-download then
    # leaves only files it names, and the next run cleans up.
    with SafeFetcher(limits=limits, allow_networks=allow_networks) as fetcher, tmp.open("wb") as handle:
        _fetch, findings = fetcher.download_into(url, handle, max_bytes=max_download_bytes, limits=limits)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        said = " ".join(f.message for f in errors)
        raise FixError(f"could not download {url}: {said}", reason=errors[0].code,
                       refused_networks=errors[0].refused_networks)


def fix_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS,
             target_seconds: float | None = None, sample_rate: int | None = None,
             channels: int | None = None, bitrate_kbps: int = DEFAULT_BITRATE_KBPS,
             fade_seconds: float = DEFAULT_FADE_SECONDS, strip_silence: bool = True, normalize: bool = False,
             overwrite: bool = False, reencode: bool = False, allow_networks: Iterable[str] = (),
             max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES, profile: str | Profile | None = None) -> FixReport:
    """Write a compliant MP3 made from ``src`` (a file ffmpeg reads, or an http(s) URL) to ``dst``.

    With a ``profile`` (default daily) the output is what that platform takes: ``connect`` writes an 8 kHz mono
    µ-law WAV. ``sample_rate`` and ``channels`` left at None are 22,050 Hz mono, or the profile's.

    Returns a :class:`FixReport`: the check of the written file, what was changed (``changes``) and
    ``written=True``. An input that already passes with no warnings is not re-encoded (re-encoding only loses
    quality): then nothing is written and the report is the input's check with ``written=False``, unless
    ``reencode=True`` (or ``normalize=True``, which asks for a change of sound). ``dst`` must be absent, or a
    regular file with ``overwrite=True`` (its permissions are kept; a new file gets 0666 less the umask).
    Raises FixError when the input is not audio or the output would not pass (nothing is left at ``dst``
    then), UsageError for options that cannot work together or an output that cannot be written, and
    AudioToolsMissingError without an ffmpeg. ``target_seconds=None`` means one second under the duration
    limit (59.0 s with the default limits; halfway between the 1 s minimum and the limit when it is 2 s or less).
    """
    limits, chosen = with_profile(limits, profile)
    output: list[str] | None = None
    if chosen is None:
        plan = plan_fix(limits=limits, target_seconds=target_seconds,
                        sample_rate=DEFAULT_SAMPLE_RATE if sample_rate is None else sample_rate,
                        channels=DEFAULT_CHANNELS if channels is None else channels, bitrate_kbps=bitrate_kbps,
                        fade_seconds=fade_seconds, strip_silence=strip_silence, normalize=normalize)
    else:  # a platform profile: the profile's output format, codec, rate and channels
        from mediacheck._fix_profile import output_arguments, profile_plan

        plan, target = profile_plan(
            chosen, limits=limits, target_seconds=target_seconds,
            sample_rate=sample_rate, channels=channels, bitrate_kbps=bitrate_kbps,
            fade_seconds=fade_seconds, strip_silence=strip_silence, normalize=normalize)
        output = output_arguments(target, plan)
    dst_path = Path(os.fspath(dst))
    source_text = os.fspath(src)
    is_url = _URL.match(source_text) is not None
    if is_url and not source_text.lower().startswith(("http://", "https://")):
        raise UsageError(f"fix fetches only http(s) URLs, got {source_text}")
    check_destination(None if is_url else Path(source_text), dst_path, overwrite)
    find_ffmpeg()
    removed = tuple(remove_leftovers(dst_path.parent))
    with contextlib.ExitStack() as stack:
        # Made first, so an output folder that cannot be written fails before any download or encoding.
        out = stack.enter_context(temporary_beside(dst_path, PARTIAL))
        if is_url:
            src_path = stack.enter_context(temporary_beside(dst_path, DOWNLOAD))
            _download(source_text, src_path, limits=limits, allow_networks=allow_networks,
                      max_download_bytes=max_download_bytes)
        else:
            src_path = Path(source_text)
        source_report = _check_source(src_path, source_text, limits, chosen)
        if source_report.ok and not source_report.warnings and not (reencode or normalize):
            return FixReport(target=source_text, findings=source_report.findings, media=source_report.media,
                             source=source_text, written=False, removed_leftovers=removed)
        log = _encode(src_path, out, plan, source_text, output)
        if out.stat().st_size == 0:
            raise FixError(f"{source_text} gave no audio to keep (is it silent throughout?)", reason="empty")
        report = check_file(out, limits=limits, profile=chosen)
        if report.media is not None and report.media.frames == 0:
            raise FixError(f"{source_text} gave no audio to keep (is it silent throughout?)", reason="empty")
        if not report.ok or report.media is None:
            said = "; ".join(f"{f.code}: {f.message}" for f in report.errors)
            raise FixError(f"the fixed file would still fail the check ({said}); nothing was written",
                           reason="output-fails")
        publish(out, dst_path, overwrite)
    source_format = source_report.media.format if source_report.media is not None else "unknown"
    changes = describe_changes(parse_input_log(log), source_format, report.media, target_seconds=plan.target_seconds,
                               fade_seconds=plan.fade_seconds, strip_silence=plan.strip_silence,
                               normalize=plan.normalize)
    return FixReport(target=os.fspath(dst), findings=report.findings, media=report.media, source=source_text,
                     written=True, changes=changes, removed_leftovers=removed)
