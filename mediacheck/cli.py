"""The `mediacheck` command line: one parser, one sub-command module per concern, library errors made clean.

Sub-commands live in their own modules (`_cli_check`, `_cli_fix`, `_cli_dialin`, `_cli_serve`); each exposes
``register(subparsers)`` and sets ``handler`` on its parser: a function taking the parsed namespace and
returning the exit code. Heavy imports (httpx2, pydub, fastapi) happen inside handlers, never here, so
``mediacheck --version`` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from mediacheck import _cli_check, _cli_dialin, _cli_fix, _cli_serve
from mediacheck._version import __version__
from mediacheck.exceptions import MediacheckError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EPILOG = """\
examples:
  mediacheck check hold.mp3 https://example.com/hold.mp3
  mediacheck check --format github --recursive assets/
  mediacheck COMMAND --help      every option of a command, with examples

exit codes: 0 all passed, 1 something failed, 2 usage error, 130 interrupted"""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="mediacheck",
        description="Check that hold music will be accepted: MP3, under 10 MB, under 60 s, publicly reachable.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mediacheck {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (_cli_check, _cli_fix, _cli_dialin, _cli_serve):
        module.register(subparsers)
    # Each command's namespace knows its own parser, so usage errors found later print that command's usage.
    for command_parser in subparsers.choices.values():
        command_parser.set_defaults(command_parser=command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            # parse_args would blame the top-level parser; the command's own usage is the helpful one.
            error_parser: argparse.ArgumentParser = getattr(args, "command_parser", parser)
            error_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_usage(sys.stderr)
            print("mediacheck: error: a command is required (try `mediacheck check --help`)", file=sys.stderr)
            return EXIT_USAGE
        return handler(args)
    except KeyboardInterrupt:
        print("\nmediacheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help/--version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except MediacheckError as exc:
        print(f"mediacheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
