"""Checks of local sources (a path, bytes, a chunk stream): each feeds the Inspector and builds a Report.

Whatever the bytes are, the answer is a Report; a caller's mistake (an argument of the wrong type) is a
:class:`mediacheck.UsageError` naming the argument, checked here before any work.
"""

from __future__ import annotations

import functools
import io
import os
import stat
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediacheck._inspector import Inspector
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._report import Finding, Report, Severity
from mediacheck.exceptions import UsageError

if TYPE_CHECKING:
    from mediacheck._profiles import Profile

# 64 KiB reads: large enough that syscall overhead vanishes, small enough that an early stop wastes little.
READ_CHUNK_BYTES = 64 * 1024


def with_profile(limits: Limits, profile: str | Profile | None) -> tuple[Limits, Profile | None]:
    """Platform profiles: the limits and profile to check with; (limits, None) for daily, the default."""
    if profile is None:
        return limits, None
    from mediacheck._profile_config import profile_and_limits

    return profile_and_limits(limits, profile)


def _unreadable(target: str, code: str, message: str, hint: str) -> Report:
    return Report(target=target, findings=(Finding(code, Severity.ERROR, message, hint),))


def _check_options(limits: object, deep: object = False, target: object = "") -> None:
    if not isinstance(limits, Limits):
        raise UsageError(f"limits must be a mediacheck.Limits, not {type(limits).__name__}")
    if not isinstance(deep, bool):
        raise UsageError(f"deep must be True or False, not {deep!r}")
    if not isinstance(target, str):
        raise UsageError(f"target must be a string, not {type(target).__name__}")


def _check_declared_size(declared_size: object) -> None:
    if declared_size is not None and (isinstance(declared_size, bool) or not isinstance(declared_size, int)
                                      or declared_size < 0):
        raise UsageError(f"declared_size must be a byte count (an int from 0) or None, got {declared_size!r}")


def _bytes_like(value: object, name: str) -> bytes | bytearray | memoryview:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise UsageError(f"{name} must be bytes, bytearray or memoryview, not {type(value).__name__}")
    return value


def check_bytes(data: bytes | bytearray | memoryview, *, limits: Limits = DEFAULT_LIMITS, deep: bool = False,
                target: str = "<bytes>", profile: str | Profile | None = None) -> Report:
    """Check an in-memory file (against ``profile``'s rules: a built-in name, a rules-file name or a Profile)."""
    _check_options(limits, deep, target)
    limits, chosen = with_profile(limits, profile)
    try:
        view = memoryview(_bytes_like(data, "data")).cast("B")
    except TypeError as exc:  # a multi-dimensional or non-contiguous memoryview
        raise UsageError(f"data must be contiguous bytes: {exc}") from None
    inspector = Inspector(limits, declared_size=len(view), profile=chosen)
    inspector.feed(view)
    inspection = inspector.finish()
    report = Report(target=target, findings=inspection.findings, media=inspection.media)
    if deep:
        from mediacheck._deep import deep_check_bytes

        report = deep_check_bytes(report, bytes(view), limits)
    return report


def _is_anonymous_pipe(fd: int) -> bool:
    # A pipe a shell made (`<(curl ...)`, `/dev/stdin` in a pipeline) has a writer that is already running; a
    # named FIFO may never get one. Linux tells them apart by what the open descriptor points at.
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
    except OSError:
        return False


