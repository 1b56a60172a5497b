"""Every output of `mediacheck check` agrees on a file the scan stopped early: both durations at least the limit.

The 75 s fixture used to read ">= 59.953 s" next to "runs for more than 60.003 s". Now the scan stops
only once the playback itself has reached the limit, and text, JSON, JUnit and GitHub say "at least" alike.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from tests.cli.conftest import RunCli
from tests.conftest import FIXTURES

TOO_LONG = str(FIXTURES / "too-long-75s.mp3")
AT_LEAST = re.compile(r"It plays for at least (\d+\.\d{3}) s \(all frames: at least (\d+\.\d{3}) s;")


def _durations(message: str) -> tuple[float, float]:
    found = AT_LEAST.search(message)
    assert found is not None, message
    return float(found.group(1)), float(found.group(2))


def test_text_shows_a_lower_bound_at_or_past_the_limit(run_cli: RunCli) -> None:
    """The key facts say ">= 60.0xx s" and the finding says "at least" the same playback and a longer stream."""
    out = run_cli("check", TOO_LONG).out
    shown = re.search(r"mp3 · >= (\d+\.\d{3}) s ·", out)
    assert shown is not None
    playback, stream = _durations(out)
    assert float(shown.group(1)) == playback >= 60.0
    assert stream >= playback


def test_json_durations_and_message_agree(run_cli: RunCli) -> None:
    """duration_s and stream_duration_s are both at least 60 s, complete is false, and the message repeats them."""
    result = json.loads(run_cli("check", "--format", "json", TOO_LONG).out)["results"][0]
    media = result["media"]
    assert media["complete"] is False
    assert 60.0 <= media["duration_s"] <= media["stream_duration_s"]
    playback, stream = _durations(result["findings"][0]["message"])
    assert (playback, stream) == (round(media["duration_s"], 3), round(media["stream_duration_s"], 3))


def test_junit_failure_says_at_least(run_cli: RunCli) -> None:
    """The JUnit failure message is the finding's, durations at least the limit."""
    junit = run_cli("check", "--format", "junit", TOO_LONG).out
    suites = ET.fromstring(junit)  # noqa: S314 -- our own output, the thing under test
    failure = suites.find("./testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("type") == "duration.too-long"
    playback, stream = _durations(failure.get("message", ""))
    assert 60.0 <= playback <= stream


def test_github_annotation_says_at_least(run_cli: RunCli) -> None:
    """The ::error annotation carries the same "at least" durations."""
    out = run_cli("check", "--format", "github", TOO_LONG).out
    line = next(line for line in out.splitlines() if line.startswith("::error "))
    playback, stream = _durations(line)
    assert 60.0 <= playback <= stream
