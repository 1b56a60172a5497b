"""Writing a command's answer to stdout so that a reader who leaves early (``| head``) ends the run quietly."""

from __future__ import annotations

import os
import sys


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
