"""In-house profiles from mediacheck.toml or pyproject's [tool.mediacheck]; a bad file is one clear UsageError."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediacheck import check_file
from mediacheck._profile_config import load_rules_file, resolve_profile
from mediacheck._profiles import CONNECT, FixTarget, fix_target
from mediacheck.exceptions import UsageError
from tests.core.conftest import FIXTURES

ZOOM = """
[profiles.zoom]
title = "Zoom Phone audio library"
formats = ["mp3", "wav"]
max_bytes = 1_000_000
max_bytes_inclusive = true

[profiles.ivr]
extends = "connect"
max_seconds = 4

[profiles.ivr-16k]
extends = "ivr"
sample_rates = [16000]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


class TestLoading:
    """Profiles come from mediacheck.toml, or from pyproject.toml when there is none."""

    def test_mediacheck_toml_defines_and_extends(self, tmp_path: Path) -> None:
        """A profile may stand alone or extend a built-in or another of the file, changing only what it names."""
        _write(tmp_path, "mediacheck.toml", ZOOM)
        found = load_rules_file(tmp_path)
        assert found["zoom"].formats == ("mp3", "wav")
        assert (found["zoom"].max_bytes, found["zoom"].max_bytes_inclusive) == (1_000_000, True)
        ivr = found["ivr"]
        assert (ivr.codecs, ivr.sample_rates, ivr.max_bytes, ivr.max_seconds) == (("pcm_mulaw",), (8000,),
                                                                                   50_000_000, 4.0)
        assert ivr.fix == CONNECT.fix  # the shape is connect's, so is the fix target
        assert found["ivr-16k"].sample_rates == (16000,)
        assert fix_target(found["ivr-16k"]) == FixTarget("wav", "pcm_mulaw", 16000, 1)

    def test_pyproject_tool_table(self, tmp_path: Path) -> None:
        """[tool.mediacheck.profiles.NAME] in pyproject.toml works the same."""
        text = "[project]\nname='x'\n" + ZOOM.replace("[profiles.", "[tool.mediacheck.profiles.")
        _write(tmp_path, "pyproject.toml", text)
        assert set(load_rules_file(tmp_path)) == {"zoom", "ivr", "ivr-16k"}

    def test_mediacheck_toml_wins_over_pyproject(self, tmp_path: Path) -> None:
        """With both files, mediacheck.toml is the one read."""
        _write(tmp_path, "pyproject.toml", "[tool.mediacheck.profiles.other]\nformats = ['wav']\n")
        _write(tmp_path, "mediacheck.toml", ZOOM)
        assert "other" not in load_rules_file(tmp_path)

    def test_no_file_no_profiles(self, tmp_path: Path) -> None:
        """Without a rules file (or a pyproject without [tool.mediacheck]) only the built-ins exist."""
        _write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
        assert load_rules_file(tmp_path) == {}

    def test_checks_use_the_current_directory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """check_file(profile="ivr") finds ivr in ./mediacheck.toml and applies its 4 s bound."""
        _write(tmp_path, "mediacheck.toml", ZOOM)
        monkeypatch.chdir(tmp_path)
        report = check_file(FIXTURES / "wav" / "connect-ulaw-8k-mono-6s.wav", profile="ivr")
        assert report.codes() == ["duration.too-long"]
        assert check_file(FIXTURES / "wav" / "connect-ulaw-8k-mono-6s.wav", profile="zoom").ok


@pytest.mark.parametrize(("text", "said"), [
    ("[profiles.x\n", "not valid TOML"),
    ("[profiles.x]\nformats = ['ogg']\n", "formats has 'ogg'"),
    ("[profiles.x]\nformats = ['wav']\nmax_bytes = -1\n", "max_bytes must be a whole number"),
    ("[profiles.x]\nformats = ['wav']\nmax_bytes = 1.5\n", "max_bytes must be a whole number"),
    ("[profiles.x]\nformats = ['wav']\nmax_seconds = 'long'\n", "max_seconds must be a number"),
    ("[profiles.x]\nformats = ['wav']\nchannels = [0]\n", "channels must list whole numbers"),
    ("[profiles.x]\nformats = ['wav']\ncodecs = ['opus']\n", "codecs has 'opus'"),
    ("[profiles.x]\nformats = ['wav']\ncontent_types = ['wav']\n", "not a media type"),
    ("[profiles.x]\nformats = ['wav']\nmax_bytes_inclusive = 'yes'\n", "must be true or false"),
    ("[profiles.x]\nformats = ['wav']\nloudness = -18\n", "unknown key 'loudness'"),
    ("[profiles.x]\nmax_bytes = 5\n", "needs formats"),
    ("[profiles.x]\nextends = 'zoom'\n", "neither built in nor in the file"),
    ("[profiles.a]\nextends = 'b'\n[profiles.b]\nextends = 'a'\n", "extends itself"),
    ("[profiles.connect]\nmax_seconds = 10\n", "is a built-in profile"),
    ("[profiles.Bad_Name]\nformats = ['wav']\n", "must be lower-case"),
    ("[profiles.x]\nformats = []\n", "must be a non-empty list"),
    ("profile = 'x'\n", "unknown key 'profile'"),
    ("[profiles]\nx = 3\n", "must be a table of rules"),
])
def test_a_bad_rules_file_is_one_clear_usage_error(tmp_path: Path, text: str, said: str) -> None:
    """Each mistake is a UsageError naming the file and what is wrong, never a traceback from deeper down."""
    path = _write(tmp_path, "mediacheck.toml", text)
    with pytest.raises(UsageError, match=said) as caught:
        resolve_profile("x", directory=tmp_path)
    assert str(path) in str(caught.value)
