"""The dial-in text shows a hold music that was stopped early as a lower bound, as `mediacheck check` does."""

from __future__ import annotations

import io

from mediacheck import check_file
from mediacheck._cli_dialin import write_text
from mediacheck._dialin import DialinReport
from tests.conftest import FIXTURES


def test_hold_music_stopped_early_reads_at_least_the_limit() -> None:
    """A 75 s hold music reads ">= 60.0xx s": a lower bound already past the limit, not "59.953 s"."""
    music = check_file(FIXTURES / "too-long-75s.mp3")
    assert music.media is not None
    assert music.media.duration_s is not None
    out = io.StringIO()
    write_text(DialinReport(hold_music=music), "config.json", out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("  hold music:"))
    assert f", >= {music.media.duration_s:.3f} s)" in line
    assert music.media.duration_s >= 60.0


def test_a_complete_hold_music_reads_its_length() -> None:
    """A hold music scanned to the end shows its playing time plainly."""
    music = check_file(FIXTURES / "example-hold-music.mp3")
    out = io.StringIO()
    write_text(DialinReport(hold_music=music), "config.json", out)
    assert "(mp3, 240639 bytes, 30.000 s)" in out.getvalue()
