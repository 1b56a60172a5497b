"""`mediacheck --version` and file-only runs import nothing heavy: fetch, service and audio code load on demand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import ROOT

# What `--version` must not pay for: the fetch stack, the event loop, the service and the audio tools.
HEAVY = {"httpx2", "httpcore2", "httpx", "httpcore", "anyio", "asyncio", "ssl", "fastapi", "starlette", "uvicorn",
         "pydantic", "pydub", "imageio_ffmpeg", "service"}


def _imported_modules(*args: str) -> set[str]:
    """The top-level packages a real `python -X importtime -m mediacheck ARGS` imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "mediacheck", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "mediacheck" in names, done.stderr[-2000:]
    return names


def test_version_imports_nothing_heavy() -> None:
    """`mediacheck --version` loads none of httpx, asyncio, ssl, the service or the audio tools."""
    assert _imported_modules("--version") & HEAVY == set()


def test_file_only_run_imports_no_fetch_stack(short_mp3: Path) -> None:
    """Checking local files never loads the fetch stack or the event loop."""
    assert _imported_modules("check", "--format", "json", str(short_mp3)) & HEAVY == set()
