"""Deep check: decode with pydub/ffmpeg and judge the listening experience (PLACEHOLDER until the audio issue)."""

from __future__ import annotations

from pathlib import Path

from mediacheck._limits import Limits
from mediacheck._report import Report
from mediacheck.exceptions import AudioToolsMissingError


def deep_check_file(report: Report, path: Path, limits: Limits) -> Report:
    """Add decode and listening findings for a local file to its core report."""
    raise AudioToolsMissingError("the deep check is not built yet")


def deep_check_bytes(report: Report, data: bytes, limits: Limits) -> Report:
    """Add decode and listening findings for in-memory bytes to their core report."""
    raise AudioToolsMissingError("the deep check is not built yet")
