"""The picture of a whole decode in a bounded number of columns: peak and RMS envelopes and clipped samples.

The deep check decodes once and reads the PCM one block at a time; a :class:`WaveformBuilder` rides along and
folds every block into columns of equal length. It starts with 10 ms columns (or, told how long the audio is
expected to be, with the length they would grow to) and, whenever ``max_columns`` are full, merges neighbours in
pairs and doubles the column length, so an 8 s jingle keeps 10 ms detail, a long stream ends with between
``max_columns / 2`` and ``max_columns`` columns, and memory never grows with the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

# One column per pixel of a 1,000-unit wide picture: finer than any screen shows the whole file at.
WAVEFORM_COLUMNS = 1000
# The first columns' length: short enough that a few seconds still draw as a detailed envelope.
FIRST_COLUMN_S = 0.01
_FULL_SCALE = 32768.0


@dataclass(frozen=True, slots=True)
class Waveform:
    """Per-column envelopes of a decode: lowest and highest sample, RMS, and samples in the clip band.

    Levels are fractions of full scale (-1.0 to 1.0; RMS 0.0 to 1.0), over all channels. Every column spans
    ``column_frames`` sample frames except the last, which may be shorter.
    """

    sample_rate: int
    column_frames: int
    frames: int
    peak_min: tuple[float, ...]
    peak_max: tuple[float, ...]
    rms: tuple[float, ...]
    clipped: tuple[int, ...]

    @property
    def duration_s(self) -> float:
        """How long the decoded audio plays."""
        return self.frames / self.sample_rate

    @property
    def column_s(self) -> float:
        """How long one full column lasts."""
        return self.column_frames / self.sample_rate

    def clipped_spans(self) -> list[tuple[float, float]]:
        """Runs of neighbouring columns that hold clipped samples, as (start, end) in seconds."""
        spans: list[tuple[float, float]] = []
        for index, count in enumerate(self.clipped):
            if not count:
                continue
            start = index * self.column_s
            end = min((index + 1) * self.column_s, self.duration_s)
            if spans and abs(spans[-1][1] - start) < 1e-9:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        return spans


class WaveformBuilder:
    """Folds 16-bit PCM blocks into at most ``max_columns`` columns; :meth:`build` returns the Waveform."""

    def __init__(self, sample_rate: int, channels: int, audioop: ModuleType,
                 max_columns: int = WAVEFORM_COLUMNS, *, expected_s: float | None = None) -> None:
        if max_columns < 2 or max_columns % 2:
            raise ValueError(f"max_columns must be an even number of at least 2, got {max_columns}")
        self._rate = sample_rate
        self._channels = channels
        self._audioop = audioop
        self._max = max_columns
        self._column_frames = max(1, round(sample_rate * FIRST_COLUMN_S))
        if expected_s is not None:
            # Start at the column length the merging would reach anyway (the same doubling of 10 ms), which
            # skips measuring short columns only to merge them (a 59 s file: a third of the windows).
            while expected_s * sample_rate > max_columns * self._column_frames:
                self._column_frames *= 2
        self._frames = 0
        self._lows: list[int] = []
        self._highs: list[int] = []
        self._squares: list[float] = []
        self._clipped: list[int] = []
        self._counts: list[int] = []  # frames per column, so merged RMS weighs each part by its length
        self._reset_open()

    def _reset_open(self) -> None:
        self._open_frames = 0
        self._open_low = 0
        self._open_high = 0
        self._open_squares = 0.0
        self._open_clipped = 0

    def feed(self, block: bytes, clip_mask: bytes | None = None) -> None:
        """Add whole sample frames of interleaved 16-bit PCM; ``clip_mask`` holds 1 per sample in the clip band."""
        frame_bytes = 2 * self._channels
        frames = len(block) // frame_bytes
        position = 0
        while position < frames:
            take = min(self._column_frames - self._open_frames, frames - position)
            piece = block[position * frame_bytes:(position + take) * frame_bytes]
            low, high = self._audioop.minmax(piece, 2)
            rms = self._audioop.rms(piece, 2)
            if self._open_frames:
                self._open_low, self._open_high = min(self._open_low, low), max(self._open_high, high)
            else:
                self._open_low, self._open_high = low, high
            self._open_squares += float(rms) * rms * take
            if clip_mask is not None:
                first = position * self._channels
                self._open_clipped += clip_mask[first:first + take * self._channels].count(1)
            self._open_frames += take
            position += take
            if self._open_frames == self._column_frames:
                self._close_column()
        self._frames += frames

    def _close_column(self) -> None:
        self._lows.append(self._open_low)
        self._highs.append(self._open_high)
        self._squares.append(self._open_squares)
        self._clipped.append(self._open_clipped)
        self._counts.append(self._open_frames)
        self._reset_open()
        if len(self._lows) == self._max:
            self._merge_pairs()

    def _merge_pairs(self) -> None:
        # Called only right after a column closed, so no open column straddles the new, doubled boundary.
        self._lows = [min(a, b) for a, b in zip(self._lows[::2], self._lows[1::2], strict=True)]
        self._highs = [max(a, b) for a, b in zip(self._highs[::2], self._highs[1::2], strict=True)]
        self._squares = [a + b for a, b in zip(self._squares[::2], self._squares[1::2], strict=True)]
        self._clipped = [a + b for a, b in zip(self._clipped[::2], self._clipped[1::2], strict=True)]
        self._counts = [a + b for a, b in zip(self._counts[::2], self._counts[1::2], strict=True)]
        self._column_frames *= 2

    def build(self) -> Waveform:
        """The columns so far (the last, unfinished one included)."""
        lows, highs, squares = list(self._lows), list(self._highs), list(self._squares)
        clipped, counts = list(self._clipped), list(self._counts)
        if self._open_frames:
            lows.append(self._open_low)
            highs.append(self._open_high)
            squares.append(self._open_squares)
            clipped.append(self._open_clipped)
            counts.append(self._open_frames)
        return Waveform(
            sample_rate=self._rate,
            column_frames=self._column_frames,
            frames=self._frames,
            peak_min=tuple(low / _FULL_SCALE for low in lows),
            peak_max=tuple(high / _FULL_SCALE for high in highs),
            rms=tuple((total / count) ** 0.5 / _FULL_SCALE for total, count in zip(squares, counts, strict=True)),
            clipped=tuple(clipped),
        )
