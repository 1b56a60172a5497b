"""The profiles page shows real runs, names every built-in with its source, and every code is tabled."""

from __future__ import annotations

import re

import pytest

from mediacheck._profiles import BUILTIN_PROFILES
from mediacheck.service.profiles import profiled_limits
from tests.core.test_docs import CODE, ROOT, _table_codes
from tests.service.conftest import make_settings
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


def test_service_caps_profile_bounds_at_the_operators_limits() -> None:
    """docs/profiles.md says what service/profiles.py does: connect's 50 MB and 5 min stop at the operator's limits."""
    capped = profiled_limits("connect", make_settings().default_limits())
    assert (capped.size_limit_bytes, capped.duration_limit_s) == (10_000_000, 60.0)
    page = " ".join(read_doc("profiles").split())
    assert ("On the service a profile's bounds are capped at the operator's limits "
            "(`MEDIACHECK_MAX_BYTES` / `MEDIACHECK_MAX_SECONDS`)") in page
    assert f"`connect` is checked up to {capped.size_limit_bytes:,} bytes and {capped.duration_limit_s:g} s" in page
    assert "100,000,000" not in page
