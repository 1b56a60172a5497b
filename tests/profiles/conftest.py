"""Fixtures for the profile tests: the WAV corpus with FFmpeg's decoded frame counts, and a permissive WAV profile."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.make_wav_fixtures import Case, build_corpus, ffmpeg_frames
from mediacheck._profiles import Profile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WAV_MANIFEST: list[dict[str, Any]] = json.loads((FIXTURES / "wav" / "manifest.json").read_text())["fixtures"]

# Every WAV is measured and no rule but the format applies: what the scanner says is all that is judged.
ANY_WAV = Profile(name="any-wav", title="any WAV", formats=("wav",))


@dataclass(frozen=True)
class Truth:
    """A corpus file and the sample frames FFmpeg decodes from it (None: FFmpeg cannot decode it)."""

    case: Case
    frames: int | None


@pytest.fixture(scope="session")
def wav_corpus(ffmpeg_exe: str, tmp_path_factory: pytest.TempPathFactory) -> list[Truth]:
    """The whole generated corpus, each file with the frame count of a real FFmpeg decode."""
    cases = build_corpus(ffmpeg_exe, tmp_path_factory.mktemp("wav-corpus"))
    return [Truth(case, ffmpeg_frames(ffmpeg_exe, case.path)) for case in cases]
