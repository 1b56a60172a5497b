"""The pre-commit hook manifest runs `mediacheck check` on exactly the .mp3 files a commit touches."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from mediacheck.cli import build_parser
from tests.cli.conftest import ROOT, RunCli


def _hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["mediacheck"]
    return dict(hooks[0])


def test_hook_runs_the_installed_console_script(run_cli: RunCli, short_mp3: Path, not_mp3: Path) -> None:
    """The hook's entry is the `mediacheck` console script the package installs, and it fails a bad file."""
    hook = _hook()
    assert hook["language"] == "python"
    program, *args = str(hook["entry"]).split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[program] == "mediacheck.cli:main"
    build_parser().parse_args([*args, "a.mp3"])
    # pre-commit appends the staged file names to the entry.
    assert run_cli(*args, str(short_mp3)).code == 0
    assert run_cli(*args, str(short_mp3), str(not_mp3)).code == 1


def test_hook_selects_mp3_files_only() -> None:
    """The hook's file pattern takes .mp3 in any letter case and nothing else."""
    pattern = re.compile(str(_hook()["files"]))
    assert [name for name in ("a.mp3", "music/HOLD.MP3", "b.Mp3", "a.mp3.txt", "a.wav", "mp3", "x.mp3/y.ogg")
            if pattern.search(name)] == ["a.mp3", "music/HOLD.MP3", "b.Mp3"]
