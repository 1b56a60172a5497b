"""The README's service example is real: its `curl` command, run against a live service, prints what is shown."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from tests.support.docs import console_examples, is_service_example, read_doc, run_example

README_SERVICE = "localhost:8000"  # where the README's `mediacheck serve` listens


@pytest.mark.parametrize("tool", ["curl", "jq"])
def test_the_examples_tools_are_here(tool: str) -> None:
    """curl and jq are installed (.ci/run installs them), so the example below really runs."""
    assert shutil.which(tool), f"{tool} is missing: apt-get install {tool}"


def test_readme_curl_example_prints_what_is_shown(live_for: Callable[..., str]) -> None:
    """Each `$ curl ...` of the README, sent to a live service (default settings, no key), prints the shown lines."""
    examples = [(command, shown) for command, shown in console_examples(read_doc("README"))
                if is_service_example(command)]
    assert examples
    address = live_for().removeprefix("http://")
    for command, shown in examples:
        assert README_SERVICE in command
        assert run_example(command.replace(README_SERVICE, address)) == shown
