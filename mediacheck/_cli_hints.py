"""Hints worded for the command line: `mediacheck fix` first where it repairs a file, `--allow-network` for refusals.

The library's hints name what to do in general terms (an ffmpeg command, "host it publicly") because it is
used from Python and from the service too. On the command line there is a better first step for a file that
fails on length, size or format: the `mediacheck fix` command, spelled out for this target and these limits.
And a private address refused on purpose is often a test server, which `--allow-network` is for.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
import urllib.parse
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

from mediacheck._fixable import fixable
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._report import Finding, MediaInfo, Report, Severity

if TYPE_CHECKING:
    from mediacheck._dialin import DialinReport

BLOCKED_ADDRESS = "access.blocked-address"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def _suggested_output(target: str) -> str:
    if _URL.match(target):
        name = posixpath.basename(urllib.parse.urlsplit(target).path)
        stem = PurePath(name).stem if name else ""
        return f"{stem}-fixed.mp3" if re.fullmatch(r"[\w.-]+", stem) else "hold.mp3"
    path = PurePath(target)
    return str(path.with_name(f"{path.stem or 'hold'}-fixed.mp3"))


def fix_command(target: str, limits: Limits = DEFAULT_LIMITS, allow_networks: Sequence[str] = ()) -> str:
    """The `mediacheck fix` command line that repairs ``target`` for these limits."""
    words = ["mediacheck", "fix", target, "-o", _suggested_output(target)]
    if limits.duration_limit_s != DEFAULT_LIMITS.duration_limit_s:
        words += ["--max-seconds", f"{limits.duration_limit_s:g}"]
    if limits.size_limit_bytes != DEFAULT_LIMITS.size_limit_bytes:
        words += ["--max-bytes", str(limits.size_limit_bytes)]
    if _URL.match(target):
        for network in allow_networks:
            words += ["--allow-network", network]
    return shlex.join(words)


def allow_network_advice(networks: Sequence[str]) -> str:
    """The sentence that tells how to let the CLI reach the refused address: every network the guard refused it
    by (a finding's ``refused_networks``), or a placeholder when none is known."""
    option = " ".join(f"--allow-network {network}" for network in networks or ("CIDR",))
    return f"If this private address is meant (a test server, an intranet), allow it with `{option}`."


def cli_hint(finding: Finding, *, target: str, media: MediaInfo | None, limits: Limits,
             allow_networks: Sequence[str] = ()) -> str | None:
    """The finding's hint as the command line gives it."""
    hint = finding.hint
    if finding.code == BLOCKED_ADDRESS:
        advice = allow_network_advice(finding.refused_networks)
        return f"{hint} {advice}" if hint else advice
    if finding.severity is not Severity.INFO and fixable(finding, media):
        purpose = "a copy that passes" if finding.severity is Severity.ERROR else "a clean copy"
        first = f"Run `{fix_command(target, limits, allow_networks)}` to make {purpose}."
        return f"{first} By hand: {hint}" if hint else first
    return hint


def report_for_cli(report: Report, limits: Limits, allow_networks: Sequence[str] = ()) -> Report:
    """``report`` with every hint as the command line gives it."""
    findings = tuple(
        dataclasses.replace(f, hint=cli_hint(f, target=report.target, media=report.media, limits=limits,
                                             allow_networks=allow_networks))
        for f in report.findings)
    return dataclasses.replace(report, findings=findings)


def dialin_report_for_cli(report: DialinReport, limits: Limits, allow_networks: Sequence[str] = ()) -> DialinReport:
    """A dial-in report with the hold music's hints, and the refused addresses', as the command line gives them."""
    hold_music = report.hold_music
    target = hold_music.target if hold_music is not None else ""
    media = hold_music.media if hold_music is not None else None
    findings = []
    for finding in report.findings:
        if finding.code == BLOCKED_ADDRESS or (finding.field == "hold_music_url" and hold_music is not None):
            as_core = Finding(finding.code, finding.severity, finding.message, finding.hint, finding.refused_networks)
            finding = dataclasses.replace(finding, hint=cli_hint(as_core, target=target, media=media, limits=limits,
                                                                 allow_networks=allow_networks))
        findings.append(finding)
    adapted = report_for_cli(hold_music, limits, allow_networks) if hold_music is not None else None
    return dataclasses.replace(report, findings=tuple(findings), hold_music=adapted)
