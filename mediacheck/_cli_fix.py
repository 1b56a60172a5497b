"""The `mediacheck fix` sub-command: make compliant hold music from any audio file or URL, then check it.

It only consumes the library (:func:`mediacheck.fix_file`, imported when the command runs): it says what
fix changed, then prints the check of the output with the same renderer as `mediacheck check`. Exit 0 only
when the output passes, or when the input already passed and was left alone.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import TYPE_CHECKING, Any

from mediacheck._cli_hints import BLOCKED_ADDRESS, allow_network_advice
from mediacheck._cli_options import (
    add_limit_options,
    add_network_option,
    add_profile_option,
    allowed_networks,
    limits_from,
    positive_int,
    positive_seconds,
    profile_from,
)
from mediacheck._cli_output import Outcome, render
from mediacheck._cli_stream import use_colour, write_stdout
from mediacheck.exceptions import AudioToolsMissingError, FixError, UsageError

if TYPE_CHECKING:
    from mediacheck._fix_report import FixReport

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

# Mirrors mediacheck._fix, which is imported only when the command runs (it is cheap, but keep start-up lean).
_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

DESCRIPTION = """\
Make hold music that passes `mediacheck check` with a margin from INPUT (any file ffmpeg reads: WAV, M4A,
FLAC, Ogg, MP3..., or an http(s) URL, fetched safely): strip leading silence, cut to the target duration with
a fade-out so the loop does not click, downmix to mono, resample, encode an MP3 at a bitrate that fits the
size limit, without tags or cover art. The output is written beside OUTPUT under a temporary name, checked,
and moved into place only if it passes; the input is never touched. An INPUT that already passes with no
warnings is left alone (nothing is written) unless --reencode is given. Says what it changed, then prints the
check of the output; exits 0 when it passes (or INPUT already did), 1 when INPUT is not audio or cannot be
fixed, 2 on a usage error (including an OUTPUT that cannot be written)."""

EPILOG = """\
examples:
  mediacheck fix designer-track.wav -o hold.mp3            59 s, 22,050 Hz mono, 64 kbps
  mediacheck fix phone-recording.m4a -o hold.mp3 --normalize
  mediacheck fix https://example.com/song.flac -o hold.mp3 --target-seconds 45
  mediacheck fix long.mp3 -o hold.mp3 --max-seconds 30 --max-bytes 1000000 --force
  mediacheck fix passing.mp3 -o hold.mp3 --reencode        encode even though it already passes
  mediacheck fix music.mp3 -o prompt.wav --profile connect  an 8 kHz mono µ-law WAV for Amazon Connect"""


def _fade_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 for none), got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 for none), got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `fix` to the parser."""
    parser = subparsers.add_parser(
        "fix", help="turn any audio file or URL into hold music that passes the check",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="an audio file ffmpeg can read, or an http(s) URL")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT.mp3",
                        help="where to write the MP3: a new file, or a regular file with --force; not INPUT, "
                             "not a symbolic link, not - (stdout)")
    parser.add_argument("--force", action="store_true",
                        help="replace OUTPUT if it is an existing regular file (its permissions are kept)")
    parser.add_argument("--reencode", action="store_true",
                        help="encode even when INPUT already passes with no warnings (by default such an input "
                             "is left alone and nothing is written)")
    add_limit_options(parser, subject="the output", fetched="a URL INPUT")
    parser.add_argument("--target-seconds", type=positive_seconds, metavar="S",
                        help="cut the output at S seconds (default: one second under --max-seconds, at most 59)")
    parser.add_argument("--fade-seconds", type=_fade_seconds, default=1.5, metavar="S",
                        help="fade-out before the cut, 0 for none (default 1.5)")
    parser.add_argument("--sample-rate", type=int, choices=_SAMPLE_RATES, metavar="HZ",
                        help="output sample rate, one of the MP3 rates (default 22050, or the --profile's)")
    parser.add_argument("--channels", type=int, choices=(1, 2),
                        help="1 = downmix to mono (default; phone lines are mono), 2 = keep stereo "
                             "(default 1, or the --profile's)")
    parser.add_argument("--bitrate", type=positive_int, default=64, metavar="KBPS",
                        help="constant bitrate; lowered to the nearest valid MP3 rate that fits --max-bytes "
                             "(default 64)")
    parser.add_argument("--keep-leading-silence", action="store_true",
                        help="do not strip silence (under -50 dBFS) from the start")
    parser.add_argument("--normalize", action="store_true",
                        help="normalise loudness to -18 LUFS with a -2 dBTP ceiling (EBU R128 loudnorm)")
    add_network_option(parser, reaches="a URL INPUT", example="127.0.0.0/8")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="how to print the check of the output: text (default) or json")
    add_profile_option(parser)
    parser.set_defaults(handler=run)


def _narrative(report: FixReport) -> str:
    """What fix did, in plain words, one change a line (the text format's first lines)."""
    lines = [f"mediacheck fix: removed {name}, left by a fix that was killed" for name in report.removed_leftovers]
    if not report.written:
        lines.append(f"mediacheck fix: {report.source} already passes with no warnings; nothing to do "
                     "(no file was written; --reencode encodes it anyway)")
    else:
        lines.append(f"mediacheck fix: wrote {report.target} from {report.source}:")
        lines.extend(f"  {change.message}" for change in report.changes)
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Run `mediacheck fix` and return the exit code."""
    from mediacheck._fix import fix_file

    if args.output == "-":
        args.command_parser.error("-o - (standard output) is not supported: fix publishes a file only once it "
                                  "has checked it; name the file to write (a file really named - is ./-)")
    profile = profile_from(args)
    limits = limits_from(args, profile)
    try:
        networks = allowed_networks(args.allow_network)
    except argparse.ArgumentTypeError as exc:
        args.command_parser.error(str(exc))
    started = time.perf_counter()
    try:
        report = fix_file(
            args.input, args.output, limits=limits, target_seconds=args.target_seconds,
            sample_rate=args.sample_rate, channels=args.channels, bitrate_kbps=args.bitrate,
            fade_seconds=args.fade_seconds, strip_silence=not args.keep_leading_silence,
            normalize=args.normalize, overwrite=args.force, reencode=args.reencode, allow_networks=networks,
            profile=profile,
        )
    except FixError as exc:
        advice = f" {allow_network_advice(exc.refused_networks)}" if exc.reason == BLOCKED_ADDRESS else ""
        print(f"mediacheck fix: {exc}{advice}", file=sys.stderr)
        return EXIT_FAILED
    except UsageError as exc:
        print(f"mediacheck fix: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AudioToolsMissingError as exc:
        print(f"mediacheck fix: error: fix needs ffmpeg: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the file system refused something no check foresaw: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"mediacheck fix: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    outcome = Outcome(report, time.perf_counter() - started, failed=not report.ok)
    document = render(args.format, [outcome], limits, colour=use_colour(sys.stdout))
    write_stdout(_narrative(report) + document if args.format == "text" else document)
    return EXIT_OK if report.ok else EXIT_FAILED
