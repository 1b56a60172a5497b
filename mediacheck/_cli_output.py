"""How `mediacheck check` shows a run: text for people, JSON/JUnit/GitHub commands for machines, progress on stderr.

Every renderer takes the finished run (outcomes in the order the targets were given) and returns the whole
document as a string, so the caller writes it once and a broken pipe or an interrupt never leaves half a
JSON or XML document behind. Colour is ANSI, used only when asked for (the caller decides from the TTY and
``NO_COLOR``); nothing here imports anything heavier than the standard library.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from mediacheck._limits import Limits
from mediacheck._report import Finding, Report, Severity
from mediacheck._version import __version__

FORMATS = ("text", "json", "junit", "github")
# The code of the result a target gets when mediacheck itself fails on it (a bug, not a verdict).
INTERNAL_ERROR_CODE = "internal.error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One target's report, how long its check took, and whether it fails this run (``--strict`` counts warnings)."""

    report: Report
    elapsed_s: float
    failed: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """The run's counts, as the JSON document's ``summary`` names them."""

    checked: int
    passed: int
    failed: int

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Summary:
        """Count the outcomes."""
        failed = sum(1 for o in outcomes if o.failed)
        return cls(checked=len(outcomes), passed=len(outcomes) - failed, failed=failed)


def is_url(target: str) -> bool:
    """True when the target names a URL (any scheme: the library answers `url.scheme` for the wrong ones)."""
    return _URL_RE.match(target) is not None


_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def render(fmt: str, outcomes: Sequence[Outcome], limits: Limits, *, colour: bool = False,
           quiet: bool = False) -> str:
    """The whole run in the named format (one of :data:`FORMATS`)."""
    if fmt == "json":
        return render_json(outcomes, limits)
    if fmt == "junit":
        return render_junit(outcomes)
    if fmt == "github":
        return render_github(outcomes)
    return render_text(outcomes, colour=colour, quiet=quiet)


# --- text --------------------------------------------------------------------------------------------------

_RESET = "\x1b[0m"
_STYLES = {"pass": "\x1b[1;32m", "fail": "\x1b[1;31m", "error": "\x1b[31m", "warning": "\x1b[33m",
           "info": "\x1b[36m", "dim": "\x1b[2m", "bold": "\x1b[1m"}


def _paint(text: str, style: str, colour: bool) -> str:
    return f"{_STYLES[style]}{text}{_RESET}" if colour else text


def _seconds(value: float) -> str:
    # Three decimals: two would print a passing 59.995 s as "60.00 s".
    return f"{value:.3f} s"


def describe_media(report: Report) -> str:
    """The key facts in a few words: format, playing time, size, and for MP3 the stream's shape."""
    media = report.media
    if media is None:
        return ""
    parts = [media.format]
    if media.duration_s is not None:
        parts.append(("" if media.complete else ">= ") + _seconds(media.duration_s))
    # After an early stop the size is still exact when it was known up front (a file's size, a Content-Length);
    # only a body cut short with no declared length leaves `bytes` at what was read, a lower bound.
    fetch = report.fetch
    size_is_lower_bound = (not media.complete and fetch is not None and fetch.content_length is None
                           and media.bytes <= fetch.bytes_read)
    parts.append(f">= {media.bytes:,} bytes" if size_is_lower_bound else f"{media.bytes:,} bytes")
    shape = media.shape()
    if shape:
        parts.append(shape)
    return " · ".join(parts)


# People read the reason a target fails first, then what is worth a look.
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _finding_lines(finding: Finding, colour: bool) -> list[str]:
    label = _paint(f"{finding.severity.value:<7}", finding.severity.value, colour)
    lines = [f"    {label} {finding.code}: {finding.message}"]
    if finding.hint:
        lines.append(f"            {_paint('hint: ' + finding.hint, 'dim', colour)}")
    return lines


def render_text(outcomes: Sequence[Outcome], *, colour: bool = False, quiet: bool = False) -> str:
    """One PASS/FAIL line per target with its key facts, then its findings with hints, then a summary line.

    ``quiet`` keeps only failing targets (and the summary); info findings are shown only when not quiet.
    """
    lines: list[str] = []
    for outcome in outcomes:
        if quiet and not outcome.failed:
            continue
        report = outcome.report
        mark = _paint("FAIL", "fail", colour) if outcome.failed else _paint("PASS", "pass", colour)
        facts = describe_media(report)
        if report.fetch is not None and report.fetch.status is not None:
            hops = len(report.fetch.redirects)
            http = f"HTTP {report.fetch.status}" + (f" after {hops} redirect{'s' if hops != 1 else ''}" if hops else "")
            facts = " · ".join(p for p in (http, facts) if p)
        lines.append(f"{mark} {report.target}" + (f"  {_paint(facts, 'dim', colour)}" if facts else ""))
        for finding in sorted(report.findings, key=lambda f: _SEVERITY_ORDER[f.severity]):
            if finding.severity is Severity.INFO and quiet:
                continue
            lines.extend(_finding_lines(finding, colour))
    summary = Summary.of(outcomes)
    warnings = sum(len(o.report.warnings) for o in outcomes)
    text = f"{summary.checked} checked: {summary.passed} passed, {summary.failed} failed"
    if warnings:
        text += f" ({warnings} warning{'s' if warnings != 1 else ''})"
    lines.append(_paint(text, "fail" if summary.failed else "pass", colour))
    return "\n".join(lines) + "\n"


# --- json --------------------------------------------------------------------------------------------------

