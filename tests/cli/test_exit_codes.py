"""`mediacheck check` exits 0 when every target passes, 1 when any fails, 2 on a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import RunCli, run_process


class TestPassAndFail:
    """The exit code is the run's verdict."""

    def test_all_pass_exits_0(self, run_cli: RunCli, short_mp3: Path) -> None:
        """A run whose every target passes exits 0."""
        result = run_cli("check", str(short_mp3))
        assert result.code == 0, result.out
        assert result.out.startswith("PASS ")

    def test_one_failure_exits_1(self, run_cli: RunCli, short_mp3: Path, not_mp3: Path) -> None:
        """One failing target among passing ones makes the run exit 1, and every target is still reported."""
        result = run_cli("check", str(short_mp3), str(not_mp3), str(short_mp3))
        assert result.code == 1
        marks = [line.split()[0] for line in result.out.splitlines() if line.startswith(("PASS", "FAIL"))]
        assert marks == ["PASS", "FAIL", "PASS"]
        assert "format.not-mp3" in result.out

    def test_warnings_fail_only_with_strict(self, run_cli: RunCli, fixtures_dir: Path) -> None:
        """A file with only a warning (a truncated last frame) passes, unless --strict makes warnings fail."""
        truncated = str(fixtures_dir / "truncated-mid-frame.mp3")
        relaxed = run_cli("check", truncated)
        assert relaxed.code == 0
        assert relaxed.out.startswith("PASS ")
        assert "warning format.truncated" in relaxed.out
        strict = run_cli("check", "--strict", truncated)
        assert strict.code == 1
        assert strict.out.startswith("FAIL ")
        assert strict.out.splitlines()[-1] == "1 checked: 0 passed, 1 failed (1 warning)"

    def test_limits_from_options_apply(self, run_cli: RunCli, short_mp3: Path) -> None:
        """--max-bytes below the file's size fails it with size.too-large."""
        result = run_cli("check", "--max-bytes", "1000", str(short_mp3))
        assert result.code == 1
        assert "size.too-large" in result.out

    def test_max_seconds_applies(self, run_cli: RunCli, fixtures_dir: Path) -> None:
        """--max-seconds 20 fails the 30-second example with duration.too-long; the default passes it."""
        example = str(fixtures_dir / "example-hold-music.mp3")
        assert run_cli("check", example).code == 0
        result = run_cli("check", "--max-seconds", "20", example)
        assert result.code == 1
        assert "error   duration.too-long" in result.out

    def test_console_script_and_python_m(self, short_mp3: Path, not_mp3: Path) -> None:
        """`python -m mediacheck` is the real command line, with the same exit codes."""
        assert run_process(["check", str(short_mp3)]).code == 0
        assert run_process(["check", str(not_mp3)]).code == 1


BAD_USAGE = [
    pytest.param(["check", "--bogus", "x.mp3"], "unrecognized arguments: --bogus", id="unknown-option"),
    pytest.param(["check", "--max-seconds", "-1", "x.mp3"], "--max-seconds", id="negative-seconds"),
    pytest.param(["check", "--max-seconds", "abc", "x.mp3"], "--max-seconds", id="text-seconds"),
    pytest.param(["check", "--max-seconds", "nan", "x.mp3"], "--max-seconds", id="nan-seconds"),
    pytest.param(["check", "--max-bytes", "0", "x.mp3"], "--max-bytes", id="zero-bytes"),
    pytest.param(["check", "--timeout", "inf", "x.mp3"], "--timeout", id="infinite-timeout"),
    pytest.param(["check", "--concurrency", "0", "x.mp3"], "--concurrency", id="zero-concurrency"),
    pytest.param(["check", "--concurrency", "101", "x.mp3"], "at most 100", id="too-much-concurrency"),
    pytest.param(["check", "--allow-network", "nowhere", "x.mp3"], "--allow-network", id="bad-cidr"),
    pytest.param(["check", "--format", "xml", "x.mp3"], "--format", id="unknown-format"),
    pytest.param(["check"], "no targets given", id="no-targets"),
    pytest.param([], "a command is required", id="no-command"),
]


