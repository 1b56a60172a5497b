"""Deep check: decode the whole stream with ffmpeg, measure it with pydub, and judge how it sounds on hold.

One ffmpeg process decodes to 16-bit PCM (WAV on a pipe) while its ``ebur128`` filter measures integrated
loudness on the way; Python reads the PCM one second at a time and measures each block with pydub
(level, peak, leading/trailing silence), so memory stays flat however long the file is and the analysis
overlaps the decode. pydub's own ``AudioSegment.from_file`` is not used: it needs ffprobe (the imageio-ffmpeg
wheel has none) and holds the whole decode in memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
import struct
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mediacheck._ffmpeg import die_with_parent, find_ffmpeg, input_arguments, load_pydub
from mediacheck._limits import Limits
from mediacheck._report import Finding, MediaInfo, Report, Severity
from mediacheck._waveform import WAVEFORM_COLUMNS, Waveform, WaveformBuilder

# Quieter than this (RMS of a 10 ms window, dBFS) counts as silence: pydub's own default for
# detect_leading_silence, and the level `fix` strips leading silence at, so a fixed file passes this check.
SILENCE_THRESHOLD_DBFS = -50.0
SILENCE_WINDOW_MS = 10
# Callers who hear more than 2 s of nothing at the start think the line is dead; at the end it
# is dead air between the two plays (pinless dial-in plays the hold music twice).
MAX_EDGE_SILENCE_S = 2.0
# Clipping, as a decoded file can still show it. Mastering meters count runs of consecutive full-scale
# samples, but MP3 coding rounds flat tops off (a hard-clipped sine made by ffmpeg decodes with its peak at
# -0.1 dBFS, 46% of samples within 1 dB of it), so we count the samples within 1 dB of full scale instead.
# Clean masters touch that band only on transients (well under 1% of samples); more than 1% means clipped
# or brick-walled audio that distorts further in a phone codec. The 1% is our heuristic, not a standard.
CLIP_BAND_DB = 1.0
CLIPPED_SAMPLE_SHARE = 0.01
# Loudness for a phone line. ITU-T P.56/G.711 practice puts nominal speech at -26 dBov, and streaming
# guidance (AES TD1004) asks -16 to -20 LUFS; `fix --normalize` aims at -18 LUFS, between the two. Music
# 15 dB under that sounds like a dead line; 9 dB over it (modern masters measure -8 to -6 LUFS) overloads
# the codec's headroom and blares at callers.
TELEPHONY_TARGET_LUFS = -18.0
TOO_QUIET_LUFS = TELEPHONY_TARGET_LUFS - 15.0
TOO_LOUD_LUFS = TELEPHONY_TARGET_LUFS + 9.0
# ebur128 needs at least one 400 ms gating block (ITU-R BS.1770); shorter audio is judged by RMS dBFS,
# which reads within a few dB of LUFS for music.
MIN_LOUDNESS_SECONDS = 0.4
# The narrowband telephone channel (G.711) is 8 kHz mono; anything past what the wideband path (G.722,
# 16 kHz) carries is thrown away before a caller hears it.
TELEPHONY_SAMPLE_RATE = 8000
WIDEBAND_SAMPLE_RATE = 16000
# The deep check decodes at most this many times the duration limit: a 10 MB MP3 at 8 kbps plays almost
# three hours, and a verdict on it needs nothing past the limit anyway.
DECODE_CAP_FACTOR = 10
# Samples per MPEG Layer III frame (ISO 11172-3 / 13818-3): the tolerance of the sample-count cross-check.
LAYER3_FRAME_SAMPLES = {"1": 1152, "2": 576, "2.5": 576}
MAX_DECODE_REASONS = 3
# ffmpeg decodes a 10 MB MP3 in well under 5 s on the 2-core CI machine; one still running after this is
# stuck on hostile input, and is killed so a service worker is not held forever.
DECODE_TIMEOUT_S = 120.0

_BLOCK_SECONDS = 1
_LAYOUTS = {1: "mono", 2: "stereo"}
# The clip band in the 8-bit view of 16-bit PCM (audioop.lin2lin keeps the high byte, signed): steps 114..127
# and -128..-115, i.e. |sample| >= 29,184 (-1.01 dBFS). As a bytes.translate table mapping those byte values
# to 1 and the rest to 0, counting clipped samples stays in C.
_CLIP_STEP = math.floor(128 * 10 ** (-CLIP_BAND_DB / 20))
_CLIP_LEVEL = _CLIP_STEP << 8
_NEAR_FULL_SCALE = bytes(int(step >= _CLIP_STEP or step < -_CLIP_STEP) for step in [*range(128), *range(-128, 0)])
# Let ffmpeg decode up to ~1 MB ahead while Python measures the previous block (Linux pipes hold 64 KiB).
_PIPE_BYTES = 1 << 20
_LEVEL_TAG = re.compile(r"\[(error|fatal|panic)\]\s*(.*)")
_CONTEXT_PREFIX = re.compile(r"^(\[[^\]]*@ 0x[0-9a-f]+\]\s*)+")
# ffmpeg's own wrappers around the decoder's reason ("Error submitting packet to decoder: Invalid data ..."):
# quoted only when the decoder said nothing more specific. They also name temporary paths.
_GENERIC_REASONS = ("Error submitting packet to decoder", "Error opening input", "Error while decoding")
_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[0-9.]+|-inf)\s*LUFS")


@dataclass
class _Levels:
    """Running measurements over the decoded PCM, fed one block at a time."""

    sample_rate: int = 0
    channels: int = 0
    frames: int = 0
    sum_squares: float = 0.0
    peak: int = 0
    clipped: int = 0
    leading_ms: float | None = None  # None until the first non-silent window is seen
    silent_ms_before_block: float = 0.0
    last_sound_block: Any = None  # the AudioSegment of the last block that held sound
    ms_after_last_sound_block: float = 0.0
    reasons: list[str] = field(default_factory=list)
    error_count: int = 0
    integrated_lufs: float | None = None
    returncode: int = 0
    timed_out: bool = False
    waveform_columns: int = 0  # 0: no picture asked for, and none is built
    waveform_expected_s: float | None = None
    waveform: WaveformBuilder | None = None


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    return data if data is not None else b""


def _read_wav_format(stream: IO[bytes]) -> tuple[int, int, int] | None:
    """Skip a streamed WAV header up to its data chunk; return (format tag, channels, sample rate)."""
    riff = _read_exact(stream, 12)
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        return None
    fmt: tuple[int, int, int] | None = None
    while True:
        header = _read_exact(stream, 8)
        if len(header) < 8:
            return None
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"data":
            return fmt
        body = _read_exact(stream, size + (size & 1))
        if chunk_id == b"fmt " and len(body) >= 16:
            tag, channels, rate = struct.unpack("<HHI", body[:8])
            fmt = (tag, channels, rate)


def _measure_pcm(stream: IO[bytes], levels: _Levels) -> None:
    """Read the PCM one block at a time and fold each block into ``levels``."""
    audio_segment, silence, audioop = load_pydub()
    fmt = _read_wav_format(stream)
    if fmt is None or fmt[1] == 0 or fmt[2] == 0:
        return
    _tag, levels.channels, levels.sample_rate = fmt
    if levels.waveform_columns:
        levels.waveform = WaveformBuilder(levels.sample_rate, levels.channels, audioop, levels.waveform_columns,
                                          expected_s=levels.waveform_expected_s)
    frame_bytes = 2 * levels.channels
    block_bytes = levels.sample_rate * _BLOCK_SECONDS * frame_bytes
    threshold = SILENCE_THRESHOLD_DBFS
    while True:
        block = _read_exact(stream, block_bytes)
        block = block[: len(block) - len(block) % frame_bytes]
        if not block:
            break
        segment = audio_segment(data=block, sample_width=2, frame_rate=levels.sample_rate,
                                channels=levels.channels)
        block_frames = len(block) // frame_bytes
        block_ms = 1000.0 * block_frames / levels.sample_rate
        levels.frames += block_frames
        rms, peak = segment.rms, segment.max
        levels.sum_squares += float(rms) * rms * block_frames * levels.channels
        levels.peak = max(levels.peak, peak)
        clip_mask = audioop.lin2lin(block, 2, 1).translate(_NEAR_FULL_SCALE) if peak >= _CLIP_LEVEL else None
        if clip_mask is not None:
            levels.clipped += clip_mask.count(1)
        if levels.waveform is not None:
            levels.waveform.feed(block, clip_mask)
        # A block whose peak is under the threshold is silence throughout; one whose overall RMS is over it
        # holds at least one loud window; only blocks in between need pydub's window-by-window scan.
        if _dbfs(peak) < threshold:
            has_sound, lead_ms = False, block_ms
        elif _dbfs(rms) >= threshold and levels.leading_ms is not None:
            has_sound, lead_ms = True, 0.0
        else:
            lead_ms = float(silence.detect_leading_silence(segment, threshold, SILENCE_WINDOW_MS))
            has_sound = lead_ms < block_ms
        if has_sound:
            if levels.leading_ms is None:
                levels.leading_ms = levels.silent_ms_before_block + lead_ms
            levels.last_sound_block = segment
            levels.ms_after_last_sound_block = 0.0
        else:
            levels.ms_after_last_sound_block += block_ms
        levels.silent_ms_before_block += block_ms


def _read_log(log: IO[bytes], levels: _Levels, path: Path) -> None:
    log.seek(0)
    text = log.read().decode("utf-8", "replace")
    reasons: list[str] = []
    for line in text.splitlines():
        match = _LEVEL_TAG.search(line)
        if match is None:
            continue
        levels.error_count += 1
        reason = _CONTEXT_PREFIX.sub("", match.group(2)).replace(f"file:{path}", "the input")
        reason = reason.replace(str(path), "the input").strip().rstrip(".")
        if reason and reason not in reasons and len(reasons) < 4 * MAX_DECODE_REASONS:
            reasons.append(reason)
    specific = [r for r in reasons if not r.startswith(_GENERIC_REASONS)]
    levels.reasons = (specific or reasons)[:MAX_DECODE_REASONS]
    loudness = _INTEGRATED.findall(text)
    if loudness:
        value = loudness[-1]
        levels.integrated_lufs = -math.inf if value == "-inf" else float(value)


def _enlarge_pipe(stream: IO[bytes]) -> None:
    try:
        import fcntl  # POSIX only; elsewhere the pipe keeps its size and the overlap is smaller
    except ImportError:
        return
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    with contextlib.suppress(OSError):  # a lower pipe-max-size only costs some overlap
        fcntl.fcntl(stream.fileno(), set_size, _PIPE_BYTES)


def _decode(path: Path, cap_seconds: float, waveform_columns: int = 0, expected_s: float | None = None) -> _Levels:
    """Decode ``path`` with ffmpeg (first audio stream, at most ``cap_seconds``) and measure it (and draw it, in
    ``waveform_columns`` columns at most, when that is not 0; ``expected_s`` is how long the scan says it plays)."""
    command = [
        find_ffmpeg(), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info",
        *input_arguments(path), "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-t", f"{cap_seconds:.3f}", "-af", "ebur128=framelog=quiet", "-c:a", "pcm_s16le", "-f", "wav", "pipe:1",
    ]
    levels = _Levels(waveform_columns=waveform_columns, waveform_expected_s=expected_s)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                **die_with_parent())
        fired = threading.Event()

        def stop_stuck_decoder() -> None:
            fired.set()
            proc.kill()

        watchdog = threading.Timer(DECODE_TIMEOUT_S, stop_stuck_decoder)
        watchdog.start()
        try:
            assert proc.stdout is not None
            _enlarge_pipe(proc.stdout)
            _measure_pcm(proc.stdout, levels)
            proc.stdout.close()
            levels.returncode = proc.wait()
        finally:
            watchdog.cancel()
            levels.timed_out = fired.is_set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        _read_log(log, levels, path)
    return levels


def _dbfs(value: float) -> float:
    return 20 * math.log10(value / 32768) if value > 0 else -math.inf


def _rounded(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 2)


def _measurements(levels: _Levels, cap_seconds: float) -> dict[str, Any]:
    rate = levels.sample_rate
    duration = levels.frames / rate if rate else 0.0
    total_samples = levels.frames * levels.channels
    rms = math.sqrt(levels.sum_squares / total_samples) if total_samples else 0.0
    silent = levels.leading_ms is None
    trailing_s = 0.0
    if levels.last_sound_block is not None:
        _segment, silence, _audioop = load_pydub()
        tail_ms = silence.detect_leading_silence(levels.last_sound_block.reverse(), SILENCE_THRESHOLD_DBFS,
                                                 SILENCE_WINDOW_MS)
        trailing_s = (tail_ms + levels.ms_after_last_sound_block) / 1000
    return {
        "decoder": "ffmpeg",
        "decoded": levels.frames > 0,
        "sample_rate": rate or None,
        "channels": levels.channels or None,
        "decoded_samples": levels.frames,
        "decoded_duration_s": round(duration, 6),
        "capped": duration >= cap_seconds - 0.001,
        "timed_out": levels.timed_out,
        "decode_errors": levels.error_count,
        "decode_error_reasons": list(levels.reasons),
        "silent": silent and levels.frames > 0,
        "leading_silence_s": round(duration if silent else (levels.leading_ms or 0.0) / 1000, 2),
        "trailing_silence_s": round(duration if silent else trailing_s, 2),
        "peak_dbfs": _rounded(_dbfs(levels.peak)),
        "rms_dbfs": _rounded(_dbfs(rms)),
        "integrated_lufs": _rounded(levels.integrated_lufs) if duration >= MIN_LOUDNESS_SECONDS else None,
        "clipped_samples": levels.clipped,
        "clipped_share": round(levels.clipped / total_samples, 6) if total_samples else 0.0,
    }


def _finding(code: str, severity: Severity, message: str, hint: str | None = None) -> Finding:
    return Finding(code, severity, message, hint)


def _decode_findings(report: Report, audio: dict[str, Any], levels: _Levels) -> list[Finding]:
    findings: list[Finding] = []
    already_judged = any(f.code.startswith("format.") and f.severity is Severity.ERROR for f in report.findings)
    if levels.timed_out:
        return [_finding(
            "audio.decode-timeout", Severity.WARNING,
            f"ffmpeg was still decoding after {DECODE_TIMEOUT_S:g} s and was stopped; the measurements cover only "
            f"the first {audio['decoded_duration_s']:.1f} s.",
            "Re-encode the file (`mediacheck fix` does) and check it again.",
        )]
    failed = levels.returncode != 0 or not audio["decoded"]
    if (failed or levels.error_count) and not already_judged:
        reason = "; ".join(levels.reasons) or f"ffmpeg exited with status {levels.returncode}"
        what = "could not decode this audio" if not audio["decoded"] else "hit decode errors in this audio"
        findings.append(_finding(
            "format.corrupt", Severity.ERROR,
            f"ffmpeg {what} ({levels.error_count} error(s)): {reason}.",
            "Re-encode it from the original (`mediacheck fix` does), or upload an intact copy.",
        ))
    media = report.media
    if media is None or media.format != "mp3" or not media.complete or audio["capped"] or not audio["decoded"]:
        return findings
    if media.duration_s is None or media.mpeg_version not in LAYER3_FRAME_SAMPLES or media.layer != 3:
        return findings
    frame_s = LAYER3_FRAME_SAMPLES[media.mpeg_version] / (media.sample_rate or audio["sample_rate"])
    gap = audio["decoded_duration_s"] - media.duration_s
    if abs(gap) > frame_s:
        findings.append(_finding(
            "audio.sample-count-mismatch", Severity.WARNING,
            f"ffmpeg decoded {audio['decoded_duration_s']:.3f} s of audio but the frames add up to "
            f"{media.duration_s:.3f} s, a gap of {abs(gap):.3f} s (more than one frame).",
            "Frames that do not decode are dropped or glitch on playback; re-encode from the original.",
        ))
    return findings


def _listening_findings(media: MediaInfo | None, audio: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    if not audio["decoded"]:
        return findings
    if audio["silent"]:
        return [_finding(
            "audio.silent", Severity.WARNING,
            f"The audio is silent throughout (no 10 ms stretch reaches {SILENCE_THRESHOLD_DBFS:g} dBFS).",
            "Callers will think the line is dead: upload the intended music.",
        )]
    if audio["leading_silence_s"] > MAX_EDGE_SILENCE_S:
        findings.append(_finding(
            "audio.silence-leading", Severity.WARNING,
            f"The music starts after {audio['leading_silence_s']:.2f} s of silence.",
            "Cut the silence (`mediacheck fix` strips it): callers hear nothing and may hang up.",
        ))
    if audio["trailing_silence_s"] > MAX_EDGE_SILENCE_S:
        findings.append(_finding(
            "audio.silence-trailing", Severity.WARNING,
            f"The music ends with {audio['trailing_silence_s']:.2f} s of silence.",
            "Trim the end: the hold music is played twice, so callers hear dead air in between.",
        ))
    if audio["clipped_share"] > CLIPPED_SAMPLE_SHARE:
        findings.append(_finding(
            "audio.clipping", Severity.WARNING,
            f"{audio['clipped_share']:.1%} of the samples sit within {CLIP_BAND_DB:g} dB of full scale (peak "
            f"{audio['peak_dbfs']} dBFS): the audio is clipped or squashed flat.",
            "Export it again with headroom, or use `mediacheck fix --normalize` (it cannot undo the distortion).",
        ))
    findings.extend(_loudness_findings(audio))
    rate, channels = audio["sample_rate"], audio["channels"]
    if rate and channels and (channels > 1 or rate > 2 * WIDEBAND_SAMPLE_RATE):
        bitrate = f" at {media.bitrate_kbps} kbps" if media is not None and media.bitrate_kbps else ""
        findings.append(_finding(
            "audio.beyond-telephony", Severity.INFO,
            f"Phone lines carry {TELEPHONY_SAMPLE_RATE:,} Hz mono (wideband {WIDEBAND_SAMPLE_RATE:,} Hz); this "
            f"audio is {rate:,} Hz {_LAYOUTS.get(channels, f'{channels}-channel')}{bitrate}, so the extra only "
            "costs size.",
            "`mediacheck fix` makes a mono 22,050 Hz MP3 that sounds the same on a call at a fraction of the size.",
        ))
    return findings


def _loudness_findings(audio: dict[str, Any]) -> list[Finding]:
    lufs = audio["integrated_lufs"]
    level, unit = (lufs, "LUFS integrated loudness") if lufs is not None else (audio["rms_dbfs"], "dBFS RMS")
    if level is None:
        return []
    hint = f"Run `mediacheck fix --normalize` to bring it to {TELEPHONY_TARGET_LUFS:g} LUFS."
    if level < TOO_QUIET_LUFS:
        return [_finding(
            "audio.too-quiet", Severity.WARNING,
            f"The music measures {level:.1f} {unit}, under the {TOO_QUIET_LUFS:g} a phone line needs: "
            "callers may think the line is dead.", hint,
        )]
    if level > TOO_LOUD_LUFS:
        return [_finding(
            "audio.too-loud", Severity.WARNING,
            f"The music measures {level:.1f} {unit}, over the {TOO_LOUD_LUFS:g} a phone line carries cleanly: "
            "it will blare and distort.", hint,
        )]
    return []


def deep_check_file(report: Report, path: Path, limits: Limits) -> Report:
    """Add decode and listening findings for a local file to its core report, measurements in ``media.audio``."""
    return _deep_check(report, Path(path), limits, 0)[0]


def deep_check_with_waveform(report: Report, path: Path, limits: Limits, *,
                             columns: int = WAVEFORM_COLUMNS) -> tuple[Report, Waveform | None]:
    """:func:`deep_check_file`, plus the waveform of the same decode in at most ``columns`` columns.

    The waveform is None when nothing was decoded (or the report has no media to decode).
    """
    return _deep_check(report, Path(path), limits, columns)


def _deep_check(report: Report, path: Path, limits: Limits, columns: int) -> tuple[Report, Waveform | None]:
    if report.media is None:
        return report, None
    load_pydub()  # fail with AudioToolsMissingError before starting any process
    cap_seconds = limits.duration_limit_s * DECODE_CAP_FACTOR
    media = report.media
    # Only a complete scan's length is a fair guess; one that stopped early knows only a lower bound.
    expected = media.stream_duration_s if media.complete and media.stream_duration_s else None
    levels = _decode(path, cap_seconds, columns, expected)
    audio = _measurements(levels, cap_seconds)
    findings = _decode_findings(report, audio, levels) + _listening_findings(media, audio)
    media = dataclasses.replace(media, audio=audio)
    waveform = levels.waveform.build() if levels.waveform is not None and levels.frames else None
    return dataclasses.replace(report, findings=report.findings + tuple(findings), media=media), waveform


def deep_check_bytes(report: Report, data: bytes, limits: Limits) -> Report:
    """Add decode and listening findings for in-memory bytes to their core report (ffmpeg reads a temp file)."""
    if report.media is None:
        return report
    load_pydub()
    find_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="mediacheck-deep-") as folder:
        # The format the core named, as the extension: ffmpeg's probe takes it as a hint.
        fmt = report.media.format
        path = Path(folder) / (f"audio.{fmt}" if fmt.isalnum() else "audio")
        path.write_bytes(data)
        return deep_check_file(report, path, limits)


async def adeep_check_file(report: Report, path: Path, limits: Limits) -> Report:
    """``deep_check_file`` in a worker thread, so the decode never blocks the event loop."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(deep_check_file, report, path, limits)


async def adeep_check_bytes(report: Report, data: bytes, limits: Limits) -> Report:
    """``deep_check_bytes`` in a worker thread, so the decode never blocks the event loop."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(deep_check_bytes, report, data, limits)
