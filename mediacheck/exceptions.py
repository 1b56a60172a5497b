"""The whole mediacheck error tree: exceptions are for misuse and internal faults, never for a failed verdict.

A file or URL that fails the rules is a :class:`mediacheck.Report` with ``ok == False``; nothing below is
raised for it. These classes signal a caller's mistake or a missing optional tool::

    MediacheckError
     ├── UsageError (ValueError)          the API was called with arguments it cannot accept
     │    └── InvalidLimitsError          a Limits value that is not a positive finite number
     ├── AudioToolsMissingError           deep checks and fix need the `audio` extra and an ffmpeg binary
     └── FixError                         fix could not turn the input into compliant hold music
"""

from __future__ import annotations


class MediacheckError(Exception):
    """Base class of every exception mediacheck raises on purpose."""


class UsageError(MediacheckError, ValueError):
    """The API was called with arguments it cannot accept."""


class InvalidLimitsError(UsageError):
    """A Limits field is not a positive, finite number."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(f"Limits.{field} must be a positive finite number, got {value!r}")
        self.field = field
        self.value = value


class AudioToolsMissingError(MediacheckError):
    """Deep checks and fix need pydub and an ffmpeg binary (install `mediacheck[audio]`)."""


class FixError(MediacheckError):
    """fix could not produce compliant hold music from the input."""

    def __init__(self, message: str, *, reason: str = "", refused_networks: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reason = reason
        # For a download refused by the network guard: the networks an allowance must cover (Finding's).
        self.refused_networks = refused_networks