def run_document(outcomes: Sequence[Outcome], limits: Limits) -> dict[str, object]:
    """The run as one JSON document: version, limits, results in order, summary (docs/cli.md)."""
    summary = Summary.of(outcomes)
    return {
        "mediacheck": __version__,
        "limits": limits.to_dict(),
        "results": [o.report.to_dict() for o in outcomes],
        "summary": {"checked": summary.checked, "passed": summary.passed, "failed": summary.failed},
    }


def render_json(outcomes: Sequence[Outcome], limits: Limits) -> str:
    """The run document, indented; ASCII-only so any terminal or log can carry it."""
    import json

    return json.dumps(run_document(outcomes, limits), indent=2) + "\n"


# --- junit -------------------------------------------------------------------------------------------------

# XML 1.0 cannot carry most control characters (or lone surrogates from undecodable file names) at all.
# Compiled on first use: the class takes 3.5 ms to compile, a tenth of the CLI's start-up budget.
_XML_INVALID = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _xml_text(text: str) -> str:
    return re.sub(_XML_INVALID, "\ufffd", text)


def _finding_text(finding: Finding) -> str:
    text = f"{finding.severity.value}: {finding.code}: {finding.message}"
    return text + (f"\n  hint: {finding.hint}" if finding.hint else "")


def _crashed(report: Report) -> bool:
    return any(f.code == INTERNAL_ERROR_CODE for f in report.findings)


def render_junit(outcomes: Sequence[Outcome]) -> str:
    """JUnit XML: one ``testcase`` per target, a ``failure`` carrying the findings for each failing one."""
    from xml.etree import ElementTree as ET

    summary = Summary.of(outcomes)
    # JUnit tells a failed check (`failure`) from a crashed one (`error`): a mediacheck bug is the latter.
    crashed = sum(1 for o in outcomes if _crashed(o.report))
    counts = {"tests": str(summary.checked), "failures": str(summary.failed - crashed), "errors": str(crashed)}
    total_time = f"{sum(o.elapsed_s for o in outcomes):.3f}"
    suites = ET.Element("testsuites", {"name": "mediacheck", **counts, "time": total_time})
    suite = ET.SubElement(suites, "testsuite", {
        "name": "mediacheck check", **counts, "skipped": "0", "time": total_time,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
    })
    for outcome in outcomes:
        report = outcome.report
        case = ET.SubElement(suite, "testcase", name=_xml_text(report.target),
                             classname="mediacheck.url" if is_url(report.target) else "mediacheck.file",
                             time=f"{outcome.elapsed_s:.3f}")
        if outcome.failed:
            failing = report.errors or report.warnings
            first = failing[0] if failing else None
            failure = ET.SubElement(case, "error" if _crashed(report) else "failure",
                                    type=first.code if first else "mediacheck",
                                    message=_xml_text(first.message if first else "failed"))
            failure.text = _xml_text("\n".join(_finding_text(f) for f in report.findings))
        others = () if outcome.failed else report.findings
        facts = describe_media(report)
        if facts or others:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join([facts, *(_finding_text(f) for f in others)]).strip())
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


# --- github ------------------------------------------------------------------------------------------------

def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(outcomes: Sequence[Outcome]) -> str:
    """GitHub Actions workflow commands: ``::error``/``::warning`` per finding, pinned to the file or titled by URL.

    Warnings of a run with ``--strict`` stay ``::warning`` (the failing exit code says the run failed).
    """
    lines: list[str] = []
    for outcome in outcomes:
        report = outcome.report
        where = (f"title={_gh_property(report.target)}" if is_url(report.target)
                 else f"file={_gh_property(report.target)}")
        for finding in report.findings:
            if finding.severity is Severity.INFO:
                continue
            message = f"{finding.code}: {finding.message}" + (f" Hint: {finding.hint}" if finding.hint else "")
            lines.append(f"::{finding.severity.value} {where}::{_gh_data(message)}")
        if outcome.failed and not report.errors and not report.warnings:
            lines.append(f"::error {where}::{_gh_data('failed')}")
    summary = Summary.of(outcomes)
    lines.append(f"mediacheck: {summary.checked} checked, {summary.passed} passed, {summary.failed} failed")
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_github_summary(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table for the GitHub Actions job summary: one row per target, failing targets first."""
    summary = Summary.of(outcomes)
    lines = [f"### mediacheck: {summary.checked} checked, {summary.passed} passed, {summary.failed} failed", "",
             "| result | target | facts | findings |", "|---|---|---|---|"]
    for outcome in sorted(outcomes, key=lambda o: not o.failed):
        report = outcome.report
        findings = "<br>".join(f"{f.severity.value} `{f.code}`: {_md_cell(f.message)}"
                               for f in sorted(report.findings, key=lambda f: _SEVERITY_ORDER[f.severity])
                               if f.severity is not Severity.INFO)
        mark = "❌ FAIL" if outcome.failed else "✅ PASS"
        lines.append(f"| {mark} | {_md_cell(report.target)} | {_md_cell(describe_media(report))} | "
                     f"{findings} |")
    return "\n".join(lines) + "\n"


# --- progress ----------------------------------------------------------------------------------------------

class Progress:
    """A one-line progress bar on a terminal's stderr, redrawn at most ten times a second, erased at the end."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled and total > 0
        self._last_draw = 0.0

    def advance(self) -> None:
        """Count one finished target and redraw if it is time."""
        self.done += 1
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last_draw >= 0.1 or self.done == self.total:
            self._last_draw = now
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self._stream.write(f"\rchecking [{bar}] {self.done}/{self.total}")
            self._stream.flush()

    def close(self) -> None:
        """Erase the bar so the results start on a clean line, and draw no more.

        After Ctrl-C the fetch thread (a daemon) may still finish a target; it must not write to stderr while
        the interpreter shuts down.
        """
        enabled, self._enabled = self._enabled, False
        if enabled and self._last_draw:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
