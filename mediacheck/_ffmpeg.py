"""Locating the ffmpeg binary the deep check and fix run: MEDIACHECK_FFMPEG, then PATH, then imageio-ffmpeg.

A system ffmpeg comes first because distributions patch and update it; the imageio-ffmpeg wheel is the
fallback that makes ``pip install mediacheck[audio]`` enough on its own. Nothing here runs at import time.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
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
