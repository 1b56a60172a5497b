"""The README's profiles section shows real runs, names every built-in with its source, and every code is tabled."""

from __future__ import annotations

import re

import pytest

from mediacheck._profiles import BUILTIN_PROFILES
from tests.cli.test_docs import _CONSOLE, _SECTION, README, _comparable, _examples, run_example
from tests.core.test_docs import CODE, ROOT, _table_codes


def _profiles_section() -> str:
    for match in _SECTION.finditer(README.read_text()):
        if match.group("name") == "profiles":
            return match.group("body")
    raise AssertionError("README.md has no profiles section")


EXAMPLES = [example for block in _CONSOLE.finditer(_profiles_section()) for example in _examples(block.group("body"))]


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_profile_examples_are_literal(command: str, expected: str) -> None:
    """Each `$ mediacheck ...` of the profiles section prints exactly what the README shows."""
    assert EXAMPLES
    assert _comparable(run_example(command)) == _comparable(expected)


def test_every_builtin_and_its_sources_are_documented() -> None:
    """Each built-in profile has a row, and each of its source pages is linked from the section."""
    section = _profiles_section()
    for name, profile in BUILTIN_PROFILES.items():
        assert re.search(rf"^\| `{name}`", section, flags=re.MULTILINE), name
        for source in profile.sources:
            assert source.url in section, source.url


def test_profile_codes_are_in_the_findings_table() -> None:
    """Every code the profile rules, the WAV scan's rules and the CLI can emit has a row in the findings table."""
    emitted: set[str] = set()
    for module in ("_profile_rules.py", "_cli_check.py"):
        emitted |= set(CODE.findall((ROOT / "mediacheck" / module).read_text()))
    assert {"format.not-allowed", "format.codec", "format.sample-rate", "format.channels",
            "format.wav-header", "access.no-audio-files"} <= emitted
    assert emitted <= _table_codes()
