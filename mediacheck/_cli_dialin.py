"""The `mediacheck dialin-config` sub-command: lint a whole dial-in config body from a JSON file or stdin."""

from __future__ import annotations

import argparse
import io
import sys
from typing import TYPE_CHECKING, Any, TextIO

# The limit and network options mean exactly what they mean for `mediacheck check`, so they parse the same way.
from mediacheck._cli_hints import dialin_report_for_cli
from mediacheck._cli_options import add_limit_options, add_network_option, allowed_networks, limits_from
from mediacheck._cli_stream import write_stdout

if TYPE_CHECKING:
    from mediacheck._dialin import DialinReport

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this sub-command to the parser."""
    parser = subparsers.add_parser(
        "dialin-config",
        help="check a whole POST /domain-dialin-config body (fields, webhook address, hold music)",
        description="Check a whole POST /domain-dialin-config body before it is sent: the field rules, the "
                    "room_creation_api address (resolved, never requested) and the hold music (fetched and "
                    "checked). Exit 0 when it passes, 1 when it does not, 2 when FILE is unreadable or not JSON.",
    )
    parser.add_argument("file", metavar="FILE.json", help="the JSON body to check; `-` reads standard input")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default), json for the DialinReport document")
    add_network_option(parser, reaches="the webhook's host and the hold music",
                       example="10.0.0.0/8 for an intranet")
    parser.add_argument("--no-hold-music", action="store_false", dest="check_hold_music",
                        help="do not fetch hold_music_url: check only the form of the URL")
    add_limit_options(parser, subject="the hold music", fetched="the hold music")
    parser.set_defaults(handler=run)


def _read(path: str) -> bytes:
    # Bytes, not text: the lint judges the encoding (UTF-16 or a byte order mark are findings, not crashes).
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def _usage_error(message: str) -> int:
    print(f"mediacheck dialin-config: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """Read, lint and print one config body; return the exit code."""
    import json

    from mediacheck._dialin import DialinReport, lint_dialin_config, parse_config_json

    try:
        allow_networks = allowed_networks(args.allow_network)
    except argparse.ArgumentTypeError as exc:
        return _usage_error(str(exc))
    limits = limits_from(args)
    name = "standard input" if args.file == "-" else args.file
    try:
        data = _read(args.file)
    except OSError as exc:
        return _usage_error(f"cannot read {name}: {exc.strerror or exc}")
    try:
        body, duplicates = parse_config_json(data)
    except UnicodeDecodeError:
        return _usage_error(f"{name} is not UTF-8 text")
    except json.JSONDecodeError as exc:
        return _usage_error(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    except RecursionError:
        return _usage_error(f"{name} nests JSON too deeply to be a dial-in config")
    except ValueError:  # json.loads refuses integers longer than sys.get_int_max_str_digits()
        return _usage_error(f"{name} holds an integer of more than {sys.get_int_max_str_digits():,} digits, "
                            "too long to read")
    report = lint_dialin_config(body, limits=limits, allow_networks=allow_networks,
                                check_hold_music=args.check_hold_music)
    if duplicates:
        report = DialinReport(duplicates + report.findings, report.hold_music)
    report = dialin_report_for_cli(report, limits, allow_networks)
    # The whole answer is rendered first and written once, so a reader that leaves early (`| head`) costs
    # a quiet exit, not a BrokenPipeError traceback half-way through.
    if args.format == "json":
        write_stdout(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        rendered = io.StringIO()
        write_text(report, name, rendered)
        write_stdout(rendered.getvalue())
    return EXIT_OK if report.ok else EXIT_FAILED


def write_text(report: DialinReport, name: str, out: TextIO) -> None:
    """Print the report for people: a verdict line, then one block per finding (field, code, message, hint)."""
    errors = sum(1 for f in report.findings if f.severity.value == "error")
    warnings = sum(1 for f in report.findings if f.severity.value == "warning")
    verdict = "ok" if report.ok else "FAILED"
    out.write(f"{name}: {verdict} ({errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)})\n")
    for finding in report.findings:
        where = finding.field or "<body>"
        out.write(f"  {finding.severity.value:<7} {where}: {finding.message} [{finding.code}]\n")
        if finding.hint:
            out.write(f"          hint: {finding.hint}\n")
    if report.hold_music is not None:
        media = report.hold_music.media
        facts = ""
        if media is not None:
            parts = [media.format, f"{media.bytes} bytes"]
            if media.duration_s is not None:  # after an early stop, a lower bound (as the check output says)
                parts.append(("" if media.complete else ">= ") + f"{media.duration_s:.3f} s")
            facts = " (" + ", ".join(parts) + ")"
        status = "ok" if report.hold_music.ok else "FAILED"
        out.write(f"  hold music: {status}{facts}\n")
