"""Targets come from arguments, stdin and folders, keep their order, and a bad one fails alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mediacheck import check_file
from tests.cli.conftest import ROOT, RunCli


def _targets(out: str) -> list[str]:
    return [result["target"] for result in json.loads(out)["results"]]


@pytest.fixture
def tree(tmp_path: Path, short_mp3: Path) -> Path:
    """A folder with MP3s at two depths, an upper-case .MP3, and files that are not MP3 by name."""
    root = tmp_path / "assets"
    (root / "b-sub" / "deeper").mkdir(parents=True)
    for rel in ("z.mp3", "a.mp3", "LOUD.MP3", "b-sub/inner.mp3", "b-sub/deeper/deepest.mp3"):
        shutil.copyfile(short_mp3, root / rel)
    (root / "readme.txt").write_text("not a target")
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    return root


class TestFolders:
    """A folder stands for the *.mp3 files in it."""

    def test_folder_expands_to_its_mp3_files_sorted(self, run_cli: RunCli, tree: Path) -> None:
        """Only the folder's own *.mp3 files (any case), sorted by name; sub-folders need --recursive."""
        result = run_cli("check", "--format", "json", str(tree))
        assert result.code == 0
        assert _targets(result.out) == [str(tree / n) for n in ("LOUD.MP3", "a.mp3", "z.mp3")]

    def test_recursive_walks_sub_folders(self, run_cli: RunCli, tree: Path) -> None:
        """--recursive adds the files of every sub-folder, each folder's files before its sub-folders."""
        result = run_cli("check", "--format", "json", "--recursive", str(tree))
        assert _targets(result.out) == [str(tree / n) for n in (
            "LOUD.MP3", "a.mp3", "z.mp3", "b-sub/inner.mp3", "b-sub/deeper/deepest.mp3")]

    def test_folder_without_mp3_fails(self, run_cli: RunCli, tmp_path: Path) -> None:
        """A folder with nothing to check is a failing target (a CI job pointed at the wrong place), not a pass."""
        result = run_cli("check", "--format", "json", str(tmp_path))
        assert result.code == 1
        finding = json.loads(result.out)["results"][0]["findings"][0]
        assert finding["code"] == "access.no-mp3-files"
        assert "--recursive" in finding["hint"]


class TestSkippedFiles:
    """A folder's files that are not named *.mp3 are counted aloud, and --all-files checks them too."""

    def test_skipped_files_are_counted_on_stderr(self, run_cli: RunCli, tree: Path) -> None:
        """The two files not named *.mp3 are skipped, and stderr says how many and where."""
        result = run_cli("check", "--format", "json", str(tree))
        assert len(_targets(result.out)) == 3
        assert f"skipped 2 files in {tree} not named *.mp3 (--all-files checks every file)" in result.err

    def test_all_files_checks_every_file(self, run_cli: RunCli, tree: Path) -> None:
        """--all-files makes every file of the folder a target, sorted; the text and JPEG files fail as not MP3."""
        result = run_cli("check", "--format", "json", "--all-files", str(tree))
        results = json.loads(result.out)["results"]
        assert [r["target"] for r in results] == [str(tree / n) for n in (
            "LOUD.MP3", "a.mp3", "cover.jpg", "readme.txt", "z.mp3")]
        assert [r["ok"] for r in results] == [True, True, False, False, True]
        assert results[2]["findings"][0]["code"] == "format.not-mp3"
        assert result.code == 1
        assert "skipped" not in result.err

    def test_a_folder_of_other_files_says_what_it_skipped(self, run_cli: RunCli, tmp_path: Path) -> None:
        """A folder with no .mp3 file but a WAV fails, and its message counts the file it skipped."""
        (tmp_path / "hold.wav").write_bytes(b"RIFF")
        result = run_cli("check", "--format", "json", str(tmp_path))
        finding = json.loads(result.out)["results"][0]["findings"][0]
        assert finding["code"] == "access.no-mp3-files"
        assert "1 other file skipped: --all-files checks every file" in finding["message"]


class TestStdin:
    """`-` reads targets from stdin, one per line."""

    def test_stdin_targets_in_place(self, run_cli: RunCli, short_mp3: Path, not_mp3: Path) -> None:
        """Lines from stdin take the place of `-` among the other targets; blank lines are skipped."""
        stdin = f"{not_mp3}\n\n  {short_mp3}  \n".encode()
        result = run_cli("check", "--format", "json", str(short_mp3), "-", str(not_mp3), stdin=stdin)
        assert result.code == 1
        assert _targets(result.out) == [str(short_mp3), str(not_mp3), str(short_mp3), str(not_mp3)]

    def test_stdin_folder_is_expanded(self, run_cli: RunCli, tree: Path) -> None:
        """A folder named on stdin expands like one named as an argument."""
        result = run_cli("check", "--format", "json", "-", stdin=f"{tree}\n".encode())
        assert len(_targets(result.out)) == 3


