"""The profiles page shows real runs, names every built-in with its source, and every code is tabled."""

from __future__ import annotations

import re

import pytest

from mediacheck._profiles import BUILTIN_PROFILES
from tests.core.test_docs import CODE, ROOT, _table_codes
from tests.support.docs import cli_examples, comparable, read_doc, run_example


def _profiles_section() -> str:
    return read_doc("profiles")


EXAMPLES = cli_examples(_profiles_section())


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_profile_examples_are_literal(command: str, expected: str) -> None:
    """Each `$ mediacheck ...` of the profiles page prints exactly what the page shows."""
    assert EXAMPLES
    assert comparable(run_example(command)) == comparable(expected)


def test_every_builtin_and_its_sources_are_documented() -> None:
    """Each built-in profile has a row, and each of its source pages is linked from the page."""
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
