"""Code, tests, benchmarks and docs say what and why, never which tracker entry: no issue numbers outside CHANGELOG.md.

A comment that names a tracker entry tells its reader nothing about the code in front of them; the changelog is where
history lives.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.docs import ROOT

# The trees a reader of the project reads; mediacheck/service is a link to service/ and is read there.
TREES = ("mediacheck", "service", "tests", "benchmarks", "docs")
TEXT_SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".svg", ".toml", ".yml", ".yaml", ".json", ".txt"}
# Generated or ignored folders (git-ignored), never read by a reader of the source.
SKIPPED_PARTS = {"__pycache__", "_artifacts", "_work"}
# This file's own examples of what the scan catches.
EXAMPLES = Path(__file__).resolve()
ISSUE_REF = re.compile(r"\bissues?\s*#?\d+|#\d+\.\d+", re.IGNORECASE)


def _source_files() -> list[Path]:
    """Every text file of the scanned trees, each once (links into another scanned tree are not followed)."""
    files: list[Path] = []
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*")):
            relative = path.relative_to(ROOT)
            if (path.suffix in TEXT_SUFFIXES and path.is_file() and not SKIPPED_PARTS & set(relative.parts)
                    and path.resolve().is_relative_to(ROOT / tree) and path.resolve() != EXAMPLES):
                files.append(path)
    return files


def issue_refs(text: str) -> list[str]:
    """The issue references in a text, as written."""
    return [match.group(0) for match in ISSUE_REF.finditer(text)]


@pytest.mark.parametrize("text", ["see issue 10", "Issue 6: callers", "(issue #12)", "issues 3 and 4", "step #10.3"])
def test_the_pattern_catches_issue_references(text: str) -> None:
    """The forms an issue number takes in prose are all caught."""
    assert len(issue_refs(text)) == 1


@pytest.mark.parametrize("text", ["Input #0, mp3, from 'x'", "Stream #0:1", "an issue with 10 files", "color: #333"])
def test_the_pattern_leaves_other_numbers_alone(text: str) -> None:
    """ffmpeg's stream numbers, colours and the word issue near a number are not issue references."""
    assert issue_refs(text) == []


def test_the_scan_reads_every_tree() -> None:
    """The scan reaches code, service, tests, benchmarks and docs, the service's code once, through service/."""
    files = [path.relative_to(ROOT).as_posix() for path in _source_files()]
    assert {path.split("/")[0] for path in files} == set(TREES)
    assert "service/server.py" in files
    assert "mediacheck/service/server.py" not in files
    assert "docs/service.md" in files


def test_no_issue_numbers_outside_the_changelog() -> None:
    """No scanned file names an issue number: say what and why instead (CHANGELOG.md may keep them)."""
    hits = [f"{path.relative_to(ROOT)}:{number}: {ref}"
            for path in _source_files()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            for ref in issue_refs(line)]
    assert hits == []