def _bad_path(kind: str, folder: Path) -> str:
    if kind == "under-a-file":
        (folder / "file.mp3").write_bytes(b"x")
        return str(folder / "file.mp3" / "child.mp3")
    if kind == "dangling-link":
        os.symlink(folder / "nowhere", folder / "dangling.mp3")
        return str(folder / "dangling.mp3")
    if kind == "empty":  # an unset variable in a CI script: `mediacheck check "$HOLD_MUSIC"`
        return ""
    if kind == "name-too-long":
        return str(folder / ("x" * 300 + ".mp3"))
    return str(folder / "missing.mp3")


class TestBadTargets:
    """A target that cannot be read is a failing result, and the run goes on."""

    @pytest.mark.parametrize("kind", ["missing", "under-a-file", "dangling-link", "name-too-long", "empty"])
    def test_unreadable_path_fails_alone(self, run_cli: RunCli, short_mp3: Path, tmp_path: Path, kind: str) -> None:
        """The bad path fails with an access finding; the good one after it still passes; no traceback."""
        bad = _bad_path(kind, tmp_path)
        result = run_cli("check", "--format", "json", bad, str(short_mp3))
        assert result.code == 1
        results = json.loads(result.out)["results"]
        assert [r["ok"] for r in results] == [False, True]
        assert results[0]["findings"][0]["code"].startswith("access.")
        assert "Traceback" not in result.err


def test_a_crash_on_one_target_costs_only_that_result(run_cli: RunCli, short_mp3: Path, not_mp3: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the library to crash on one file, that file fails with internal.error and the others are checked."""
    import mediacheck._check
    import mediacheck._cli_check as cli_check

    real_check_file = mediacheck._check.check_file  # what the CLI module imported

    def crash_on_notes(path: str, **kwargs: object) -> object:
        if path == str(not_mp3):
            raise RuntimeError("simulated bug")
        return real_check_file(path, **kwargs)  # type: ignore[arg-type]

    # A stand-in bug: the real library has none to trigger on purpose.
    monkeypatch.setattr(cli_check, "check_file", crash_on_notes)
    result = run_cli("check", "--format", "json", str(short_mp3), str(not_mp3), str(short_mp3))
    assert result.code == 1
    results = json.loads(result.out)["results"]
    assert [r["ok"] for r in results] == [True, False, True]
    assert results[1]["findings"][0]["code"] == "internal.error"
    assert "RuntimeError: simulated bug" in results[1]["findings"][0]["message"]
    assert "Traceback" not in result.err
    junit = run_cli("check", "--format", "junit", str(short_mp3), str(not_mp3))
    root = ET.fromstring(junit.out)  # noqa: S314 -- our own output, the thing under test
    assert (root.get("failures"), root.get("errors")) == ("0", "1")
    assert [c.find("error") is not None for c in root.iter("testcase")] == [False, True]


class TestPipesAndOddPaths:
    """A named FIFO and a path with a NUL byte get access findings at once; a pipe a shell feeds is read."""

    def test_named_fifo_is_refused_without_waiting(self, tmp_path: Path, short_mp3: Path) -> None:
        """A FIFO nobody writes to fails with access.unreadable in a real process (it used to wait forever)."""
        fifo = tmp_path / "hold.mp3"
        os.mkfifo(fifo)
        done = subprocess.run([sys.executable, "-m", "mediacheck", "check", "--format", "json", str(fifo),
                               str(short_mp3)], cwd=ROOT, capture_output=True, timeout=60, check=False,
                              stdin=subprocess.DEVNULL)
        results = json.loads(done.stdout)["results"]
        assert [r["ok"] for r in results] == [False, True]
        finding = results[0]["findings"][0]
        assert finding["code"] == "access.unreadable"
        assert "named pipe (FIFO)" in finding["message"]
        assert done.returncode == 1

    def test_nul_byte_in_a_stdin_target_is_an_access_finding(self, run_cli: RunCli, short_mp3: Path) -> None:
        """A target line with a NUL byte (only stdin can carry one) is access.not-found, not internal.error."""
        result = run_cli("check", "--format", "json", "-", stdin=f"bad\0name.mp3\n{short_mp3}\n".encode())
        results = json.loads(result.out)["results"]
        assert [r["ok"] for r in results] == [False, True]
        assert results[0]["findings"][0]["code"] == "access.not-found"
        assert "NUL byte" in results[0]["findings"][0]["message"]
        assert "Traceback" not in result.err

    def test_library_answers_both_with_a_report(self, tmp_path: Path) -> None:
        """check_file returns failing access reports for a FIFO and a NUL path instead of blocking or raising."""
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        assert check_file(fifo).codes() == ["access.unreadable"]
        assert check_file("a\0b.mp3").codes() == ["access.not-found"]

    @pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="tells pipes apart through /proc (Linux)")
    def test_a_pipe_the_shell_feeds_is_still_read(self, short_mp3: Path) -> None:
        """`mediacheck check <(cat hold.mp3)`: an anonymous pipe with a writer is read and passes."""
        done = subprocess.run(["bash", "-c", f'"{sys.executable}" -m mediacheck check --format json <(cat "$0")',
                               str(short_mp3)], cwd=ROOT, capture_output=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)["results"][0]
        assert result["media"]["format"] == "mp3"
