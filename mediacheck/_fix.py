"""Turn any audio into compliant hold music (PLACEHOLDER until the audio issue)."""

from __future__ import annotations

import os

from mediacheck._report import Report
from mediacheck.exceptions import AudioToolsMissingError


def fix_file(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Report:
    """Write a compliant MP3 made from ``src`` to ``dst`` and return the check of ``dst``."""
    raise AudioToolsMissingError("fix is not built yet")
