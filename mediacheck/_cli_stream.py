"""Writing a command's answer to stdout: in colour only for a terminal, and quietly when its reader leaves early."""

from __future__ import annotations

import os
import sys
from typing import Any


def write_stdout(text: str) -> None:
    """Write ``text`` to stdout and flush; a closed pipe or a closed stdout is not an error.

    Python ignores SIGPIPE, so a reader that has gone (``mediacheck ... | head -1``) surfaces as
    BrokenPipeError on the write, and again when the interpreter flushes stdout at exit. After the first one,
    stdout is pointed at /dev/null so the second stays quiet; the exit code still says how the run went.
    """
    if sys.stdout is None:  # started with stdout closed (`>&-`): the exit code is the whole answer
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def use_colour(stream: Any) -> bool:
    """Whether text for ``stream`` may be coloured: a terminal, unless NO_COLOR is set or TERM is dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