class TestUsageErrors:
    """Usage errors exit 2 with the usage and a one-line message, never a traceback."""

    @pytest.mark.parametrize(("argv", "needle"), BAD_USAGE)
    def test_usage_error_exits_2(self, run_cli: RunCli, argv: list[str], needle: str) -> None:
        """The last stderr line names the problem; the usage comes before it; nothing goes to stdout."""
        result = run_cli(*argv)
        assert result.code == 2
        assert result.out == ""
        lines = result.err.strip().splitlines()
        assert lines[0].startswith("usage: mediacheck")
        assert lines[-1].startswith(("mediacheck check: error: ", "mediacheck: error: "))
        assert needle in lines[-1]
        assert "Traceback" not in result.err

    def test_empty_stdin_is_an_empty_target_list(self, run_cli: RunCli) -> None:
        """`-` with nothing on stdin is an empty target list: exit 2."""
        result = run_cli("check", "-", stdin=b"\n  \n")
        assert result.code == 2
        assert "stdin had no lines" in result.err

    def test_bad_environment_network(self, run_cli: RunCli, short_mp3: Path) -> None:
        """A malformed MEDIACHECK_ALLOW_NETWORKS entry is a usage error that names the variable."""
        result = run_cli("check", str(short_mp3), env={"MEDIACHECK_ALLOW_NETWORKS": "127.0.0.0/8, bogus"})
        assert result.code == 2
        assert "MEDIACHECK_ALLOW_NETWORKS" in result.err.splitlines()[-1]

    def test_usage_error_in_a_real_process(self) -> None:
        """The installed command line behaves the same: exit 2, usage, one-line message, no traceback."""
        result = run_process(["check", "--max-seconds", "abc", "x.mp3"])
        assert result.code == 2
        assert result.err.splitlines()[-1] == (
            "mediacheck check: error: argument --max-seconds: expected a number of seconds greater than 0, got 'abc'"
        )
        assert "Traceback" not in result.err


def test_version(run_cli: RunCli) -> None:
    """`mediacheck --version` prints the package version and exits 0."""
    from mediacheck import __version__

    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"mediacheck {__version__}"


def test_deep_without_audio_tools_is_a_clean_error(run_cli: RunCli, short_mp3: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """--deep where the audio tools are missing stops with one clean line and exit 2, not a traceback."""
    import mediacheck._deep
    from mediacheck.exceptions import AudioToolsMissingError

    def missing(*args: object, **kwargs: object) -> None:
        raise AudioToolsMissingError("install mediacheck[audio] (pydub) and make ffmpeg available")

    # The tools cannot be uninstalled for one test; this stands in for their absence.
    monkeypatch.setattr(mediacheck._deep, "deep_check_file", missing)
    result = run_cli("check", "--deep", str(short_mp3))
    assert result.code == 2
    assert result.out == ""
    assert result.err == ("mediacheck: error: --deep needs the audio tools: install mediacheck[audio] (pydub) "
                          "and make ffmpeg available\n")


@pytest.mark.ffmpeg
def test_deep_adds_the_decode(run_cli: RunCli, fixtures_dir: Path) -> None:
    """--deep decodes the audio: the report gains the decode measurements, which a plain check leaves out."""
    import json

    example = str(fixtures_dir / "example-hold-music.mp3")
    plain = json.loads(run_cli("check", "--format", "json", example).out)
    deep = run_cli("check", "--format", "json", "--deep", example)
    assert deep.code == 0
    assert plain["results"][0]["media"]["audio"] is None
    audio = json.loads(deep.out)["results"][0]["media"]["audio"]
    assert audio["decoded"] is True
    assert audio["decoded_duration_s"] == pytest.approx(30.0, abs=0.002)


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"]], ids=["mediacheck", "check"])
def test_help_lists_examples_and_exit_codes(run_cli: RunCli, argv: list[str]) -> None:
    """--help exits 0 and shows runnable examples and the exit codes."""
    result = run_cli(*argv)
    assert result.code == 0
    assert "\nexamples:\n  mediacheck check " in result.out
    assert "130" in result.out
