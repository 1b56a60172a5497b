"""A dial-in report as the page shows it: each field of the pasted body with the findings about it beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mediacheck import DialinFinding, DialinReport, Severity

# Long values (an hmac, a data URL pasted by mistake) are cut so the page stays readable.
MAX_VALUE_CHARS = 160
NESTED_TOO_DEEPLY = "(nested too deeply to show)"
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(slots=True)
class FieldRow:
    """One leaf field of the body (``timeout_config.message``) or a field the findings name that is absent."""

    path: str
    value: str
    present: bool
    findings: list[DialinFinding] = field(default_factory=list)

    @property
    def worst(self) -> str | None:
        """The severity of the most serious finding about the field, if any."""
        if not self.findings:
            return None
        return min(self.findings, key=lambda f: _RANK[f.severity]).severity.value


def _value_text(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except RecursionError:  # a list nested almost as deep as json.loads allows: the row names it, unprinted
        return NESTED_TOO_DEEPLY
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def _leaves(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    # Walked with a stack, not recursion: a pasted body may nest as deep as json.loads allows, and the page must
    # lay it out (depth first, keys in order) without running out of stack.
    pending: list[tuple[str, Any]] = [(prefix, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, Mapping) and item:
            children = [(f"{path}.{key}" if path else str(key), child) for key, child in item.items()]
            pending.extend(reversed(children))
        else:
            yield path, item


def field_rows(body: Mapping[str, Any], report: DialinReport) -> tuple[list[DialinFinding], list[FieldRow]]:
    """The findings about the body as a whole, and one row per field with the findings that name it.

    A finding names a field by its path: it goes to that field's row, or to the first row inside it (a finding
    about ``timeout_config`` sits with ``timeout_config.message``), or to a new row for a field that is absent.
    """
    rows = [FieldRow(path, _value_text(value), True) for path, value in _leaves(body, "")]
    by_path = {row.path: row for row in rows}
    general: list[DialinFinding] = []
    for finding in report.findings:
        if not finding.field:
            general.append(finding)
            continue
        row = by_path.get(finding.field) or next(
            (r for r in rows if r.path.startswith((finding.field + ".", finding.field + "["))), None)
        if row is None:
            row = by_path[finding.field] = FieldRow(finding.field, "not given", False)
            rows.append(row)
        row.findings.append(finding)
    for row in rows:
        row.findings.sort(key=lambda f: _RANK[f.severity])
    return general, rows


def headline(report: DialinReport) -> str:
    """The verdict on the config in one sentence."""
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if not report.ok:
        count = len(errors) or 1
        return f"The API will refuse this config: {count} problem{'s' if count != 1 else ''} to fix."
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    if warnings:
        return f"The config will be accepted; {len(warnings)} thing{'s' if len(warnings) != 1 else ''} worth a look."
    return "The config will be accepted."
