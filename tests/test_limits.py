"""Limits refuses values no check could honour, naming the field, before any work is done."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from mediacheck import InvalidLimitsError, Limits, UsageError

_BAD: list[Any] = [
    pytest.param("size_limit_bytes", 0, id="size-zero"),
    pytest.param("size_limit_bytes", -1, id="size-negative"),
    pytest.param("size_limit_bytes", 10.5, id="size-float"),
    pytest.param("size_limit_bytes", 1e7, id="size-whole-float"),
    pytest.param("size_limit_bytes", True, id="size-bool"),
    pytest.param("size_limit_bytes", "10000000", id="size-text"),
    pytest.param("duration_limit_s", 0.0, id="duration-zero"),
    pytest.param("duration_limit_s", -60, id="duration-negative"),
    pytest.param("duration_limit_s", math.nan, id="duration-nan"),
    pytest.param("duration_limit_s", math.inf, id="duration-infinite"),
    pytest.param("duration_limit_s", None, id="duration-none"),
    pytest.param("timeout_s", 0, id="timeout-zero"),
    pytest.param("timeout_s", -math.inf, id="timeout-minus-infinite"),
    pytest.param("timeout_s", False, id="timeout-bool"),
    pytest.param("max_redirects", -1, id="redirects-negative"),
    pytest.param("max_redirects", 2.0, id="redirects-float"),
    pytest.param("max_redirects", True, id="redirects-bool"),
]


class TestLimitsValidation:
    """Each field is checked where Limits is built, so a bad value never reaches a scan or a fetch."""

    @pytest.mark.parametrize(("field", "value"), _BAD)
    def test_bad_value_is_an_invalid_limits_error(self, field: str, value: Any) -> None:
        """A value that is not a positive finite number (a whole one for bytes and hops) raises InvalidLimitsError
        carrying the field and the value, and a message naming both."""
        with pytest.raises(InvalidLimitsError) as raised:
            Limits(**{field: value})
        assert raised.value.field == field
        assert raised.value.value is value
        assert str(raised.value).startswith(f"Limits.{field} must be ")
        assert repr(value) in str(raised.value)

    @pytest.mark.parametrize(("field", "value"), _BAD[:3])
    def test_replace_is_checked_too(self, field: str, value: Any) -> None:
        """dataclasses.replace (how the CLI applies its options) runs the same check."""
        with pytest.raises(InvalidLimitsError):
            dataclasses.replace(Limits(), **{field: value})

    def test_it_is_a_usage_error(self) -> None:
        """Callers catching the library's UsageError catch bad limits too."""
        with pytest.raises(UsageError):
            Limits(duration_limit_s=-1)

    def test_smallest_values_are_accepted(self) -> None:
        """One byte, a sliver of a second, an int number of seconds and zero redirects are all valid limits."""
        limits = Limits(size_limit_bytes=1, duration_limit_s=5e-324, timeout_s=1, max_redirects=0)
        assert limits.to_dict() == {"size_limit_bytes": 1, "duration_limit_s": 5e-324, "timeout_s": 1,
                                    "max_redirects": 0}
