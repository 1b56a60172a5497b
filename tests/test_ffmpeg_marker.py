"""The ``ffmpeg`` marker is truthful: marked tests get ffmpeg, unmarked ones run as if there were none.

tests/conftest.py marks every test whose fixtures reach ``ffmpeg_exe`` and points MEDIACHECK_FFMPEG at no
executable for the rest, so ``MEDIACHECK_FFMPEG=/nonexistent pytest -m "not ffmpeg"`` passes on a machine
without ffmpeg because every ordinary run already behaves that way for unmarked tests.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mediacheck import AudioToolsMissingError, check_file
from mediacheck._ffmpeg import find_ffmpeg
from tests.conftest import FIXTURES, NO_FFMPEG
from tests.support.media import MediaFactory


def test_an_unmarked_test_finds_no_ffmpeg() -> None:
    """Without the marker, asking for ffmpeg fails, in this process and in any it starts."""
    assert os.environ["MEDIACHECK_FFMPEG"] == NO_FFMPEG
    with pytest.raises(AudioToolsMissingError, match="MEDIACHECK_FFMPEG"):
        find_ffmpeg()
    child = subprocess.run([sys.executable, "-c", "from mediacheck._ffmpeg import find_ffmpeg; find_ffmpeg()"],
                           capture_output=True, text=True, check=False, timeout=60)
    assert child.returncode != 0
    assert "AudioToolsMissingError" in child.stderr


def test_an_unmarked_deep_check_has_no_ffmpeg() -> None:
    """A deep check in an unmarked test raises for want of ffmpeg, so a test relying on a decode fails loudly."""
    with pytest.raises(AudioToolsMissingError, match="MEDIACHECK_FFMPEG"):
        check_file(FIXTURES / "cbr-noxing-5s.mp3", deep=True)


@pytest.mark.ffmpeg
def test_a_marked_test_gets_ffmpeg() -> None:
    """With the marker the environment is left alone and the package finds its ffmpeg."""
    assert os.environ.get("MEDIACHECK_FFMPEG") != NO_FFMPEG
    assert find_ffmpeg()


def test_asking_for_made_media_marks_the_test(request: pytest.FixtureRequest, make_media: MediaFactory) -> None:
    """A test that only asks for a fixture built on ffmpeg_exe is marked ``ffmpeg`` without saying so."""
    assert request.node.get_closest_marker("ffmpeg") is not None
    assert make_media.tone_mp3(1).stat().st_size > 0
