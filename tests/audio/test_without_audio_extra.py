"""Without the audio extra (no pydub, no imageio-ffmpeg, no ffmpeg anywhere) the core still imports and checks files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.audio.conftest import Media

ROOT = Path(__file__).resolve().parents[2]

# A meta-path finder that makes the audio extra's modules unimportable, as if it were not installed.
BLOCKER = """
import sys
class NoAudioExtra:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('pydub', 'imageio_ffmpeg', 'audioop'):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoAudioExtra())
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "MEDIACHECK_FFMPEG"}
    # A PATH with python's folder only: no system ffmpeg can be found.
    base["PATH"] = str(Path(sys.executable).parent)
    base.update(env or {})
    return subprocess.run([sys.executable, "-c", BLOCKER + code, *args], capture_output=True, text=True,
                          env=base, cwd=ROOT, timeout=60, check=False)


def test_core_imports_and_checks_without_the_extra(media: Media) -> None:
    """import mediacheck and check_file work, and the deep check says what to install instead of a traceback."""
    code = """
import mediacheck
report = mediacheck.check_file(sys.argv[1])
print("ok" if report.ok else "fail", report.media.format)
try:
    mediacheck.check_file(sys.argv[1], deep=True)
except mediacheck.AudioToolsMissingError as exc:
    print("deep:", exc)
print("pydub loaded:", "pydub" in sys.modules)
"""
    done = _run(code, str(media("mp3_short")))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ok mp3"
    assert lines[1].startswith("deep:")
    assert "mediacheck[audio]" in lines[1]
    assert lines[2] == "pydub loaded: False"


def test_fix_without_any_ffmpeg_says_how_to_get_one(media: Media, tmp_path: Path) -> None:
    """`mediacheck fix` with no ffmpeg anywhere exits 2 with install advice, and writes nothing."""
    code = "from mediacheck.cli import main\nsys.exit(main(sys.argv[1:]))"
    done = _run(code, "fix", str(media("wav")), "-o", str(tmp_path / "hold.mp3"))
    assert done.returncode == 2
    assert "needs ffmpeg" in done.stderr
    assert "mediacheck[audio]" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_fix_needs_only_an_ffmpeg_not_pydub(media: Media, tmp_path: Path, ffmpeg_exe: str) -> None:
    """fix runs ffmpeg directly, so MEDIACHECK_FFMPEG alone is enough even with pydub missing."""
    code = """
import mediacheck
report = mediacheck.fix_file(sys.argv[1], sys.argv[2])
print(report.ok, "pydub" in sys.modules)
"""
    done = _run(code, str(media("m4a")), str(tmp_path / "hold.mp3"), env={"MEDIACHECK_FFMPEG": ffmpeg_exe})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
