"""The geometry of the waveform picture: envelopes, the duration limit, silent edges, clipped spans, loudness.

Only numbers and fixed words are computed here; the SVG markup is the ``waveform.svg`` template, rendered with
autoescaping like every other page template. The time axis spans the whole file, or up to the duration limit
when the file is shorter, so the limit line shows how much room is left (unless the limit is more than twice
the file's length: then the file would be a sliver, and the limit is named at the right edge instead).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from mediacheck import Waveform

WIDTH = 1000.0
MIDDLE = 136.0   # the zero line (the 36 units above full scale hold the labels)
HALF = 100.0     # full scale, above and below the zero line
AXIS = 268.0     # the baseline of the time labels
HEIGHT = 276.0
# A clipped span narrower than this would vanish at screen sizes.
MIN_MARK_WIDTH = 3.0
_TICK_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


@dataclass(frozen=True, slots=True)
class Span:
    """A marked stretch of time: x and width in picture units, the words a tooltip gives it, and whether a finding
    is about it (drawn stronger)."""

    x: float
    width: float
    label: str
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class Tick:
    """A time-axis label."""

    x: float
    label: str


@dataclass(frozen=True, slots=True)
class WaveformPicture:
    """Everything the template draws, in picture units (a ``WIDTH`` x ``HEIGHT`` viewBox)."""

    width: float
    height: float
    top: float
    middle: float
    bottom: float
    axis: float
    peak_points: str
    rms_points: str
    silences: tuple[Span, ...]
    clipped: tuple[Span, ...]
    over_limit: Span | None
    limit_x: float | None
    limit_label: str
    ticks: tuple[Tick, ...]
    loudness_label: str | None
    loudness_flagged: bool
    description: str


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{int(value // 60)}:{int(value % 60):02d}"


def _tick_label(value: float, step: float) -> str:
    if value >= 120 or step >= 60:
        return f"{int(value // 60)}:{int(value % 60):02d}"
    return f"{value:g} s"


def _points(xs: Sequence[float], upper: Sequence[float], lower: Sequence[float]) -> str:
    # Whole units up and down (a unit is under a pixel at any width the page shows), tenths along the time axis.
    top = [f"{x:.1f},{MIDDLE - HALF * min(max(v, -1.0), 1.0):.0f}" for x, v in zip(xs, upper, strict=True)]
    bottom = [f"{x:.1f},{MIDDLE - HALF * min(max(v, -1.0), 1.0):.0f}"
              for x, v in zip(reversed(xs), reversed(lower), strict=True)]
    return " ".join(top + bottom)


def _ticks(span_s: float) -> tuple[Tick, ...]:
    step = next((s for s in _TICK_STEPS if span_s / s <= 8), _TICK_STEPS[-1])
    count = math.floor(span_s / step + 1e-9)
    return tuple(Tick(x=WIDTH * i * step / span_s, label=_tick_label(i * step, step)) for i in range(count + 1))


def draw(waveform: Waveform, *, limit_s: float | None, leading_silence_s: float = 0.0, trailing_silence_s: float = 0.0,
         loudness_lufs: float | None = None, flagged: Collection[str] = ()) -> WaveformPicture:
    """Lay out ``waveform`` against ``limit_s`` (None: the rules set no duration limit); ``flagged`` holds the
    finding codes that mark edges, clipping and loudness."""
    duration = waveform.duration_s
    span = duration if limit_s is None or limit_s > 2 * duration else max(duration, limit_s)
    span = span or 1.0

    def x(seconds: float) -> float:
        return WIDTH * min(max(seconds, 0.0), span) / span

    columns = len(waveform.rms)
    xs = [x(min((i + 0.5) * waveform.column_s, duration)) for i in range(columns)]
    if columns == 1:  # a single column draws as a bar, not a line
        xs = [0.0]
    codes = set(flagged)
    silences = []
    if leading_silence_s > 0:
        silences.append(Span(0.0, x(leading_silence_s), f"Silent start: {leading_silence_s:.2f} s",
                             "audio.silence-leading" in codes))
    if 0 < trailing_silence_s < duration:
        start = duration - trailing_silence_s
        silences.append(Span(x(start), x(duration) - x(start), f"Silent end: {trailing_silence_s:.2f} s",
                             "audio.silence-trailing" in codes))
    clipped = tuple(Span(x(start), max(x(end) - x(start), MIN_MARK_WIDTH),
                         f"Clipped from {start:.2f} s to {end:.2f} s", "audio.clipping" in codes)
                    for start, end in waveform.clipped_spans())
    limit_x = x(limit_s) if limit_s is not None and limit_s <= span else None
    over = (Span(x(limit_s), x(duration) - x(limit_s), f"Past the {limit_s:g} s limit", True)
            if limit_s is not None and duration >= limit_s else None)
    quiet_or_loud = {"audio.too-quiet", "audio.too-loud"} & codes
    loudness = None
    if loudness_lufs is not None:
        loudness = f"{loudness_lufs:.1f} LUFS"
        if quiet_or_loud:
            loudness += " (too quiet)" if "audio.too-quiet" in quiet_or_loud else " (too loud)"
    parts = [f"Waveform of {_seconds(duration)} of audio"
             + (f" against the {limit_s:g} s limit" if limit_s is not None else "")]
    if over is not None and limit_s is not None:
        parts.append(f"{duration - limit_s:.1f} s run past the limit")
    parts += [span_.label for span_ in silences] + [span_.label for span_ in clipped[:5]]
    if len(clipped) > 5:
        parts.append(f"and {len(clipped) - 5} more clipped stretches")
    if loudness is not None:
        parts.append(f"integrated loudness {loudness}")
    return WaveformPicture(
        width=WIDTH, height=HEIGHT, top=MIDDLE - HALF, middle=MIDDLE, bottom=MIDDLE + HALF, axis=AXIS,
        peak_points=_points(xs, waveform.peak_max, waveform.peak_min) if columns else "",
        rms_points=_points(xs, waveform.rms, [-r for r in waveform.rms]) if columns else "",
        silences=tuple(silences), clipped=clipped, over_limit=over, limit_x=limit_x,
        limit_label=f"{limit_s:g} s limit" if limit_s is not None else "", ticks=_ticks(span), loudness_label=loudness,
        loudness_flagged=bool(quiet_or_loud), description="; ".join(parts) + ".",
    )
