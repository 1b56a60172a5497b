"""Platform profiles in the service: the names a request may ask for, and the limits a profiled check runs under.

Only the built-in profiles are offered (a rules file is a local, per-project thing); ``daily`` is the default and
keeps the service's configured limits. Another profile brings its own size and duration bounds, within the
operator's (MEDIACHECK_MAX_BYTES/_SECONDS): the service fetches for strangers, and the operator sets what a check
may cost. A profile that allows more (connect: 50 MB, 5 min) is checked up to the operator's limits, so a file
past them fails although the platform would take it — never the other way round.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from mediacheck import BUILTIN_PROFILES, Limits

ProfileName = Literal["daily", "connect", "genesys", "twilio", "vonage"]

PROFILE_DESCRIPTION = ("The platform whose rules apply: daily (the default: MP3, under 10 MB and 60 s), connect "
                       "(Amazon Connect: 8 kHz mono µ-law WAV, under 50 MB and 5 min), genesys (WAV, at most "
                       "25 MB), twilio (MP3 or WAV with an audio Content-Type), vonage (MP3 or 16-bit WAV).")


def profiled_limits(name: str | None, limits: Limits) -> Limits:
    """The operator's ``limits`` for daily; for another profile its bounds, none beyond the operator's limits."""
    if name is None or name == "daily":
        return limits
    bounded = BUILTIN_PROFILES[name].limits(limits)
    return dataclasses.replace(bounded, size_limit_bytes=min(bounded.size_limit_bytes, limits.size_limit_bytes),
                               duration_limit_s=min(bounded.duration_limit_s, limits.duration_limit_s))
