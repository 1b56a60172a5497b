"""The composite GitHub Action (action.yml) installs mediacheck from its own files and checks the given targets.

Its shape is read from the YAML. Its ``run:`` steps are then executed with bash on this machine the way a
runner executes them: ``bash --noprofile --norc -eo pipefail`` on the step's script, GITHUB_ACTION_PATH a copy of
this repository (what the runner checks out at the named ref), RUNNER_TEMP a fresh folder, each step's ``env:``
with the inputs filled in, and pip offline against a wheelhouse repacked from this environment (as
tests/deploy/replay.py does for the Dockerfile), since no package index may be reached from a test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.replay import build_wheelhouse
from tests.support.docs import read_doc

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = ACTION["runs"]["steps"]
    return steps


class TestShape:
    """What a workflow relies on, read from action.yml itself."""

    def test_composite_with_required_targets(self) -> None:
        """A composite action whose only required input is `targets`, every other input with a default."""
        assert ACTION["runs"]["using"] == "composite"
        inputs = ACTION["inputs"]
        assert [name for name, spec in inputs.items() if spec.get("required")] == ["targets"]
        assert all("default" in spec for name, spec in inputs.items() if name != "targets")
        assert inputs["format"]["default"] == "github"
        assert inputs["args"]["default"] == ""

    def test_inputs_reach_scripts_only_through_env(self) -> None:
        """No `${{ }}` in any script (script injection); each env value is exactly one declared input."""
        used = set()
        for step in _steps():
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], step["name"]
            for value in step.get("env", {}).values():
                match = _INPUT.fullmatch(value)
                assert match, f"{step['name']}: env value {value!r} is not one input"
                used.add(match.group(1))
        assert used == set(ACTION["inputs"])

    def test_exit_code_output_comes_from_the_check_step(self) -> None:
        """The `exit-code` output is the check step's, which writes it."""
        assert ACTION["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"
        (check,) = [step for step in _steps() if step.get("id") == "check"]
        assert 'exit-code=$status" >> "$GITHUB_OUTPUT"' in check["run"]

    @pytest.mark.parametrize("page", ["README", "ci"])
    def test_documented_workflows_use_the_action_as_it_is(self, page: str) -> None:
        """Each workflow in the docs that uses the action names it @v0 and passes only inputs it has."""
        uses = []
        for block in re.findall(r"```yaml\n(.*?)```", read_doc(page), re.DOTALL):
            workflow = yaml.safe_load(block)
            if not isinstance(workflow, dict) or "jobs" not in workflow:
                continue
            for job in workflow["jobs"].values():
                for step in job["steps"]:
                    if str(step.get("uses", "")).split("@")[0].endswith("/mediacheck"):
                        uses.append(step["uses"])
                        given = set(step.get("with", {}))
                        assert given <= set(ACTION["inputs"]), given - set(ACTION["inputs"])
                        assert "targets" in given
        assert uses
        assert {use.rsplit("@", 1)[1] for use in uses} == {"v0"}


# --- running the steps ---------------------------------------------------------------------------------------

@dataclass
class ActionRun:
    """A folder set up like a runner's for one job: the action's checkout, RUNNER_TEMP, the wheelhouse."""

    action_path: Path
    runner_temp: Path
    wheelhouse: Path
    home: Path

    def step(self, name: str, inputs: dict[str, str], summary: Path | None = None) -> tuple[int, str, str]:
        """Run the step called ``name`` with ``inputs``; returns its exit code, its output and what it set."""
        (step,) = [s for s in _steps() if s["name"] == name]
        values = {key: spec.get("default", "") for key, spec in ACTION["inputs"].items()} | inputs
        outputs = self.runner_temp / "github_output"
        outputs.write_text("")
        env = {
            "PATH": os.environ["PATH"], "HOME": str(self.home), "LANG": "C.UTF-8",
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ROOT),
            "GITHUB_ACTION_PATH": str(self.action_path), "RUNNER_TEMP": str(self.runner_temp),
            "GITHUB_OUTPUT": str(outputs),
            "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheelhouse),  # a mirror, as a runner might use
        }
        if summary is not None:
            env["GITHUB_STEP_SUMMARY"] = str(summary)
        for variable, value in step.get("env", {}).items():
            match = _INPUT.fullmatch(value)
            assert match
            env[variable] = values[match.group(1)]
        script = self.runner_temp / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, done.stdout + done.stderr, outputs.read_text()


def _copy_checkout(destination: Path) -> None:
    """The repository's files as a fresh checkout holds them (tracked and new, not ignored), links kept."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if not (source.exists() or source.is_symlink()):
            continue  # deleted in the working tree, not yet committed
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> ActionRun:
    """The action's install step run once, offline, into a fresh RUNNER_TEMP."""
    base = tmp_path_factory.mktemp("action")
    run = ActionRun(base / "action", base / "runner-temp", base / "wheelhouse", base / "home")
    for folder in (run.runner_temp, run.home):
        folder.mkdir()
    _copy_checkout(run.action_path)
    build_wheelhouse(ROOT, run.wheelhouse, extras=())
    code, output, _ = run.step("Install mediacheck", {"targets": "unused"})
    assert code == 0, output
    return run


class TestRun:
    """The steps as a runner runs them: install from the action's own files, then `mediacheck check`."""

    def test_a_passing_target_exits_0_with_a_job_summary(self, installed: ActionRun, tmp_path: Path) -> None:
        """The check step exits 0, sets exit-code=0 and writes the run's table to the job summary."""
        summary = tmp_path / "summary.md"
        code, output, outputs = installed.step("Check hold music", {"targets": "fixtures/example-hold-music.mp3"},
                                               summary)
        assert (code, outputs) == (0, "exit-code=0\n"), output
        assert "mediacheck: 1 checked, 1 passed, 0 failed" in output
        assert "fixtures/example-hold-music.mp3" in summary.read_text()

    def test_a_failing_target_is_annotated_and_exits_1(self, installed: ActionRun) -> None:
        """Targets over several lines and extra args are honoured; a failure is an ::error annotation, exit 1."""
        code, output, outputs = installed.step("Check hold music", {
            "targets": "fixtures/example-hold-music.mp3\n  fixtures/too-long-75s.mp3\n",
            "args": "--max-seconds 45  --strict"})
        assert (code, outputs) == (1, "exit-code=1\n"), output
        assert "::error file=fixtures/too-long-75s.mp3::duration.too-long: It plays for at least 45." in output
        assert "mediacheck: 2 checked, 1 passed, 1 failed" in output

    def test_inputs_are_never_evaluated_as_shell(self, installed: ActionRun, tmp_path: Path) -> None:
        """Shell syntax in an input is a target name, not a command: nothing runs, the odd target fails."""
        marker = tmp_path / "ran"
        code, output, _ = installed.step("Check hold music", {
            "targets": f"fixtures/example-hold-music.mp3 $(touch {marker}) `touch {marker}` ;touch {marker}",
            "format": "text"})
        assert code == 1, output
        assert not marker.exists()
        assert f"FAIL $(touch {marker})" not in output  # split on whitespace, as documented
        assert "FAIL $(touch" in output

    def test_bad_extras_stop_the_install_before_pip(self, installed: ActionRun) -> None:
        """An extras value that is not a list of names fails the install with an annotation, exit 2."""
        code, output, _ = installed.step("Install mediacheck", {"targets": "x", "extras": "audio] @ file:///tmp"})
        assert code == 2
        assert "::error title=mediacheck::the extras input must be comma-separated names" in output
