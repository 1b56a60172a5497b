"""mediacheck: decide fast, exactly and safely whether hold music will be accepted, and say why not.

The public API is the names in ``__all__``; every module whose name starts with an underscore is private.
Names that need optional extras (``fix_file`` needs pydub and ffmpeg) or heavy imports (``check_url`` needs
httpx2) load on first use, so ``import mediacheck`` stays light, starts the CLI fast and works without extras.
"""

from __future__ import annotations

import typing

from mediacheck._check import check_bytes, check_file
from mediacheck._limits import DEFAULT_LIMITS, Limits
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
    from mediacheck._dialin import DialinFinding, DialinReport, alint_dialin_config, lint_dialin_config
    from mediacheck._fetch import SafeFetcher, acheck_url, check_url
    from mediacheck._fix import fix_file

__all__ = [
    "DEFAULT_LIMITS",
    "AudioToolsMissingError",
    "DialinFinding",
    "DialinReport",
    "FetchInfo",
    "Finding",
    "FixError",
    "InvalidLimitsError",
    "Limits",
    "MediaInfo",
    "MediacheckError",
    "Redirect",
    "Report",
    "SafeFetcher",
    "Severity",
    "UsageError",
    "__version__",
    "acheck_url",
    "alint_dialin_config",
    "check_bytes",
    "check_file",
    "check_url",
    "fix_file",
    "lint_dialin_config",
]

# name -> module that defines it, imported on first attribute access (PEP 562).
_LAZY = {
    "DialinFinding": "mediacheck._dialin",
    "DialinReport": "mediacheck._dialin",
    "alint_dialin_config": "mediacheck._dialin",
    "lint_dialin_config": "mediacheck._dialin",
    "SafeFetcher": "mediacheck._fetch",
    "acheck_url": "mediacheck._fetch",
    "check_url": "mediacheck._fetch",
    "fix_file": "mediacheck._fix",
}


def __getattr__(name: str) -> typing.Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'mediacheck' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
