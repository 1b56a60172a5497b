"""Shared helpers for the core tests: the fixture manifest, and feeding bytes to the Inspector in chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MANIFEST: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text())["fixtures"]


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    """Split data into pieces of ``size`` bytes (the last one shorter)."""
    for at in range(0, len(data), size):
        yield data[at:at + size]


@pytest.fixture(scope="session")
def manifest() -> list[dict[str, Any]]:
    """The committed fixtures' manifest entries."""
    return MANIFEST
