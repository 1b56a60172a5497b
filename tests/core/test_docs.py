"""The docs document the core: every finding code the library can emit is in the one findings table."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.docs import read_doc

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r'"((?:url|access|size|format|duration)\.[a-z0-9-]+)"')
# The codes the public contract requires of the whole product, whichever module emits them.
REQUIRED = {"url.invalid", "url.scheme", "url.credentials", "access.blocked-address", "access.unreachable",
            "access.tls", "access.timeout", "access.http-status", "access.redirects", "size.too-large",
            "format.not-mp3", "format.wrong-layer", "format.corrupt", "duration.too-long"}


def _table_codes() -> set[str]:
    """The codes with a row in the table of docs/findings.md."""
    return set(re.findall(r"^\| `([a-z]+\.[a-z0-9-]+)` \|", read_doc("findings"), flags=re.MULTILINE))


def test_core_codes_are_documented() -> None:
    """Each code in the core's rules and checks appears in the findings table."""
    emitted: set[str] = set()
    for module in ("_rules.py", "_check.py"):
        emitted |= set(CODE.findall((ROOT / "mediacheck" / module).read_text()))
    assert emitted
    assert emitted <= _table_codes()


def test_required_codes_are_documented() -> None:
    """Every finding code the contract requires has a row in the table."""
    assert _table_codes() >= REQUIRED
