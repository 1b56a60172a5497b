"""The docs document every command and option the parser has, and their CLI examples show their real output.

Two checks, both driven by the code rather than by a list someone must remember to update:

- every sub-command of ``build_parser()`` (all of them, whoever registers them) has a page in ``COMMAND_PAGES``
  that names it as ``mediacheck COMMAND`` and names every option of it (a new command without a page fails);
- every ``$ command`` in a ``console`` block of the pages in ``EXAMPLE_PAGES`` is run, and its output (stdout and
  stderr together) must equal the lines below it. After an intended change of output, regenerate them with
  ``python -m tests.cli.test_docs --update``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator

import pytest

from mediacheck.cli import build_parser
from tests.support.docs import cli_examples, comparable, read_doc, run_example, update_examples

# The page that documents each command, its options included (`mediacheck` itself: --version, --help).
COMMAND_PAGES = {
    "mediacheck": "cli",
    "mediacheck check": "cli",
    "mediacheck fix": "audio",
    "mediacheck dialin-config": "dialin",
    "mediacheck serve": "service",
}
# Pages whose `$ mediacheck ...` examples are re-run here (docs/profiles.md: tests/profiles/test_docs_profiles.py).
EXAMPLE_PAGES = ("README", "cli", "ci")


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
def test_every_command_and_option_is_documented(command: str, parser: argparse.ArgumentParser) -> None:
    """The command's page names the command and each of its options."""
    assert command in COMMAND_PAGES, f"`{command}` has no documentation page: write one and add it to COMMAND_PAGES"
    page = read_doc(COMMAND_PAGES[command])
    assert _mentions(page, command), f"docs/{COMMAND_PAGES[command]}.md never mentions `{command}`"
    missing = [option for option in _options(parser) if not _mentions(page, option)]
    assert not missing, f"docs/{COMMAND_PAGES[command]}.md does not document `{command}` {', '.join(missing)}"


# --- the CLI examples ---------------------------------------------------------------------------------------

EXAMPLES = [(page, command, expected) for page in EXAMPLE_PAGES for command, expected in cli_examples(read_doc(page))]


@pytest.mark.parametrize(("page", "command", "expected"), EXAMPLES, ids=[f"{p}: {c[:50]}" for p, c, _ in EXAMPLES])
def test_cli_example_output_is_literal(page: str, command: str, expected: str) -> None:
    """Running the page's example prints exactly what the page shows under it."""
    assert comparable(run_example(command)) == comparable(expected)


@pytest.mark.parametrize("page", EXAMPLE_PAGES)
def test_pages_have_examples(page: str) -> None:
    """Each of these pages shows real runs (the check above is not vacuous)."""
    assert [command for p, command, _ in EXAMPLES if p == page]
    assert len(EXAMPLES) >= 8


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.cli.test_docs --update")
    for name in (*EXAMPLE_PAGES, "profiles"):
        if update_examples(name):
            print(f"updated {name}")
