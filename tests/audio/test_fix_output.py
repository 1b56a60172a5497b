"""fix writes only where it should: plain files, clear one-line refusals, the umask honoured, nothing left behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediacheck import UsageError, fix_file
from mediacheck.cli import main
from tests.audio.conftest import Media


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["fix", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_clean_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


class TestOutputMustBeAPlainFile:
    """OUTPUT is absent, or a regular file replaced only with --force; nothing else is ever replaced."""

    @pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
    def test_fifo_is_refused(self, media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             force: list[str]) -> None:
        """A named pipe at OUTPUT is refused with or without --force, and stays a named pipe."""
        fifo = tmp_path / "hold.mp3"
        os.mkfifo(fifo)
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(fifo), *force)
        assert code == 2
        assert "is a named pipe (FIFO), not a regular file" in _one_clean_line(err)
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["hold.mp3"]

    def test_device_is_refused_even_with_force(self, media: Media, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
        """`fix -o /dev/full --force` must not replace the device: a copy of /dev/full (1, 7) made here stays."""
        device = tmp_path / "full"
        try:
            os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
        except PermissionError:
            pytest.skip("making a device node needs CAP_MKNOD (root)")
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(device), "--force")
        assert code == 2
        assert "is a character device, not a regular file" in _one_clean_line(err)
        assert stat.S_ISCHR(os.lstat(device).st_mode)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]

    @pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
    def test_dangling_symlink_is_not_replaced(self, media: Media, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str], force: list[str]) -> None:
        """A symbolic link to nothing is a name someone made: it is refused, and nothing appears at its target."""
        link = tmp_path / "hold.mp3"
        link.symlink_to(tmp_path / "elsewhere.mp3")
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(link), *force)
        assert code == 2
        assert "is a symbolic link (to " in _one_clean_line(err)
        assert link.is_symlink()
        assert not (tmp_path / "elsewhere.mp3").exists()

    def test_symlink_to_a_file_is_not_followed(self, media: Media, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
        """A link to a real file is refused even with --force; the file it points at is untouched."""
        real = tmp_path / "real.mp3"
        real.write_bytes(b"keep")
        link = tmp_path / "hold.mp3"
        link.symlink_to(real)
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(link), "--force")
        assert code == 2
        assert "name the file itself" in _one_clean_line(err)
        assert real.read_bytes() == b"keep"

    def test_output_swapped_for_a_link_while_converting_is_not_replaced(
            self, media: Media, ffmpeg_exe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """--force checks OUTPUT again when publishing: a regular file turned into a symbolic link while ffmpeg ran
        is refused then, the file it points at is untouched, and no temporary file is left."""
        output, real = tmp_path / "hold.mp3", tmp_path / "real.mp3"
        output.write_bytes(b"old")
        real.write_bytes(b"keep")
        swapper = tmp_path / "swapping-ffmpeg"
        swapper.write_text(f'#!/bin/sh\nrm -f "{output}" && ln -s "{real}" "{output}"\nexec "{ffmpeg_exe}" "$@"\n')
        swapper.chmod(0o755)
        monkeypatch.setenv("MEDIACHECK_FFMPEG", str(swapper))
        with pytest.raises(UsageError, match="is a symbolic link"):
            fix_file(media("mp3_61s"), output, overwrite=True)
        assert output.is_symlink()
        assert real.read_bytes() == b"keep"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["hold.mp3", "real.mp3", "swapping-ffmpeg"]

    def test_dash_is_refused_not_written_as_a_file(self, media: Media, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """`-o -` is a usage error saying stdout is not supported; no file named `-` appears."""
        monkeypatch.chdir(tmp_path)
        code, out, err = _run(capsys, str(media("mp3_61s")), "-o", "-")
        assert code == 2
        assert out == ""
        assert "-o - (standard output) is not supported" in err
        assert "Traceback" not in err
        assert list(tmp_path.iterdir()) == []


def _unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """Folders this process cannot create files in: a read-only one, or (as root, who ignores modes) /sys."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for folder in (locked, Path("/sys")):
        try:
            os.close(os.open(folder / ".probe", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except OSError:
            yield folder
            continue
        os.unlink(folder / ".probe")


class TestPathsThatCannotBeWritten:
    """An output the file system refuses is one line on stderr and exit 2, never a traceback."""

    def test_unwritable_folder(self, media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A folder this user cannot write in gives one line naming the folder and the reason."""
        folder = next(_unwritable_folder(tmp_path), None)
        if folder is None:
            pytest.skip("no folder here refuses this user")
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(folder / "hold.mp3"))
        assert code == 2
        line = _one_clean_line(err)
        assert line.startswith(f"mediacheck fix: error: cannot write in the output's folder {folder}: ")

    def test_name_too_long(self, media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A 300-character file name is one line saying the name is too long."""
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(tmp_path / ("x" * 300 + ".mp3")))
        assert code == 2
        assert "the name is too long for the file system" in _one_clean_line(err)
        assert list(tmp_path.iterdir()) == []

    def test_path_too_long(self, media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A path longer than PATH_MAX (folders that cannot exist) is one line, not a traceback."""
        deep = tmp_path.joinpath(*["d" * 200] * 25, "hold.mp3")
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(deep))
        assert code == 2
        _one_clean_line(err)

    def test_longest_legal_name_still_works(self, media: Media, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
        """A 250-byte name is legal, so fix must manage it: its temporary name may not be longer than 255."""
        dst = tmp_path / ("y" * 246 + ".mp3")
        code, _, err = _run(capsys, str(media("mp3_61s")), "-o", str(dst))
        assert code == 0, err
        assert dst.is_file()


class TestPermissions:
    """A new output gets 0666 less the umask, like any file; a replaced one keeps its mode."""

    @pytest.mark.parametrize(("umask", "mode"), [(0o027, 0o640), (0o002, 0o664)], ids=["umask-027", "umask-002"])
    def test_new_output_follows_the_umask(self, media: Media, tmp_path: Path, umask: int, mode: int) -> None:
        """Under umask 027 the file is rw-r-----, under 002 rw-rw-r-- (not mkstemp's rw-------)."""
        old = os.umask(umask)
        try:
            report = fix_file(media("mp3_61s"), tmp_path / "hold.mp3")
        finally:
            os.umask(old)
        assert report.written
        assert stat.S_IMODE((tmp_path / "hold.mp3").stat().st_mode) == mode


class TestLeftovers:
    """Temporary files of a fix that died are named for it, and the next fix in that folder removes them."""

    def _leftover(self, folder: Path, pid: int, host: str | None = None) -> Path:
        import hashlib
        import socket

        here = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
        path = folder / f".hold.mp3.mediacheck-fix-{host or here}-{pid}-0badc0de.partial"
        path.write_bytes(b"half an MP3")
        return path

    def _dead_pid(self) -> int:
        finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                  check=True, text=True)
        return int(finished.stdout)

    def test_only_dead_processes_leftovers_go(self, tmp_path: Path) -> None:
        """A leftover whose process is gone is removed; this process's and another host's are kept."""
        dead_pid = self._dead_pid()
        dead = self._leftover(tmp_path, dead_pid)
        alive = self._leftover(tmp_path, os.getpid())
        foreign = self._leftover(tmp_path, dead_pid, host="abcdef")
        from mediacheck._fix_output import remove_leftovers

        assert remove_leftovers(tmp_path) == [dead.name]
        assert not dead.exists()
        assert alive.exists()
        assert foreign.exists()

    def test_fix_reports_what_it_removed(self, media: Media, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        """The next fix into the folder deletes the leftover and says so."""
        dead = self._leftover(tmp_path, self._dead_pid())
        code, out, _ = _run(capsys, str(media("mp3_61s")), "-o", str(tmp_path / "hold.mp3"))
        assert code == 0
        assert f"mediacheck fix: removed {dead.name}, left by a fix that was killed" in out
        assert sorted(p.name for p in tmp_path.iterdir()) == ["hold.mp3"]


def test_a_profile_mp3_is_encoded_as_the_plain_fix_encodes_one() -> None:
    """A profile whose target is MP3 gets ffmpeg's output arguments from the one helper the plain fix uses."""
    from mediacheck._fix import mp3_output_arguments
    from mediacheck._fix_profile import output_arguments, profile_plan
    from mediacheck._profiles import BUILTIN_PROFILES

    for name in ("daily", "twilio"):
        plan, target = profile_plan(BUILTIN_PROFILES[name], limits=BUILTIN_PROFILES[name].limits(),
                                    target_seconds=None, sample_rate=None, channels=None, bitrate_kbps=96,
                                    fade_seconds=2.0, strip_silence=True, normalize=False)
        assert target.format == "mp3"
        assert output_arguments(target, plan) == mp3_output_arguments(plan.bitrate_kbps)
        assert f"{plan.bitrate_kbps}k" in mp3_output_arguments(plan.bitrate_kbps)
