"""What ``fix`` writes for a platform profile: the plan and ffmpeg's output arguments for its target format.

The fix pipeline itself (download, refuse non-audio, one ffmpeg pass, check, atomic move) stays in
:mod:`mediacheck._fix`; this module only decides the output. An MP3 target keeps the MP3 plan (bitrate chosen
to fit the size limit) with the profile's rate and channels; a WAV target (Amazon Connect's 8 kHz mono µ-law,
say) is PCM at a fixed byte rate, so its length is cut to fit the size limit instead.
"""

from __future__ import annotations

import dataclasses

from mediacheck._fix import MIN_DURATION_MARGIN_S, SIZE_BUDGET_SHARE, FixPlan, mp3_output_arguments, plan_fix
from mediacheck._limits import Limits
from mediacheck._profiles import FixTarget, Profile, fix_target
from mediacheck.exceptions import UsageError

# RIFF, fmt (extensible at most), a LIST chunk ffmpeg may write: well under this.
WAV_HEADER_BYTES = 1024
_SAMPLE_BYTES = {"pcm_u8": 1, "pcm_mulaw": 1, "pcm_alaw": 1, "pcm_s16le": 2, "pcm_s24le": 3, "pcm_s32le": 4,
                 "pcm_f32le": 4, "pcm_s64le": 8, "pcm_f64le": 8}


def profile_plan(profile: Profile, *, limits: Limits, target_seconds: float | None, sample_rate: int | None,
                 channels: int | None, bitrate_kbps: int, fade_seconds: float, strip_silence: bool,
                 normalize: bool) -> tuple[FixPlan, FixTarget]:
    """The fix plan for ``profile``'s target (rate and channels from it unless given) and that target."""
    target = fix_target(profile)
    target = dataclasses.replace(target, sample_rate=target.sample_rate if sample_rate is None else sample_rate,
                                 channels=target.channels if channels is None else channels)
    if target.format == "mp3":
        plan = plan_fix(limits=limits, target_seconds=target_seconds, sample_rate=target.sample_rate,
                        channels=target.channels, bitrate_kbps=bitrate_kbps, fade_seconds=fade_seconds,
                        strip_silence=strip_silence, normalize=normalize)
        return plan, target
    byte_rate = target.sample_rate * target.channels * _SAMPLE_BYTES.get(target.codec, 2)
    fits = (limits.size_limit_bytes * SIZE_BUDGET_SHARE - WAV_HEADER_BYTES) / byte_rate
    limit = limits.duration_limit_s
    if target_seconds is None:
        target_seconds = min(limit - 1.0 if limit > 2.0 else limit / 2, fits)
    if not 0 < target_seconds <= limit - MIN_DURATION_MARGIN_S or target_seconds > fits:
        raise UsageError(
            f"the target must be above 0 s, at least {MIN_DURATION_MARGIN_S:g} s under the {limit:g} s limit and "
            f"short enough that {target.codec} at {target.sample_rate:,} Hz fits {limits.size_limit_bytes:,} bytes "
            f"(at most {fits:.1f} s), got {target_seconds:g} s")
    if not 0 <= fade_seconds < target_seconds:
        raise UsageError(f"the fade must be at least 0 s and shorter than the target, got {fade_seconds:g} s")
    plan = FixPlan(target_seconds, target.sample_rate, target.channels, 0, fade_seconds, strip_silence, normalize)
    return plan, target


def output_arguments(target: FixTarget, plan: FixPlan) -> list[str]:
    """ffmpeg's codec and container arguments for the output (no tags, no cover art)."""
    if target.format == "mp3":
        return mp3_output_arguments(plan.bitrate_kbps)  # the same MP3 the plain fix writes
    # -bitexact: no LIST chunk naming the encoder, so the WAV is the plainest RIFF/fmt/data file players expect.
    return ["-c:a", target.codec, "-bitexact", "-f", "wav"]
