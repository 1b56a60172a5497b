"""A fix killed with SIGKILL takes its ffmpeg with it, and the next fix clears the half-written file it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.audio.conftest import Media
from tests.cli.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's (docs/audio.md)")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat_line = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and brackets: the fields after its closing ')' are fixed.
        fields = stat_line.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return []


def test_sigkill_takes_ffmpeg_along_and_the_next_run_cleans_up(media: Media, tmp_path: Path, ffmpeg_exe: str) -> None:
    """SIGKILL mid-encode: ffmpeg dies within seconds (not 59 s later), the partial file is named for the dead
    fix, and the next fix into that folder deletes it and says so.

    The encode is the real ffmpeg held to real time (`-re`, through a one-line wrapper), so it is certainly
    still running, a minute from done, when the fix above it is killed.
    """
    wrapper = tmp_path / "ffmpeg-realtime"
    wrapper.write_text(f'#!/bin/sh\nexec "{ffmpeg_exe}" -re "$@"\n')
    wrapper.chmod(0o755)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MEDIACHECK_ALLOW_NETWORKS"} | {
        "MEDIACHECK_FFMPEG": str(wrapper)}
    fix = subprocess.Popen([sys.executable, "-m", "mediacheck", "fix", str(media("wav")), "-o",
                            str(out_dir / "hold.mp3")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ffmpeg = None
    try:
        deadline = time.monotonic() + 60
        while ffmpeg is None:
            assert fix.poll() is None, "fix ended before its ffmpeg started"
            assert time.monotonic() < deadline, "no ffmpeg started"
            encoding = [pid for pid in _children(fix.pid) if "libmp3lame" in _command_line(pid)]
            ffmpeg = encoding[0] if encoding else None
            time.sleep(0.02)
        time.sleep(0.5)  # mid-encode: real time, so about half a second of 59 is done
        assert _running(ffmpeg)
        fix.send_signal(signal.SIGKILL)
        fix.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _running(ffmpeg) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(ffmpeg), "ffmpeg outlived the fix that started it"
    finally:
        if fix.poll() is None:
            fix.kill()
            fix.wait()
        if ffmpeg is not None and _running(ffmpeg):
            os.kill(ffmpeg, signal.SIGKILL)

    left = sorted(p.name for p in out_dir.iterdir())
    assert len(left) == 1
    assert left[0].startswith(".hold.mp3.mediacheck-fix-")
    assert f"-{fix.pid}-" in left[0]
    assert left[0].endswith(".partial")

    again = subprocess.run([sys.executable, "-m", "mediacheck", "fix", str(media("wav")), "-o",
                            str(out_dir / "hold.mp3")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           check=False, env={k: v for k, v in env.items() if k != "MEDIACHECK_FFMPEG"})
    assert again.returncode == 0, again.stderr
    assert f"mediacheck fix: removed {left[0]}, left by a fix that was killed" in again.stdout
    assert sorted(p.name for p in out_dir.iterdir()) == ["hold.mp3"]
