"""Locating and starting the ffmpeg the deep check and fix run: MEDIACHECK_FFMPEG, then PATH, then imageio-ffmpeg.

A system ffmpeg comes first because distributions patch and update it; the imageio-ffmpeg wheel is the
fallback that makes ``pip install mediacheck[audio]`` enough on its own. Nothing here runs at import time.
Every ffmpeg is started with :func:`die_with_parent`, so killing mediacheck (even with SIGKILL, which runs no
clean-up) never leaves an orphan ffmpeg working on.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

from mediacheck.exceptions import AudioToolsMissingError

FFMPEG_ENV_VAR = "MEDIACHECK_FFMPEG"

# Demuxers for audio files (and the audio in common containers). Playlist-like demuxers (hls, concat,
# image2, ...) are left out: they open further URLs or files named inside the input, which would let a
# hostile "MP3" make the deep check fetch from the service's network (SSRF) or read local files.
AUDIO_DEMUXERS = ("aac", "ac3", "aiff", "amr", "ape", "asf", "au", "avi", "caf", "dsf", "dts", "eac3", "flac",
                  "flv", "matroska", "mov", "mp3", "mpc", "mpc8", "mpeg", "mpegts", "ogg", "rm", "tta", "voc", "w64",
                  "wav", "wv")


def input_arguments(path: os.PathLike[str] | str) -> list[str]:
    """ffmpeg's options for reading one local file and nothing else, then ``-i`` with it.

    ``file:`` keeps a name such as ``concat:a|b`` or ``http:x`` a file name; the protocol whitelist refuses
    any other protocol a demuxer might try; the format whitelist keeps to audio demuxers.
    """
    return ["-protocol_whitelist", "file", "-format_whitelist", ",".join(AUDIO_DEMUXERS),
            "-i", f"file:{os.fspath(path)}"]

_INSTALL_HINT = (
    "install the audio extra (pip install 'mediacheck[audio]'), put ffmpeg on PATH, "
    f"or point {FFMPEG_ENV_VAR} at an ffmpeg binary"
)


def find_ffmpeg() -> str:
    """The path of the ffmpeg to run, or AudioToolsMissingError saying how to get one."""
    configured = os.environ.get(FFMPEG_ENV_VAR)
    if configured:
        resolved = shutil.which(configured)
        if resolved is None:
            raise AudioToolsMissingError(
                f"{FFMPEG_ENV_VAR}={configured!r} is not an executable ffmpeg; fix or unset it"
            )
        return resolved
    on_path = shutil.which("ffmpeg")
    if on_path is not None:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError:
        raise AudioToolsMissingError(f"this needs ffmpeg, and none was found: {_INSTALL_HINT}") from None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise AudioToolsMissingError(f"the imageio-ffmpeg wheel has no usable binary ({exc}): {_INSTALL_HINT}") \
            from exc


# prctl(2) option: the signal the kernel sends this process when its parent (the thread that forked it) dies.
_PR_SET_PDEATHSIG = 1
_prctl: Callable[..., int] | None = None
_prctl_lock = threading.Lock()


def _load_prctl() -> Callable[..., int] | None:
    global _prctl
    with _prctl_lock:
        if _prctl is None and sys.platform == "linux":
            import ctypes

            try:
                _prctl = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):  # a libc without prctl (musl has it; this is belt and braces)
                return None
    return _prctl


def die_with_parent() -> dict[str, Any]:
    """Popen keyword arguments that make the child die when this process does, however it dies.

    Linux: the child asks the kernel for SIGKILL when its parent goes (``PR_SET_PDEATHSIG``, kept across
    ``exec``), then exits at once if the parent already went while it was starting. The kernel sends the signal
    when the *thread* that started the child ends, so callers wait for the child in the thread that started it
    (``subprocess.run``, or ``Popen`` then ``wait`` in one function), as the deep check and fix do.
    Elsewhere there is no such kernel feature: a killed mediacheck leaves ffmpeg to finish on its own, which
    takes at most the bounded work it was given (fix stops at the target duration, the deep check at its cap).
    ``preexec_fn`` is documented as unsafe with threads because the child may need a lock another thread held
    at fork; the function here takes none (one pre-loaded C call, ``getppid`` and ``_exit``).
    """
    prctl = _load_prctl()
    if prctl is None:
        return {}
    parent = os.getpid()
    kill = int(signal.SIGKILL)

    def ask_for_sigkill_when_orphaned() -> None:
        prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return {"preexec_fn": ask_for_sigkill_when_orphaned}


_pydub_lock = threading.Lock()


def load_pydub() -> tuple[Any, ModuleType, ModuleType]:
    """pydub's AudioSegment, pydub.silence and audioop, imported quietly; AudioToolsMissingError without pydub.

    pydub warns at import when no ffmpeg is on PATH (we hand it ours) and audioop warns that it is deprecated
    on Python 3.11-3.12 (audioop-lts replaces it on 3.13); neither says anything the user can act on.
    """
    with _pydub_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            import audioop

            import pydub.silence
            from pydub import AudioSegment
        except ImportError as exc:
            raise AudioToolsMissingError(
                f"the deep check needs pydub ({exc.name or exc} is missing): pip install 'mediacheck[audio]'"
            ) from None
    return AudioSegment, pydub.silence, audioop