# POSIX only; Windows has no FIFOs to block on.
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _open_for_reading(target: str) -> io.BufferedReader | Report:
    """The file opened for reading, or the failing report that says why it cannot be read.

    The open never blocks: a named FIFO, which may never get a writer, is refused; a pipe a shell already
    feeds is read, and so are devices (``/dev/zero`` is an endless stream the scan stops on by itself).
    """
    try:
        fd = os.open(target, os.O_RDONLY | _O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except ValueError:  # "embedded null byte": no file system can hold such a name
        shown = target.replace("\0", "\\0")
        return _unreadable(target, "access.not-found",
                           f"There is no file at {shown}: a path cannot contain a NUL byte.",
                           "Check how the path was made; a NUL byte usually comes from a script's string handling.")
    except FileNotFoundError:
        return _unreadable(target, "access.not-found", f"There is no file at {target}.",
                           "Check the path; it is relative to the current directory.")
    except IsADirectoryError:
        return _directory(target)
    except OSError as exc:
        return _unreadable(target, "access.unreadable", f"{target} cannot be read: {exc.strerror or exc}.",
                           "Check the file's permissions.")
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            os.close(fd)
            return _directory(target)
        if stat.S_ISFIFO(mode) and not _is_anonymous_pipe(fd):
            os.close(fd)
            return _unreadable(target, "access.unreadable", f"{target} is a named pipe (FIFO), not a file.",
                               "Name an MP3 file; to check audio that arrives through a pipe, save it to a file first.")
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        return _unreadable(target, "access.unreadable", f"{target} cannot be read: {exc.strerror or exc}.",
                           "Check the file and the disk it is on.")


def _directory(target: str) -> Report:
    return _unreadable(target, "access.unreadable", f"{target} is a directory, not a file.",
                       "Name an MP3 file inside it instead.")


def check_file(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS, deep: bool = False,
               profile: str | Profile | None = None) -> Report:
    """Check a local file, reading only as far as the verdict needs (against ``profile``'s rules, default daily).

    A named FIFO is a failing report (``access.unreadable``) rather than a wait for a writer that may never
    come, and a path with a NUL byte is one too (``access.not-found``).
    """
    _check_options(limits, deep)
    if not isinstance(path, str | os.PathLike) or not isinstance(os.fspath(path), str):
        raise UsageError(f"path must be a str or os.PathLike path, not {type(path).__name__}")
    limits, chosen = with_profile(limits, profile)
    target = os.fspath(path)
    file_path = Path(target)
    handle = _open_for_reading(target)
    if isinstance(handle, Report):
        return handle
    with handle:
        try:
            size = os.fstat(handle.fileno())
            declared = size.st_size if stat.S_ISREG(size.st_mode) else None
            inspector = Inspector(limits, declared_size=declared, profile=chosen)
            buffer = bytearray(READ_CHUNK_BYTES)
            view = memoryview(buffer)
            while True:
                n = handle.readinto(buffer)
                if not n:
                    break
                if inspector.feed(view[:n]):
                    break
        except OSError as exc:
            return _unreadable(target, "access.unreadable", f"{target} cannot be read: {exc.strerror or exc}.",
                               "Check the file and the disk it is on.")
    inspection = inspector.finish()
    report = Report(target=target, findings=inspection.findings, media=inspection.media)
    if deep:
        from mediacheck._deep import deep_check_file

        report = deep_check_file(report, file_path, limits)
    return report


def check_chunks(chunks: Iterable[bytes], *, limits: Limits = DEFAULT_LIMITS, target: str = "<stream>",
                 declared_size: int | None = None, profile: str | Profile | None = None) -> Report:
    """Check a stream of chunks (bytes-like), pulling no more than the verdict needs."""
    _check_options(limits, target=target)
    _check_declared_size(declared_size)
    if not isinstance(chunks, Iterable) or isinstance(chunks, bytes | bytearray | memoryview | str):
        raise UsageError(f"chunks must be an iterable of bytes chunks, not {type(chunks).__name__}")
    limits, chosen = with_profile(limits, profile)
    inspector = Inspector(limits, declared_size=declared_size, profile=chosen)
    for chunk in chunks:
        if inspector.feed(_bytes_like(chunk, "every chunk")):
            break
    inspection = inspector.finish()
    return Report(target=target, findings=inspection.findings, media=inspection.media)


async def acheck_chunks(chunks: AsyncIterable[bytes], *, limits: Limits = DEFAULT_LIMITS,
                        target: str = "<stream>", declared_size: int | None = None,
                        profile: str | Profile | None = None) -> Report:
    """Check an async stream of chunks (an upload, say), pulling no more than the verdict needs."""
    _check_options(limits, target=target)
    _check_declared_size(declared_size)
    if not isinstance(chunks, AsyncIterable):
        raise UsageError(f"chunks must be an async iterable of bytes chunks, not {type(chunks).__name__}")
    limits, chosen = with_profile(limits, profile)
    inspector = Inspector(limits, declared_size=declared_size, profile=chosen)
    async for chunk in chunks:
        if inspector.feed(_bytes_like(chunk, "every chunk")):
            break
    inspection = inspector.finish()
    return Report(target=target, findings=inspection.findings, media=inspection.media)


async def _in_a_thread(function: Any, *args: Any, **kwargs: Any) -> Report:
    import anyio.to_thread  # here, not at the top: `import mediacheck` must not load the event-loop machinery

    report: Report = await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))
    return report


async def acheck_file(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS, deep: bool = False,
                      profile: str | Profile | None = None) -> Report:
    """:func:`check_file` without blocking the event loop: the reading (and a deep decode) run in a worker thread."""
    _check_options(limits, deep)
    return await _in_a_thread(check_file, path, limits=limits, deep=deep, profile=profile)


async def acheck_bytes(data: bytes | bytearray | memoryview, *, limits: Limits = DEFAULT_LIMITS, deep: bool = False,
                       target: str = "<bytes>", profile: str | Profile | None = None) -> Report:
    """:func:`check_bytes` without blocking the event loop (worth it for a deep check: ffmpeg decodes the bytes)."""
    _check_options(limits, deep, target)
    _bytes_like(data, "data")
    return await _in_a_thread(check_bytes, data, limits=limits, deep=deep, target=target, profile=profile)
