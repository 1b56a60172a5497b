"""Helpers for the CLI tests: run `mediacheck` in-process or as a real process, and a folder of real media."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediacheck.cli import main
from tests.support.media import MediaFactory

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CliRun:
    """What one run of the command line left behind."""

    code: int
    out: str
    err: str


RunCli = Callable[..., CliRun]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run `mediacheck ARGS` in this process (fast), with optional stdin bytes and environment."""

    def run(*args: str, stdin: bytes = b"", env: Mapping[str, str] | None = None) -> CliRun:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.delenv("MEDIACHECK_ALLOW_NETWORKS", raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


def run_process(args: Sequence[str], *, stdin: bytes = b"", env: Mapping[str, str] | None = None,
                timeout: float = 60) -> CliRun:
    """Run `python -m mediacheck ARGS` as a real process."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "MEDIACHECK_ALLOW_NETWORKS")}
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "mediacheck", *args], input=stdin, capture_output=True,
                          env=full_env, timeout=timeout, cwd=ROOT, check=False)
    return CliRun(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory, make_media: MediaFactory) -> Path:
    """A folder of media made once per session: a short MP3 that passes, and a file that fails."""
    folder = tmp_path_factory.mktemp("cli-media")
    (folder / "short.mp3").write_bytes(make_media.tone_mp3(2).read_bytes())
    (folder / "notes.mp3").write_text("these are notes, not audio\n")
    return folder


@pytest.fixture
def short_mp3(media_dir: Path) -> Path:
    """A 2-second 64 kbps mono MP3 that passes every default limit."""
    return media_dir / "short.mp3"


@pytest.fixture
def not_mp3(media_dir: Path) -> Path:
    """A text file wearing an .mp3 name."""
    return media_dir / "notes.mp3"
