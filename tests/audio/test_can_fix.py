"""`mediacheck.can_fix` says whether `fix` repairs a failing report: the same reasons the CLI and the page use."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediacheck import can_fix, check_file
from mediacheck.cli import main
from tests.support.docs import read_doc

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize(("name", "profile", "expected"), [
    ("too-long-75s.mp3", None, True),            # trimmed to fit
    ("wrong-layer-mp2.mp3", None, True),         # re-encoded as Layer III
    ("not-mp3-pcm.wav", None, True),             # audio, converted to MP3
    ("example-hold-music.mp3", None, False),     # passes: nothing to fix
    ("share-page.html", None, False),            # a web page holds no audio to convert
    ("empty.mp3", None, False),
    ("free-format-4s.mp3", None, False),         # ffmpeg decodes no free-format frame, so fix has nothing to encode
    ("example-hold-music.mp3", "connect", True),  # an MP3 under connect: converted to µ-law WAV
])
def test_can_fix(name: str, profile: str | None, expected: bool) -> None:
    """Fixable failures are those a re-encode or conversion repairs; passing files and non-audio are not."""
    report = check_file(FIXTURES / name, profile=profile)
    assert can_fix(report, profile=profile) is expected


def test_holds_audio_tells_documents_from_audio() -> None:
    """A web page or an empty file holds no audio; an MP3 and a WAV do, whatever the verdict."""
    assert check_file(FIXTURES / "share-page.html").media.holds_audio is False  # type: ignore[union-attr]
    assert check_file(FIXTURES / "empty.mp3").media.holds_audio is False  # type: ignore[union-attr]
    assert check_file(FIXTURES / "too-long-75s.mp3").media.holds_audio is True  # type: ignore[union-attr]
    assert check_file(FIXTURES / "not-mp3-pcm.wav").media.holds_audio is True  # type: ignore[union-attr]


def test_free_format_fix_really_fails(ffmpeg_exe: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why no fix is offered for free format: ffmpeg cannot read it, so `fix` exits 1 and writes nothing."""
    output = tmp_path / "fixed.mp3"
    assert main(["fix", str(FIXTURES / "free-format-4s.mp3"), "-o", str(output)]) == 1
    assert "ffmpeg could not read" in capsys.readouterr().err
    assert not output.exists()


def test_free_format_hint_says_to_export_again(capsys: pytest.CaptureFixture[str]) -> None:
    """The command line offers no `mediacheck fix` for free format; it says to export again from the original."""
    assert main(["check", str(FIXTURES / "free-format-4s.mp3")]) == 1
    out = capsys.readouterr().out
    assert "format.free-format" in out
    assert "mediacheck fix" not in out
    assert "Export it again from the original recording" in out


def test_cli_page_says_free_format_is_an_error_with_no_fix() -> None:
    """docs/cli.md says what the code does: a free-format MP3 fails with format.free-format and no fix is offered."""
    report = check_file(FIXTURES / "free-format-4s.mp3")
    assert [(finding.code, finding.severity.value) for finding in report.findings] == [("format.free-format", "error")]
    assert can_fix(report) is False
    page = " ".join(read_doc("cli").split())
    assert "(a stream whose frames declare no standard bitrate) is an error, `format.free-format`" in page
    assert "no fix command is offered" in page
    offered = page.split("a failure that `mediacheck fix` repairs (", 1)[1].split(")", 1)[0]
    assert "free-format" not in offered
