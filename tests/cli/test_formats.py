"""Every output format parses back into what the run found: JSON against its schema, JUnit as XML, GitHub lines."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mediacheck import __version__
from tests.cli.conftest import RunCli

FINDING = {
    "type": "object",
    "required": ["code", "severity", "message", "hint"],
    "properties": {
        "code": {"type": "string", "pattern": r"^[a-z]+\.[a-z0-9-]+$"},
        "severity": {"enum": ["error", "warning", "info"]},
        "message": {"type": "string", "minLength": 1},
        "hint": {"type": ["string", "null"]},
    },
}
MEDIA = {
    "type": ["object", "null"],
    "required": ["format", "duration_s", "stream_duration_s", "complete", "bytes", "sample_rate", "channels",
                 "mpeg_version", "layer", "bitrate_kbps", "bitrate_mode", "frames"],
    "properties": {
        "format": {"type": "string"},
        "duration_s": {"type": ["number", "null"]},
        "stream_duration_s": {"type": ["number", "null"]},
        "complete": {"type": "boolean"},
        "bytes": {"type": "integer", "minimum": 0},
    },
}
RUN_DOCUMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["mediacheck", "limits", "results", "summary"],
    "properties": {
        "mediacheck": {"type": "string"},
        "limits": {
            "type": "object",
            "required": ["size_limit_bytes", "duration_limit_s", "timeout_s", "max_redirects"],
            "properties": {"size_limit_bytes": {"type": "integer"}, "duration_limit_s": {"type": "number"},
                           "timeout_s": {"type": "number"}, "max_redirects": {"type": "integer"}},
        },
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["target", "ok", "findings", "media", "fetch"],
                "properties": {
                    "target": {"type": "string"},
                    "ok": {"type": "boolean"},
                    "findings": {"type": "array", "items": FINDING},
                    "media": MEDIA,
                    "fetch": {"type": ["object", "null"]},
                },
            },
        },
        "summary": {
            "type": "object",
            "required": ["checked", "passed", "failed"],
            "additionalProperties": False,
            "properties": {k: {"type": "integer", "minimum": 0} for k in ("checked", "passed", "failed")},
        },
    },
}


@pytest.fixture
def mixed_targets(short_mp3: Path, not_mp3: Path, tmp_path: Path) -> list[str]:
    """A passing file, a text file named .mp3, and a path that does not exist, in that order."""
    return [str(short_mp3), str(not_mp3), str(tmp_path / "missing.mp3")]


class TestJson:
    """--format json prints one run document."""

    def test_document_matches_schema_and_order(self, run_cli: RunCli, mixed_targets: list[str]) -> None:
        """The document validates, names the version and limits, keeps the given order, and counts right."""
        result = run_cli("check", "--format", "json", "--max-seconds", "30", *mixed_targets)
        assert result.code == 1
        document = json.loads(result.out)
        jsonschema.validate(document, RUN_DOCUMENT_SCHEMA)
        assert document["mediacheck"] == __version__
        assert document["limits"]["duration_limit_s"] == 30.0
        assert [r["target"] for r in document["results"]] == mixed_targets
        assert [r["ok"] for r in document["results"]] == [True, False, False]
        assert document["results"][1]["findings"][0]["code"] == "format.not-mp3"
        assert document["results"][2]["findings"][0]["code"].startswith("access.")
        assert document["summary"] == {"checked": 3, "passed": 1, "failed": 2}

    def test_undecodable_file_name_still_prints(self, run_cli: RunCli, short_mp3: Path, tmp_path: Path) -> None:
        """A file name that is not UTF-8 comes out escaped in JSON and text, never as a crash."""
        odd = tmp_path / os.fsdecode(b"caf\xe9.mp3")
        odd.write_bytes(short_mp3.read_bytes())
        as_json = run_cli("check", "--format", "json", str(tmp_path))
        assert as_json.code == 0
        assert json.loads(as_json.out)["results"][0]["target"] == str(odd)
        as_text = run_cli("check", str(tmp_path))
        assert as_text.code == 0
        assert "caf\\udce9.mp3" in as_text.out


def _parse_xml(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 -- our own output, the thing under test, not untrusted input


class TestJunit:
    """--format junit prints JUnit XML a CI system shows natively."""

    def test_one_testcase_per_target_with_failures(self, run_cli: RunCli, mixed_targets: list[str]) -> None:
        """Each target is a testcase in order; failing ones carry a failure typed with the first error code."""
        result = run_cli("check", "--format", "junit", *mixed_targets)
        assert result.code == 1
        root = _parse_xml(result.out)
        assert root.tag == "testsuites"
        assert (root.get("tests"), root.get("failures")) == ("3", "2")
        cases = root.findall("./testsuite/testcase")
        assert [c.get("name") for c in cases] == mixed_targets
        assert cases[0].find("failure") is None
        failure = cases[1].find("failure")
        assert failure is not None
        assert failure.get("type") == "format.not-mp3"
        assert "format.not-mp3" in (failure.text or "")
        assert all(float(c.get("time", "x")) >= 0 for c in cases)

    def test_control_characters_are_kept_out_of_the_xml(self, run_cli: RunCli) -> None:
        """A target with characters XML cannot carry still yields a well-formed document."""
        result = run_cli("check", "--format", "junit", "-", stdin=b"no\x01such\x1bfile.mp3\n")
        assert result.code == 1
        case = _parse_xml(result.out).find("./testsuite/testcase")
        assert case is not None
        assert case.get("name") == "no\ufffdsuch\ufffdfile.mp3"


class TestGithub:
    """--format github prints workflow commands GitHub Actions turns into annotations."""

    def test_error_lines_point_at_files(self, run_cli: RunCli, mixed_targets: list[str]) -> None:
        """Each error finding of a file is an `::error file=PATH::CODE: message` line; passing files add none."""
        result = run_cli("check", "--format", "github", *mixed_targets)
        assert result.code == 1
        commands = [line for line in result.out.splitlines() if line.startswith("::")]
        pattern = re.compile(r"^::(error|warning) file=([^:]+)::([a-z]+\.[a-z0-9-]+): (.+)$")
        parsed = [pattern.match(line) for line in commands]
        assert all(parsed), commands
        assert [(m.group(1), m.group(2), m.group(3)) for m in parsed if m and m.group(1) == "error"] == [
            ("error", mixed_targets[1], "format.not-mp3"),
            ("error", mixed_targets[2], "access.not-found"),
        ]
        assert result.out.splitlines()[-1] == "mediacheck: 3 checked, 1 passed, 2 failed"

    def test_properties_are_escaped(self, run_cli: RunCli) -> None:
        """Commas and colons in a path are escaped so GitHub reads the whole path as the file."""
        result = run_cli("check", "--format", "github", "odd,name: here.mp3")
        assert result.out.startswith("::error file=odd%2Cname%3A here.mp3::access.")


    def test_job_summary_is_appended(self, run_cli: RunCli, mixed_targets: list[str], tmp_path: Path) -> None:
        """Under GitHub Actions (GITHUB_STEP_SUMMARY set) a Markdown table is appended, failing targets first."""
        summary = tmp_path / "summary.md"
        summary.write_text("earlier step\n")
        run_cli("check", "--format", "github", *mixed_targets, env={"GITHUB_STEP_SUMMARY": str(summary)})
        lines = summary.read_text().splitlines()
        assert lines[:2] == ["earlier step", "### mediacheck: 3 checked, 1 passed, 2 failed"]
        rows = [line.split(" | ") for line in lines if line.startswith(("| ❌", "| ✅"))]
        assert [(row[0], row[1]) for row in rows] == [
            ("| ❌ FAIL", mixed_targets[1]), ("| ❌ FAIL", mixed_targets[2]), ("| ✅ PASS", mixed_targets[0])]
        assert "`format.not-mp3`" in rows[0][3]

    def test_job_summary_only_with_github_format(self, run_cli: RunCli, short_mp3: Path, tmp_path: Path) -> None:
        """Other formats leave the job summary alone."""
        summary = tmp_path / "summary.md"
        run_cli("check", "--format", "json", str(short_mp3), env={"GITHUB_STEP_SUMMARY": str(summary)})
        assert not summary.exists()


class TestText:
    """--format text (the default) is for people."""

    def test_marks_facts_findings_and_summary(self, run_cli: RunCli, mixed_targets: list[str]) -> None:
        """A PASS/FAIL line per target with the format and size, each finding with its hint, then a summary."""
        result = run_cli("check", *mixed_targets)
        lines = result.out.splitlines()
        facts = r"mp3 · 2\.000 s · [\d,]+ bytes · MPEG-1 Layer III, 64 kbps CBR, 44\.1 kHz, mono$"
        assert re.match(rf"^PASS {re.escape(mixed_targets[0])}  {facts}", lines[0])
        failing = lines.index(f"FAIL {mixed_targets[1]}  unknown · 27 bytes")
        assert re.match(r"^ +error +format\.not-mp3: \S", lines[failing + 1])
        assert re.match(r"^ +hint: \S", lines[failing + 2])
        assert lines[-1] == "3 checked: 1 passed, 2 failed"
        assert "\x1b[" not in result.out

    def test_quiet_shows_only_failures(self, run_cli: RunCli, mixed_targets: list[str]) -> None:
        """--quiet drops passing targets but keeps failing ones and the summary."""
        result = run_cli("check", "--quiet", *mixed_targets)
        assert not any(line.startswith("PASS") for line in result.out.splitlines())
        assert sum(line.startswith("FAIL") for line in result.out.splitlines()) == 2
        assert result.out.splitlines()[-1] == "3 checked: 1 passed, 2 failed"
