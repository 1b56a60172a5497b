"""The limits a hold-music file must stay under, as the telephony API states them ("less than")."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from mediacheck.exceptions import InvalidLimitsError

# The API says "less than 10MB"; 10,000,000 is the stricter of the two readings (10^6 or 2^20 bytes per MB),
# and callers who know better can raise it.
DEFAULT_SIZE_LIMIT_BYTES = 10_000_000
DEFAULT_DURATION_LIMIT_S = 60.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class Limits:
    """Exclusive upper bounds for size and duration, plus the fetch budget (total deadline, redirect hops)."""

    size_limit_bytes: int = DEFAULT_SIZE_LIMIT_BYTES
    duration_limit_s: float = DEFAULT_DURATION_LIMIT_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_redirects: int = DEFAULT_MAX_REDIRECTS

    def __post_init__(self) -> None:
        for name in ("size_limit_bytes", "duration_limit_s", "timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InvalidLimitsError(name, value)
        if isinstance(self.size_limit_bytes, float):
            raise InvalidLimitsError("size_limit_bytes", self.size_limit_bytes)
        redirects = self.max_redirects
        if isinstance(redirects, bool) or not isinstance(redirects, int) or redirects < 0:
            raise InvalidLimitsError("max_redirects", redirects)

    def to_dict(self) -> dict[str, Any]:
        """The limits as JSON-ready values."""
        return asdict(self)


DEFAULT_LIMITS = Limits()
