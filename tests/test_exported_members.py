"""The public surface is exactly what __all__ says, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys
import types

import mediacheck


def test_all_is_sorted_and_complete() -> None:
    """Every public name is in __all__ exactly once (ruff RUF022 keeps it sorted), and every name resolves."""
    public = {
        name for name, value in vars(mediacheck).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    public |= {"__version__"}
    lazy = set(mediacheck._LAZY)
    assert len(set(mediacheck.__all__)) == len(mediacheck.__all__)
    assert set(mediacheck.__all__) == public | lazy
    for name in mediacheck.__all__:
        assert getattr(mediacheck, name) is not None


def test_import_loads_no_service_or_audio_modules() -> None:
    """`import mediacheck` loads no fastapi/uvicorn/pydub (the core runs without them), no httpx2 (CLI start-up)."""
    code = (
        "import sys, mediacheck\n"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'pydub', 'starlette', 'pydantic', 'imageio_ffmpeg', 'httpx2',"
        " 'httpcore2', 'httpx', 'httpcore') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
