"""`mediacheck check --deep` shows the listening findings and measurements the deep check adds."""

from __future__ import annotations

import json

import pytest

from mediacheck import check_file
from mediacheck.cli import main
from tests.audio.conftest import Media


def test_deep_flag_adds_listening_findings(media: Media, capsys: pytest.CaptureFixture[str]) -> None:
    """--deep on a file with 5 s of leading silence reports it (a warning: exit 0) with media.audio in the JSON."""
    capsys.readouterr()
    code = main(["check", "--deep", "--format", "json", str(media("leading_silence"))])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    result = document["results"][0]
    assert "audio.silence-leading" in [f["code"] for f in result["findings"]]
    assert result["media"]["audio"]["leading_silence_s"] == pytest.approx(5.0, abs=0.05)


def test_deep_flag_fails_a_corrupt_file(media: Media, capsys: pytest.CaptureFixture[str]) -> None:
    """--deep turns ffmpeg's decode errors into a failing format.corrupt (exit 1) with ffmpeg's reason."""
    deep = check_file(media("corrupt"), deep=True)
    assert deep.media is not None
    assert deep.media.audio is not None
    reason = deep.media.audio["decode_error_reasons"][0]
    capsys.readouterr()
    code = main(["check", "--deep", str(media("corrupt"))])
    out = capsys.readouterr().out
    assert code == 1
    assert "format.corrupt" in out
    assert reason in out
