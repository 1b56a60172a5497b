"""Which ffmpeg runs: MEDIACHECK_FFMPEG, then one on PATH, then the imageio-ffmpeg wheel's, else a clear error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediacheck import AudioToolsMissingError
from mediacheck._ffmpeg import find_ffmpeg


def _executable(folder: Path, name: str = "ffmpeg") -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MEDIACHECK_FFMPEG names the binary even when another ffmpeg is on PATH."""
    on_path = tmp_path / "bin"
    on_path.mkdir()
    _executable(on_path)
    chosen = _executable(tmp_path, "my-ffmpeg")
    monkeypatch.setenv("PATH", str(on_path))
    monkeypatch.setenv("MEDIACHECK_FFMPEG", str(chosen))
    assert find_ffmpeg() == str(chosen)


def test_environment_variable_must_be_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A MEDIACHECK_FFMPEG that is not an executable is an error naming the variable, not a silent fallback."""
    monkeypatch.setenv("MEDIACHECK_FFMPEG", str(tmp_path / "missing-ffmpeg"))
    with pytest.raises(AudioToolsMissingError, match="MEDIACHECK_FFMPEG"):
        find_ffmpeg()


def test_system_ffmpeg_comes_before_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ffmpeg on PATH is preferred to the one bundled with imageio-ffmpeg."""
    system = _executable(tmp_path)
    monkeypatch.delenv("MEDIACHECK_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_ffmpeg() == str(system)


def test_wheel_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no variable and nothing on PATH, the imageio-ffmpeg binary is used."""
    import imageio_ffmpeg

    monkeypatch.delenv("MEDIACHECK_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    found = find_ffmpeg()
    assert found == imageio_ffmpeg.get_ffmpeg_exe()
    assert os.access(found, os.X_OK)
