"""The waveform picture's layout: where the limit, the silent edges and the clipped spans fall, and its markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mediacheck._waveform import Waveform
from mediacheck.service.web.pages import markup
from mediacheck.service.web.views import ReportView
from mediacheck.service.web.waveform_svg import MIN_MARK_WIDTH, WIDTH, draw

SVG = "{http://www.w3.org/2000/svg}"


def _waveform(seconds: float, *, columns: int = 100, clipped: dict[int, int] | None = None) -> Waveform:
    """A steady waveform of ``seconds`` at 1 kHz in ``columns`` equal columns."""
    frames = round(seconds * 1000)
    per_column = -(-frames // columns)
    count = -(-frames // per_column)
    clip = clipped or {}
    return Waveform(sample_rate=1000, column_frames=per_column, frames=frames, peak_min=(-0.5,) * count,
                    peak_max=(0.5,) * count, rms=(0.3,) * count,
                    clipped=tuple(clip.get(i, 0) for i in range(count)))


class TestLayout:
    """The time axis covers the file, or the limit when that is near; marks sit at their times."""

    def test_a_file_over_the_limit_shows_the_line_inside_and_the_overrun(self) -> None:
        """75 s against 60 s: the axis spans 75 s, the line at 800 of 1,000, the overrun shaded from there."""
        picture = draw(_waveform(75), limit_s=60)
        assert picture.limit_x == pytest.approx(800)
        assert picture.over_limit is not None
        assert (picture.over_limit.x, picture.over_limit.width) == pytest.approx((800, 200))
        assert [tick.label for tick in picture.ticks] == ["0 s", "10 s", "20 s", "30 s", "40 s", "50 s", "60 s",
                                                          "70 s"]

    def test_a_file_within_reach_of_the_limit_is_drawn_against_it(self) -> None:
        """30 s against 60 s: the axis runs to the limit, which is the right edge; nothing is over."""
        picture = draw(_waveform(30), limit_s=60)
        assert picture.limit_x == pytest.approx(WIDTH)
        assert picture.over_limit is None
        last = picture.peak_points.split(" ")[len(picture.peak_points.split(" ")) // 2 - 1]
        assert float(last.split(",")[0]) == pytest.approx(WIDTH / 2, abs=WIDTH / 100)

    def test_a_short_file_fills_the_picture_and_names_the_limit(self) -> None:
        """3 s against 60 s: the file spans the width, the limit is named at the edge rather than drawn."""
        picture = draw(_waveform(3), limit_s=60)
        assert picture.limit_x is None
        assert picture.limit_label == "60 s limit"
        assert picture.ticks[-1].label == "3 s"

    def test_no_limit_draws_no_limit(self) -> None:
        """A profile with no duration bound: no line, no label, no overrun."""
        picture = draw(_waveform(200), limit_s=None)
        assert (picture.limit_x, picture.limit_label, picture.over_limit) == (None, "", None)
        assert picture.ticks[-1].label == "3:00"

    def test_silent_edges_and_clipping_sit_at_their_times(self) -> None:
        """2 s of silence each end of 10 s, flagged by the findings; clipped columns 40-44 join into one span."""
        picture = draw(_waveform(10, clipped={40: 5, 41: 5, 42: 1, 43: 9, 44: 2, 90: 1}), limit_s=60,
                       leading_silence_s=2.5, trailing_silence_s=2.0,
                       flagged=["audio.silence-leading", "audio.clipping"])
        lead, tail = picture.silences
        assert lead.x == 0.0
        assert lead.width == pytest.approx(250)
        assert lead.flagged
        assert tail.x == pytest.approx(800)
        assert tail.width == pytest.approx(200)
        assert not tail.flagged
        first, second = picture.clipped
        assert first.x == pytest.approx(400)
        assert first.width == pytest.approx(50)
        assert second.width == pytest.approx(max(10.0, MIN_MARK_WIDTH))
        assert all(span.flagged for span in picture.clipped)
        assert "Clipped from 4.00 s to 4.50 s" in picture.description

    def test_loudness_is_named_and_flagged_by_its_finding(self) -> None:
        """The integrated loudness is written on the picture; a too-quiet finding adds the words and the flag."""
        assert draw(_waveform(5), limit_s=60, loudness_lufs=-17.96).loudness_label == "-18.0 LUFS"
        quiet = draw(_waveform(5), limit_s=60, loudness_lufs=-40.0, flagged=["audio.too-quiet"])
        assert (quiet.loudness_label, quiet.loudness_flagged) == ("-40.0 LUFS (too quiet)", True)


def test_the_markup_is_well_formed_and_escapes_the_name() -> None:
    """The SVG parses as XML, names the file (escaped) in its title, and holds the envelope and the limit line."""
    name = "</title><script>alert(1)</script>&.mp3"
    view = ReportView(name=name, ok=False, headline="", facts=(), findings=(), fixable=False,
                      picture=draw(_waveform(75, clipped={3: 1}), limit_s=60, leading_silence_s=1.0),
                      picture_note=None)
    svg = markup("waveform.svg", view=view, picture=view.picture, prefix="t")
    root = ET.fromstring(svg)  # noqa: S314 (our own template's output, in a test)
    assert root.find(f"{SVG}title").text == f"Waveform of {name}"  # type: ignore[union-attr]
    assert root.find(f"{SVG}script") is None
    classes = [element.get("class") for element in root.iter()]
    assert {"wf-peak", "wf-rms", "wf-limit", "wf-over", "wf-silence"} <= set(classes)
    assert root.get("viewBox") == "-6 0 1012 276"  # a little room each side, so a line at either edge shows whole
