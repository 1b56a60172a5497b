"""The README documents every command and option the parser has, and its CLI examples show their real output.

Two checks, both driven by the code rather than by a list someone must remember to update:

- every sub-command of ``build_parser()`` (all of them, whoever registers them) is named in the README as
  ``mediacheck COMMAND``, and every option of it appears in a README section that names the command;
- every ``$ command`` in a ``console`` block of the README's ``cli`` section is run, and its output (stdout and
  stderr together) must equal the lines below it. After an intended change of output, regenerate them with
  ``python -m tests.cli.test_docs --update``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediacheck.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_SECTION = re.compile(r"<!-- section:(?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- /section:(?P=name) -->", re.DOTALL)
_CONSOLE = re.compile(r"^```console\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ("mediacheck",),
              ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command path with its parser, the top level first, sub-commands (at any depth) after."""
    yield " ".join(path), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # aliases share a parser
                    seen.add(id(sub))
                    yield from _commands(sub, (*path, name))


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """The option strings a reader must find: the long form(s), or the short one when there is no long form."""
    names: list[str] = []
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        long_forms = [s for s in action.option_strings if s.startswith("--")]
        names.extend(long_forms or action.option_strings)
    return names


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


COMMANDS = list(_commands(build_parser()))


@pytest.mark.parametrize(("command", "parser"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_command_and_option_is_in_the_readme(command: str, parser: argparse.ArgumentParser) -> None:
    """The README names the command and, in a section that names it, each of its options."""
    readme = README.read_text()
    if command == "mediacheck":
        where = readme
    else:
        assert _mentions(readme, command), f"README.md never mentions `{command}`"
        sections = [m.group("body") for m in _SECTION.finditer(readme) if _mentions(m.group("body"), command)]
        where = "\n".join(sections) if sections else readme
    missing = [option for option in _options(parser) if not _mentions(where, option)]
    assert not missing, f"README.md does not document these options of `{command}`: {', '.join(missing)}"


# --- the CLI examples ---------------------------------------------------------------------------------------

def _cli_section(readme: str) -> str:
    for match in _SECTION.finditer(readme):
        if match.group("name") == "cli":
            return match.group("body")
    raise AssertionError("README.md has no cli section")


def _examples(block: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of one console block."""
    examples: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            examples.append((line[2:], []))
        elif examples:
            examples[-1][1].append(line)
    return [(command, "\n".join(lines)) for command, lines in examples]


def run_example(command: str) -> str:
    """Run a README command the way a reader would, in the repository root, and return what it printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "MEDIACHECK_ALLOW_NETWORKS")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "80"  # argparse wraps the usage to the terminal width
    env["PYTHONIOENCODING"] = "utf-8"  # the README is UTF-8 whatever locale CI runs under (LC_ALL=C is ASCII)
    done = subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False)
    return done.stdout.decode("utf-8", "replace").rstrip("\n")


def _comparable(output: str) -> str:
    # JUnit run times and timestamps are the only parts of an example's output that change between runs.
    return re.sub(r'\b(time|timestamp)="[^"]*"', r'\1="..."', output)


EXAMPLES = [example for block in _CONSOLE.finditer(_cli_section(README.read_text()))
            for example in _examples(block.group("body"))]


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_cli_example_output_is_literal(command: str, expected: str) -> None:
    """Running the README's example prints exactly what the README shows under it."""
    assert _comparable(run_example(command)) == _comparable(expected)


def test_cli_section_has_examples() -> None:
    """The cli section shows real runs (the check above is not vacuous)."""
    assert len(EXAMPLES) >= 5


def update_readme() -> None:
    """Re-run every example of the cli section and write its real output into the README.

    Others edit the README concurrently: the examples run first, then the file is read again and only the
    cli section is replaced, so the read-to-write window is milliseconds, not the seconds the runs take.
    """
    section = _cli_section(README.read_text())

    def refresh(block: re.Match[str]) -> str:
        lines = []
        for command, shown in _examples(block.group("body")):
            output = run_example(command)
            # Keep what is shown when only run times differ, so a refresh touches only real changes.
            lines += [f"$ {command}", shown if _comparable(shown) == _comparable(output) else output]
        return "```console\n" + "\n".join(lines) + "\n```" if lines else block.group(0)

    refreshed = _CONSOLE.sub(refresh, section)
    readme = README.read_text()
    if readme.count(section) != 1:
        sys.exit("the cli section changed while the examples ran; run the update again")
    README.write_text(readme.replace(section, refreshed, 1))


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.cli.test_docs --update")
    update_readme()
