"""`mediacheck.can_fix` says whether `fix` repairs a failing report: the same reasons the CLI and the page use."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediacheck import can_fix, check_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize(("name", "profile", "expected"), [
    ("too-long-75s.mp3", None, True),            # trimmed to fit
    ("wrong-layer-mp2.mp3", None, True),         # re-encoded as Layer III
    ("not-mp3-pcm.wav", None, True),             # audio, converted to MP3
    ("example-hold-music.mp3", None, False),     # passes: nothing to fix
    ("share-page.html", None, False),            # a web page holds no audio to convert
    ("empty.mp3", None, False),
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
