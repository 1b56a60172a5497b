"""On a terminal the CLI colours text and shows progress, in pipes and under NO_COLOR neither; Ctrl-C exits 130."""

from __future__ import annotations

import array
import errno
import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT


def _run_with_terminal(args: Sequence[str], *, terminal: str,
                       env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Run `python -m mediacheck ARGS` with stdout or stderr (``terminal``) on a pseudo-terminal.

    Returns the exit code, what the terminal showed, and what the other stream (a pipe) got.
    """
    controller, device = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"} | dict(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "mediacheck", *args], cwd=ROOT, env=full_env, stdin=subprocess.DEVNULL,
        stdout=device if terminal == "stdout" else subprocess.PIPE,
        stderr=device if terminal == "stderr" else subprocess.PIPE,
    )
    os.close(device)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError as exc:  # Linux reports the closed far end as EIO
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    other_out, other_err = process.communicate(timeout=60)
    other = other_err if terminal == "stdout" else other_out
    return process.returncode, shown.decode("utf-8", "replace"), other.decode("utf-8", "replace")


class TestColour:
    """Colour only on a terminal, and never under NO_COLOR."""

    def test_terminal_gets_colour(self, short_mp3: Path, not_mp3: Path) -> None:
        """On a terminal, PASS and FAIL are coloured."""
        code, shown, _ = _run_with_terminal(["check", str(short_mp3), str(not_mp3)], terminal="stdout")
        assert code == 1
        assert "\x1b[1;32mPASS\x1b[0m" in shown
        assert "\x1b[1;31mFAIL\x1b[0m" in shown

    def test_no_color_is_respected(self, short_mp3: Path) -> None:
        """NO_COLOR=1 turns colour off even on a terminal."""
        code, shown, _ = _run_with_terminal(["check", str(short_mp3)], terminal="stdout", env={"NO_COLOR": "1"})
        assert code == 0
        assert "PASS" in shown
        assert "\x1b[" not in shown

    def test_pipe_gets_no_colour(self, short_mp3: Path) -> None:
        """Piped output (stderr is the terminal here) has no escape codes."""
        code, _, piped = _run_with_terminal(["check", str(short_mp3)], terminal="stderr")
        assert code == 0
        assert piped.startswith("PASS ")
        assert "\x1b[" not in piped


class TestProgress:
    """A progress bar on stderr when it is a terminal and there are many targets."""

    def test_progress_on_terminal_stderr(self, short_mp3: Path) -> None:
        """Twelve targets draw a bar that reaches 12/12 and is erased; stdout stays clean."""
        code, shown, piped = _run_with_terminal(["check", *[str(short_mp3)] * 12], terminal="stderr")
        assert code == 0
        assert "\rchecking [" in shown
        assert "12/12" in shown
        assert shown.endswith("\r\x1b[K")
        assert "checking" not in piped
        assert piped.count("PASS") == 12

    @pytest.mark.parametrize("args", [["--quiet"], []], ids=["quiet", "few-targets"])
    def test_no_progress_when_quiet_or_few(self, short_mp3: Path, args: list[str]) -> None:
        """--quiet, or fewer than ten targets, draws no bar."""
        count = 12 if args else 3
        _, shown, _ = _run_with_terminal(["check", *args, *[str(short_mp3)] * count], terminal="stderr")
        assert "checking" not in shown


class TestInterrupt:
    """Ctrl-C (a real SIGINT) ends the run cleanly with exit code 130."""

    @pytest.mark.parametrize("with_url", [False, True], ids=["files", "files-and-urls"])
    def test_sigint_exits_130_without_traceback(self, short_mp3: Path, with_url: bool) -> None:
        """A run stuck reading a pipe that stops mid-file stops at SIGINT: exit 130, a short note, no traceback."""
        reader, writer = os.pipe()
        # Port 9 on loopback without --allow-network: the guard refuses it, no traffic is sent.
        urls = ["http://127.0.0.1:9/hold.mp3"] if with_url else []
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "MEDIACHECK_ALLOW_NETWORKS")}
        # The CLI gets the read end as /dev/fd/N, as `mediacheck check <(...)` would give it.
        process = subprocess.Popen([sys.executable, "-m", "mediacheck", "check", *urls, f"/dev/fd/{reader}"],
                                   cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, pass_fds=(reader,))
        os.close(reader)
        try:
            # The start of a real MP3, then nothing: once the pipe is empty again, the CLI has read it and is
            # inside the check, blocked waiting for bytes that never come.
            os.write(writer, short_mp3.read_bytes()[:1000])
            waiting = array.array("i", [1])
            deadline = time.monotonic() + 60
            while waiting[0]:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("the CLI never read the pipe")
                time.sleep(0.02)
                fcntl.ioctl(writer, termios.FIONREAD, waiting)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            os.close(writer)
        assert process.returncode == 130, err
        assert b"Traceback" not in err
        assert err.strip().endswith(b"mediacheck: interrupted")
        assert out == b""


def test_closed_pipe_is_quiet(fixtures_dir: Path) -> None:
    """`mediacheck check ... | head -1`: the reader leaving early costs no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    # Twenty copies of the fixture folder: more output than a pipe buffers, so the write does hit EPIPE.
    process = subprocess.Popen([sys.executable, "-m", "mediacheck", "check", *[str(fixtures_dir)] * 20], cwd=ROOT,
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    with process, process.stderr:
        first = process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=60)
    assert first.startswith(b"PASS ") or first.startswith(b"FAIL ")
    assert b"Traceback" not in err
    assert process.returncode == 1


def test_dialin_config_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """`mediacheck dialin-config body.json | head`: a reader that has already gone costs no BrokenPipeError."""
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"type": "pin_dialin", "phone_number": "+1 805 870 0061"}))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    for fmt in ("text", "json"):
        process = subprocess.Popen([sys.executable, "-m", "mediacheck", "dialin-config", "--format", fmt, str(body)],
                                   cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.close()  # the reader leaves before the CLI has written a byte
        _, err = process.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()
        assert b"BrokenPipeError" not in err
        assert process.returncode == 1  # the body fails (spaces in the number); the exit code still says so
