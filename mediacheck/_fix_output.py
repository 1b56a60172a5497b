"""Where fix writes: refuse outputs that are not plain files, stage work under clearly named temporary files, publish.

The output is made under a temporary name in its own folder (so publishing it is one atomic rename) and only
published once it passes. The temporary files are created like any normal file (mode 0666 less the umask,
so the published MP3 gets the permissions every other new file gets) and named for what they are, with the
host and process that made them: ``.hold.mp3.mediacheck-fix-<host>-<pid>-<random>.partial``. A fix killed
with SIGKILL cannot clean up after itself; the next fix writing into that folder deletes the leftovers whose
process is gone (on this host, owned by this user). Windows has no cheap "is that process alive" test that is
safe to make (``os.kill(pid, 0)`` terminates it there), so leftovers are only named there, never deleted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

from mediacheck.exceptions import UsageError

PARTIAL_MARK = "mediacheck-fix"
# Kinds of temporary file: the MP3 being encoded, and a URL input being downloaded.
PARTIAL = "partial"
DOWNLOAD = "download"
# File names are at most 255 bytes on common file systems; the temporary name adds ~45 to the output's.
_NAME_ROOM = 120
_LEFTOVER = re.compile(rf"^\..*\.{PARTIAL_MARK}-(?P<host>[0-9a-f]{{6}})-(?P<pid>\d+)-[0-9a-f]+\."
                       rf"(?:{PARTIAL}|{DOWNLOAD})$", re.DOTALL)
_KINDS = {stat.S_IFIFO: "named pipe (FIFO)", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
          stat.S_IFSOCK: "socket"}


def _host_mark() -> str:
    # A folder shared between machines (NFS) holds other hosts' temporary files: their pids mean nothing here.
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _describe(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system"
    return error.strerror or str(error)


def _lstat(path: Path, what: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except ValueError:
        raise UsageError(f"the {what} {path!r} contains a NUL byte; no file can have that name") from None
    except OSError as exc:
        raise UsageError(f"the {what} {path} cannot be used: {_describe(exc)}") from None


def check_destination(src: Path | None, dst: Path, overwrite: bool) -> None:
    """UsageError unless ``dst`` can be written: absent, or (with ``overwrite``) a regular file that is not ``src``.

    Symbolic links are refused even with ``overwrite``: replacing the link would surprise whoever made it, and
    writing through it would put the file somewhere the command line does not name.
    """
    folder = dst.parent
    try:
        is_folder = stat.S_ISDIR(os.stat(folder).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        is_folder = False
    except ValueError:
        raise UsageError(f"the output {dst!r} contains a NUL byte; no file can have that name") from None
    except OSError as exc:
        raise UsageError(f"the output's folder {folder} cannot be used: {_describe(exc)}") from None
    if not is_folder:
        raise UsageError(f"the output's folder {folder} does not exist")
    found = _lstat(dst, "output")
    if found is None:
        return
    if stat.S_ISLNK(found.st_mode):
        target = os.readlink(dst)
        dangling = "" if dst.exists() else ", which does not exist"
        raise UsageError(f"the output {dst} is a symbolic link (to {target}{dangling}); fix replaces only "
                         "regular files: name the file itself")
    if stat.S_ISDIR(found.st_mode):
        raise UsageError(f"the output {dst} is a folder; name the MP3 file to write")
    if not stat.S_ISREG(found.st_mode):
        kind = _KINDS.get(stat.S_IFMT(found.st_mode), "special file")
        raise UsageError(f"the output {dst} is a {kind}, not a regular file; fix writes only regular files")
    if src is not None and os.path.exists(src) and os.path.samefile(src, dst):
        raise UsageError(f"the output {dst} is the input; fix never overwrites its input, name another file")
    if not overwrite:
        raise UsageError(f"the output {dst} exists; pass overwrite=True (CLI: --force) to replace it")


def _temporary_name(dst: Path, kind: str) -> str:
    stem = dst.name if len(os.fsencode(dst.name)) <= _NAME_ROOM else dst.name[:_NAME_ROOM // 4]
    return f".{stem}.{PARTIAL_MARK}-{_host_mark()}-{os.getpid()}-{secrets.token_hex(4)}.{kind}"


@contextlib.contextmanager
def temporary_beside(dst: Path, kind: str) -> Iterator[Path]:
    """A new empty file in ``dst``'s folder (so publishing is an atomic rename), removed on the way out.

    It is created with mode 0666 and the umask applies, exactly as for a file any program creates.
    """
    while True:
        path = dst.parent / _temporary_name(dst, kind)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"cannot write in the output's folder {dst.parent}: {_describe(exc)}") from None
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def remove_leftovers(folder: Path) -> list[str]:
    """Delete the temporary files of fix runs that died in ``folder``; return their names.

    Only files this user owns, made on this host by a process that no longer exists, are removed: a fix
    still running (here or on another machine sharing the folder) keeps its files.
    """
    removed: list[str] = []
    if os.name != "posix":  # no safe liveness test (see the module docstring): leftovers stay, named
        return removed
    here = _host_mark()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match is None or match["host"] != here:
            continue
        pid = int(match["pid"])
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or pid == os.getpid() \
                or not _process_gone(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(entry.name)
    return sorted(removed)


def publish(tmp: Path, dst: Path, overwrite: bool) -> None:
    """Move the finished ``tmp`` to ``dst`` atomically; without ``overwrite``, never over anything that appeared.

    A new file keeps the mode it was created with (0666 less the umask); a replaced file's mode is kept.
    """
    if overwrite:
        found = _lstat(dst, "output")
        if found is not None:
            if not stat.S_ISREG(found.st_mode):
                check_destination(None, dst, overwrite)  # raises: it is no longer a regular file
            tmp.chmod(stat.S_IMODE(found.st_mode))
        try:
            os.replace(tmp, dst)
        except OSError as exc:
            raise UsageError(f"cannot write the output {dst}: {_describe(exc)}") from None
        return
    try:
        # A hard link fails if anything (a file, a dangling link) took the name while fix worked.
        os.link(tmp, dst)
    except FileExistsError:
        raise UsageError(f"the output {dst} appeared while fix was working; pass overwrite=True "
                         "(CLI: --force) to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise UsageError(f"cannot write the output {dst}: {_describe(exc)}") from None
        # A file system without hard links (FAT, some network shares): check again, then rename.
        check_destination(None, dst, overwrite)
        os.replace(tmp, dst)
        return
    tmp.unlink()
