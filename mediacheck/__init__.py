"""mediacheck: decide fast, exactly and safely whether hold music will be accepted, and say why not.

The public API is the names in ``__all__``; every module whose name starts with an underscore is private.
Names that need optional extras (``fix_file`` needs pydub and ffmpeg) or heavy imports (``check_url`` needs
httpx2) load on first use, so ``import mediacheck`` stays light, starts the CLI fast and works without extras.
"""

from __future__ import annotations

import typing

from mediacheck._check import acheck_bytes, acheck_chunks, acheck_file, check_bytes, check_chunks, check_file
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._profiles import BUILTIN_PROFILES, Profile
from mediacheck._report import FetchInfo, Finding, MediaInfo, Redirect, Report, Severity
from mediacheck._version import __version__
from mediacheck.exceptions import (
    AudioToolsMissingError,
    FixError,
    InvalidLimitsError,
    MediacheckError,
    UsageError,
)

if typing.TYPE_CHECKING:
    from mediacheck._deep import deep_check_with_waveform
    from mediacheck._dialin import (
        DialinFinding,
        DialinReport,
        alint_dialin_config,
        lint_dialin_config,
        parse_config_json,
    )
    from mediacheck._fetch import SafeFetcher, acheck_url, adownload_to_file, check_url, download_to_file
    from mediacheck._ffmpeg import find_ffmpeg
    from mediacheck._fix import fix_file
    from mediacheck._fix_report import FixChange, FixReport
    from mediacheck._fixable import can_fix
    from mediacheck._netguard import Resolver, avet_host, vet_host
    from mediacheck._waveform import Waveform

__all__ = [
    "BUILTIN_PROFILES",
    "DEFAULT_LIMITS",
    "AudioToolsMissingError",
    "DialinFinding",
    "DialinReport",
    "FetchInfo",
    "Finding",
    "FixChange",
    "FixError",
    "FixReport",
    "InvalidLimitsError",
    "Limits",
    "MediaInfo",
    "MediacheckError",
    "Profile",
    "Redirect",
    "Report",
    "Resolver",
    "SafeFetcher",
    "Severity",
    "UsageError",
    "Waveform",
    "__version__",
    "acheck_bytes",
    "acheck_chunks",
    "acheck_file",
    "acheck_url",
    "adownload_to_file",
    "alint_dialin_config",
    "avet_host",
    "can_fix",
    "check_bytes",
    "check_chunks",
    "check_file",
    "check_url",
    "deep_check_with_waveform",
    "download_to_file",
    "find_ffmpeg",
    "fix_file",
    "lint_dialin_config",
    "parse_config_json",
    "vet_host",
]

# name -> module that defines it, imported on first attribute access (PEP 562).
_LAZY = {
    "DialinFinding": "mediacheck._dialin",
    "DialinReport": "mediacheck._dialin",
    "alint_dialin_config": "mediacheck._dialin",
    "lint_dialin_config": "mediacheck._dialin",
    "parse_config_json": "mediacheck._dialin",
    "SafeFetcher": "mediacheck._fetch",
    "acheck_url": "mediacheck._fetch",
    "adownload_to_file": "mediacheck._fetch",
    "check_url": "mediacheck._fetch",
    "download_to_file": "mediacheck._fetch",
    "find_ffmpeg": "mediacheck._ffmpeg",
    "fix_file": "mediacheck._fix",
    "can_fix": "mediacheck._fixable",
    "Waveform": "mediacheck._waveform",
    "deep_check_with_waveform": "mediacheck._deep",
    "FixChange": "mediacheck._fix_report",
    "FixReport": "mediacheck._fix_report",
    "Resolver": "mediacheck._netguard",
    "avet_host": "mediacheck._netguard",
    "vet_host": "mediacheck._netguard",
}


def __getattr__(name: str) -> typing.Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'mediacheck' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
