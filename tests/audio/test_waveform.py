"""The deep check's waveform: the whole decode in a bounded number of columns, with true peaks, RMS and clipping."""

from __future__ import annotations

import array
import itertools
import random
from pathlib import Path
from types import ModuleType

import pytest

from mediacheck import DEFAULT_LIMITS, check_file
from mediacheck._deep import deep_check_file, deep_check_with_waveform
from mediacheck._ffmpeg import load_pydub
from mediacheck._waveform import WAVEFORM_COLUMNS, Waveform, WaveformBuilder
from tests.audio.conftest import Media


@pytest.fixture(scope="module")
def audioop() -> ModuleType:
    """The audioop module the deep check measures with."""
    return load_pydub()[2]


def _pcm(samples: list[int]) -> bytes:
    return array.array("h", samples).tobytes()


def _build(audioop: ModuleType, pcm: bytes, *, rate: int = 1000, channels: int = 1, max_columns: int = 8,
           blocks: list[int] | None = None, mask: bytes | None = None) -> Waveform:
    builder = WaveformBuilder(rate, channels, audioop, max_columns)
    frame = 2 * channels
    cuts = [0]
    for size in blocks or [len(pcm) // frame]:
        cuts.append(cuts[-1] + size)
    for start, end in itertools.pairwise(cuts):
        block_mask = mask[start * channels:end * channels] if mask is not None else None
        builder.feed(pcm[start * frame:end * frame], block_mask)
    return builder.build()


class TestBuilder:
    """WaveformBuilder folds PCM into at most max_columns columns of equal length."""

    def test_columns_stay_bounded_and_cover_every_frame(self, audioop: ModuleType) -> None:
        """1,000 frames into at most 8 columns: between 4 and 8 columns, equal but the last, and every frame counted."""
        pcm = _pcm([random.Random(1).randint(-30000, 30000) for _ in range(1000)])
        waveform = _build(audioop, pcm, max_columns=8)
        assert 4 <= len(waveform.rms) <= 8
        assert waveform.frames == 1000
        full = len(waveform.rms) - 1
        assert full * waveform.column_frames < 1000 <= len(waveform.rms) * waveform.column_frames

    def test_short_audio_keeps_ten_millisecond_columns(self, audioop: ModuleType) -> None:
        """Audio shorter than max_columns x 10 ms is drawn at 10 ms per column, never merged."""
        waveform = _build(audioop, _pcm([1000] * 500), rate=1000, max_columns=1000)
        assert waveform.column_frames == 10
        assert waveform.column_s == pytest.approx(0.01)
        assert len(waveform.rms) == 50

    def test_block_boundaries_do_not_change_the_picture(self, audioop: ModuleType) -> None:
        """The same PCM fed in one block or in odd-sized pieces gives the same columns (RMS to audioop's rounding)."""
        noise = random.Random(2)
        pcm = _pcm([noise.randint(-32768, 32767) for _ in range(2 * 997)])
        whole = _build(audioop, pcm, channels=2, max_columns=16)
        pieces = _build(audioop, pcm, channels=2, max_columns=16, blocks=[1, 13, 400, 3, 580])
        assert (pieces.column_frames, pieces.frames) == (whole.column_frames, whole.frames)
        assert (pieces.peak_min, pieces.peak_max, pieces.clipped) == (whole.peak_min, whole.peak_max, whole.clipped)
        assert pieces.rms == pytest.approx(whole.rms, rel=1e-4)

    def test_peaks_and_rms_are_exact(self, audioop: ModuleType) -> None:
        """Each column holds its lowest and highest sample and its RMS, as fractions of full scale."""
        samples = [16384] * 10 + [-8192, 8192] * 5 + [0] * 10
        waveform = _build(audioop, _pcm(samples), max_columns=8)
        assert waveform.column_frames == 10
        assert waveform.peak_max == (0.5, 0.25, 0.0)
        assert waveform.peak_min == (0.5, -0.25, 0.0)
        assert waveform.rms == (0.5, 0.25, 0.0)

    def test_merging_keeps_extremes_and_energy(self, audioop: ModuleType) -> None:
        """Two merged columns keep the lower low, the higher high, and the RMS of all their samples together."""
        samples = [16384] * 10 + [-8192] * 10
        waveform = _build(audioop, _pcm(samples), max_columns=2)
        assert waveform.column_frames == 20
        assert waveform.peak_max == (0.5,)
        assert waveform.peak_min == (-0.25,)
        assert waveform.rms[0] == pytest.approx(((0.5 ** 2 + 0.25 ** 2) / 2) ** 0.5, rel=1e-3)

    def test_clipped_samples_are_counted_per_column(self, audioop: ModuleType) -> None:
        """The clip mask's ones land in the columns their samples belong to, and neighbours join into spans."""
        mask = bytes([0] * 10 + [1] * 3 + [0] * 7 + [1] * 10 + [0] * 20 + [1] * 10)
        waveform = _build(audioop, _pcm([0] * 60), max_columns=8, mask=mask)
        assert waveform.clipped == (0, 3, 10, 0, 0, 10)
        assert waveform.clipped_spans() == [(0.01, 0.03), (0.05, 0.06)]

    def test_a_length_hint_skips_straight_to_the_final_columns(self, audioop: ModuleType) -> None:
        """Told the length, the builder starts at the column length merging would reach: the same picture; a wrong
        hint still covers every frame."""
        noise = random.Random(3)
        pcm = _pcm([noise.randint(-32768, 32767) for _ in range(5000)])
        merged = _build(audioop, pcm, max_columns=16)
        hinted = WaveformBuilder(1000, 1, audioop, 16, expected_s=5.0)
        hinted.feed(pcm)
        told = hinted.build()
        assert (told.column_frames, told.peak_min, told.peak_max) == (merged.column_frames, merged.peak_min,
                                                                      merged.peak_max)
        assert told.rms == pytest.approx(merged.rms, rel=1e-3)
        for wrong in (0.5, 500.0):
            guessed = WaveformBuilder(1000, 1, audioop, 16, expected_s=wrong)
            guessed.feed(pcm)
            picture = guessed.build()
            assert picture.frames == 5000
            assert 1 <= len(picture.rms) <= 16

    @pytest.mark.parametrize("columns", [0, 1, 7])
    def test_column_count_must_be_even(self, audioop: ModuleType, columns: int) -> None:
        """Pairs merge, so an odd or tiny column budget is refused rather than silently exceeded."""
        with pytest.raises(ValueError, match="even"):
            WaveformBuilder(44100, 2, audioop, columns)


@pytest.mark.ffmpeg
class TestDeepCheckWaveform:
    """deep_check_with_waveform draws the same decode the deep check measures."""

    def test_a_long_file_is_drawn_whole_in_bounded_columns(self, media: Media) -> None:
        """A 65 s stereo WAV: at most 1,000 columns, at least half that, covering every decoded sample."""
        path = media("wav")
        report, waveform = deep_check_with_waveform(check_file(path), path, DEFAULT_LIMITS)
        assert waveform is not None
        assert report.media is not None
        assert report.media.audio is not None
        assert WAVEFORM_COLUMNS // 2 <= len(waveform.rms) <= WAVEFORM_COLUMNS
        assert waveform.frames == report.media.audio["decoded_samples"]
        assert waveform.duration_s == pytest.approx(65.0, abs=0.001)
        # A steady tone: every column peaks at the file's peak and holds its RMS, as the deep check measured them.
        audio = report.media.audio
        peak = max(max(waveform.peak_max), -min(waveform.peak_min))
        assert peak == pytest.approx(10 ** (audio["peak_dbfs"] / 20), rel=0.002)
        assert waveform.rms[1:-1] == pytest.approx([10 ** (audio["rms_dbfs"] / 20)] * (len(waveform.rms) - 2),
                                                   rel=0.01)

    def test_silence_sits_where_the_file_is_silent(self, media: Media) -> None:
        """A tone starting after 5 s of silence: columns before 4.9 s are silent, those after 5.1 s are not."""
        path = media("leading_silence")
        _, waveform = deep_check_with_waveform(check_file(path), path, DEFAULT_LIMITS)
        assert waveform is not None
        times = [(i + 0.5) * waveform.column_s for i in range(len(waveform.rms))]
        before = [peak for t, peak in zip(times, waveform.peak_max, strict=True) if t < 4.9]
        after = [peak for t, peak in zip(times, waveform.peak_max, strict=True) if 5.1 < t < 10.9]
        assert before
        assert max(before) < 0.01
        assert after
        assert min(after) > 0.2

    def test_clipped_columns_add_up_to_the_deep_checks_count(self, media: Media) -> None:
        """The per-column clip counts sum to the deep check's clipped_samples; a clean tone has no clipped span."""
        path = media("clipped")
        report, waveform = deep_check_with_waveform(check_file(path), path, DEFAULT_LIMITS)
        assert waveform is not None
        assert report.media is not None
        assert report.media.audio is not None
        assert sum(waveform.clipped) == report.media.audio["clipped_samples"] > 0
        clipped_time = sum(end - start for start, end in waveform.clipped_spans())
        assert clipped_time > 0.9 * waveform.duration_s
        clean = media("mp3_short")
        _, clean_waveform = deep_check_with_waveform(check_file(clean), clean, DEFAULT_LIMITS)
        assert clean_waveform is not None
        assert clean_waveform.clipped_spans() == []

    def test_drawing_leaves_the_verdict_alone(self, media: Media) -> None:
        """With or without the waveform, the deep check finds and measures the same."""
        path = media("clipped")
        core = check_file(path)
        assert deep_check_with_waveform(core, path, DEFAULT_LIMITS)[0] == deep_check_file(core, path, DEFAULT_LIMITS)

    def test_no_media_means_no_picture(self, tmp_path: Path) -> None:
        """A report without media (a missing file) gets neither a decode nor a waveform."""
        missing = tmp_path / "missing.mp3"
        report = check_file(missing)
        assert deep_check_with_waveform(report, missing, DEFAULT_LIMITS) == (report, None)
