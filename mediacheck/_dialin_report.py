"""The answer of the dial-in lint: one ``DialinFinding`` per judgement about a field, gathered in a ``DialinReport``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mediacheck._report import Report, Severity


@dataclass(frozen=True, slots=True)
class DialinFinding:
    """One judgement about one field of the body: its path, a stable code, a one-sentence message and a hint."""

    field: str
    code: str
    severity: Severity
    message: str
    hint: str | None = None
    refused_networks: tuple[str, ...] = dataclasses.field(default=(), compare=False)  # as Finding's

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of the public contract."""
        return {"field": self.field, "code": self.code, "severity": self.severity.value, "message": self.message,
                "hint": self.hint}


@dataclass(frozen=True, slots=True)
class DialinReport:
    """The answer for a whole dial-in config body: it passes when no finding (the hold music's included) is an error."""

    findings: tuple[DialinFinding, ...] = ()
    hold_music: Report | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is an error (the hold music's errors are findings on ``hold_music_url``)."""
        return not any(f.severity is Severity.ERROR for f in self.findings) and (
            self.hold_music is None or self.hold_music.ok)

    @property
    def errors(self) -> tuple[DialinFinding, ...]:
        """The findings that make the config fail."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    def codes(self) -> list[str]:
        """The finding codes in report order (handy in tests and scripts)."""
        return [f.code for f in self.findings]

    def for_field(self, path: str) -> tuple[DialinFinding, ...]:
        """The findings about one field path (``"timeout_config.message"``)."""
        return tuple(f for f in self.findings if f.field == path)

    def to_dict(self) -> dict[str, Any]:
        """The report as the JSON document of the public contract."""
        return {
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "hold_music": self.hold_music.to_dict() if self.hold_music is not None else None,
        }
