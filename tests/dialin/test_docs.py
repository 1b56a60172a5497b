"""The dial-in page is true: the CLI transcript is real output, the example parses, every option is named."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from mediacheck.cli import build_parser, main
from tests.support.docs import read_doc


def section() -> str:
    """The text of docs/dialin.md."""
    return read_doc("dialin")


def test_cli_transcript_is_real_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Running the shown command on the shown file prints exactly the shown output and exit code."""
    match = re.search(r"\$ cat dialin-config\.json\n(.*?)\$ mediacheck dialin-config dialin-config\.json "
                      r"--no-hold-music\n(.*?)\$ echo \$\?\n(\d+)\n", section(), re.S)
    assert match is not None
    config, shown, code = match.groups()
    (tmp_path / "dialin-config.json").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["dialin-config", "dialin-config.json", "--no-hold-music"]) == int(code)
    assert capsys.readouterr().out == shown


def test_library_example_lints_before_it_creates() -> None:
    """The Python example parses, and calls lint_dialin_config before it posts the config with httpx2."""
    match = re.search(r"```python\n(.*?)```", section(), re.S)
    assert match is not None
    code = match.group(1)
    ast.parse(code)
    assert 0 <= code.index("lint_dialin_config(config)") < code.index("if not report.ok") < code.index("httpx2.post(")
    assert "https://api.daily.co/v1/domain-dialin-config" in code


def test_every_option_is_documented() -> None:
    """Every option of `mediacheck dialin-config` appears on the dial-in page."""
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser = subparsers.choices["dialin-config"]
    options = [opt for action in parser._actions for opt in action.option_strings]
    assert "--no-hold-music" in options
    text = section()
    assert [opt for opt in options if f"`{opt}" not in text] == []
