"""The `mediacheck check` sub-command: expand the targets, check them with the library, render the run, exit.

It only consumes the library: :func:`mediacheck.check_file` for paths, and for URLs the fetcher behind
:func:`mediacheck.acheck_url` (one ``SafeFetcher`` shared by the run), concurrently under a semaphore
(``--concurrency``). A target that cannot be read or fetched is a failing result and the run goes on.
asyncio and httpx2 are imported only once a run has URLs, so ``mediacheck --version`` and file-only runs
start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mediacheck._check import check_file
from mediacheck._cli_hints import report_for_cli
from mediacheck._cli_options import (
    add_limit_options,
    add_network_option,
    add_profile_option,
    allowed_networks,
    limits_from,
    positive_int,
    profile_from,
)
from mediacheck._cli_output import (
    FORMATS,
    INTERNAL_ERROR_CODE,
    Outcome,
    Progress,
    is_url,
    render,
    render_github_summary,
)
from mediacheck._cli_stream import use_colour, write_stdout
from mediacheck._limits import Limits
from mediacheck._report import Finding, Report, Severity
from mediacheck.exceptions import AudioToolsMissingError, MediacheckError

if TYPE_CHECKING:
    from mediacheck._fetch import SafeFetcher
    from mediacheck._profiles import Profile

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_CONCURRENCY = 8
# The fetcher's connection pool holds 100 connections; more fetches in flight would queue inside the pool,
# where httpx's pool timeout, not the user's --timeout, decides how long they may wait.
MAX_CONCURRENCY = 100
# Set by GitHub Actions: a Markdown file shown on the run's page (`--format github` appends a table to it).
GITHUB_STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
# Below this many targets a progress bar would only flicker.
PROGRESS_MIN_TARGETS = 10

DESCRIPTION = """\
Check hold music: each TARGET (a local MP3 file, a folder of them, or an http(s) URL) must be MP3 audio,
less than 10,000,000 bytes and less than 60 seconds long, and a URL must be publicly reachable.
Prints one result per target in the order given; exits 0 when every target passes, 1 when any fails,
2 on a usage error, 130 when interrupted."""

EPILOG = """\
examples:
  mediacheck check hold.mp3                         check one file
  mediacheck check https://example.com/hold.mp3     fetch (safely) and check a URL
  mediacheck check --recursive assets/              every *.mp3 under assets/
  mediacheck check --format json music/*.mp3        one JSON document for the run
  mediacheck check --format github --strict a.mp3   annotations in GitHub Actions; warnings fail too
  find . -name '*.mp3' | mediacheck check -         read targets from stdin, one per line
  mediacheck check --max-seconds 30 --max-bytes 5000000 hold.mp3
  mediacheck check --profile connect prompt.wav     Amazon Connect's rules: 8 kHz mono µ-law WAV, < 50 MB, < 5 min

environment:
  MEDIACHECK_ALLOW_NETWORKS  comma-separated CIDRs added to --allow-network
  NO_COLOR                   when set (non-empty), text output is never coloured
  GITHUB_STEP_SUMMARY        with --format github, a Markdown table of the run is appended to this file"""


def _concurrency(text: str) -> int:
    value = positive_int(text)
    if value > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"at most {MAX_CONCURRENCY} fetches can run at once, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `check` to the parser."""
    parser = subparsers.add_parser(
        "check", help="check MP3 files, folders and URLs against the hold-music limits",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="an http(s) URL, a file, a folder (its *.mp3 files), or - to read targets from stdin")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output: text for people (default), json (one run document), junit (JUnit XML), "
                             "github (GitHub Actions annotations)")
    add_limit_options(parser, subject="a target", fetched="one URL")
    add_network_option(parser, reaches="URLs", example="127.0.0.0/8 for a local server")
    parser.add_argument("--concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY, metavar="N",
                        help=f"fetch up to N URLs at once, 1 to {MAX_CONCURRENCY}; local files are scanned one "
                             f"after another, the scan being CPU-bound (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--recursive", action="store_true",
                        help="expand folders to the *.mp3 files in all their sub-folders too")
    parser.add_argument("--all-files", action="store_true",
                        help="expand folders to every file, not only those named *.mp3 (the others are skipped "
                             "by default, and their number is printed on stderr)")
    parser.add_argument("--deep", action="store_true",
                        help="also decode the audio with ffmpeg and judge how it sounds (needs mediacheck[audio])")
    parser.add_argument("--strict", action="store_true", help="warnings fail a target too")
    parser.add_argument("--quiet", action="store_true",
                        help="show only failing targets and the summary, and no progress bar")
    add_profile_option(parser)
    parser.set_defaults(handler=run)


# --- targets -----------------------------------------------------------------------------------------------

def _failing(target: str, code: str, message: str, hint: str) -> Report:
    return Report(target=target, findings=(Finding(code, Severity.ERROR, message, hint),))


def _read_stdin_targets() -> list[str]:
    stream = sys.stdin
    if stream is None:
        return []
    buffer = getattr(stream, "buffer", None)
    # Bytes, decoded like file names are, so any path a `find` prints survives the trip.
    lines = [os.fsdecode(line) for line in buffer] if buffer is not None else list(stream)
    return [line.strip() for line in lines if line.strip()]


def _folder_files(folder: str, recursive: bool, all_files: bool,
                  suffixes: tuple[str, ...] = (".mp3",)) -> tuple[list[str | Report], int]:
    """The files of a folder to check (sorted; those named ``suffixes`` unless ``all_files``) and how many others
    were skipped."""
    found: list[str | Report] = []
    skipped = 0

    def unreadable(exc: OSError) -> None:
        where = exc.filename or folder
        found.append(_failing(where, "access.unreadable", f"The folder {where} cannot be read: {exc.strerror}.",
                              "Check the folder's permissions."))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs.sort()
        for name in sorted(files):
            if all_files or name.lower().endswith(suffixes):
                found.append(os.path.join(root, name))
            else:
                skipped += 1
        if not recursive:
            break
    if not found:
        others = (f" ({skipped} other file{'s' * (skipped != 1)} skipped: --all-files checks every file)"
                  if skipped else "")
        hint = "Name the files, or point at a folder that has some." if recursive else \
            "Add --recursive to look in its sub-folders, or name the files."
        what = "files" if all_files else f"{' or '.join(suffixes)} files"
        code = "access.no-mp3-files" if suffixes == (".mp3",) else "access.no-audio-files"
        found.append(_failing(folder, code, f"The folder {folder} has no {what}{others}.", hint))
    return found, skipped


def expand_targets(given: Sequence[str], *, recursive: bool, all_files: bool = False,
                   suffixes: tuple[str, ...] = (".mp3",)) -> tuple[list[str | Report], list[tuple[str, int]]]:
    """Targets in order (``-`` becomes stdin's lines, folders their files, sorted; a report marks a bad one), and
    (folder, count) for each folder whose other files were skipped."""
    expanded: list[str | Report] = []
    skipped: list[tuple[str, int]] = []
    for target in given:
        items = _read_stdin_targets() if target == "-" else [target]
        for item in items:
            if not item.strip():
                # `mediacheck check "$HOLD_MUSIC_URL"` with the variable unset: say so, not "'' is a directory".
                expanded.append(_failing(item, "access.not-found", "An empty target names no file or URL.",
                                         "Check the command line: is a variable that should hold the target unset?"))
            elif not is_url(item) and os.path.isdir(item):
                files, count = _folder_files(item, recursive, all_files, suffixes)
                expanded.extend(files)
                if count:
                    skipped.append((item, count))
            else:
                expanded.append(item)
    return expanded, skipped


# --- running -----------------------------------------------------------------------------------------------

def _internal_error(target: str, exc: Exception) -> Report:
    return _failing(target, INTERNAL_ERROR_CODE, f"mediacheck failed on this target: {type(exc).__name__}: {exc}",
                    "This is a bug in mediacheck; please report it with the target that caused it.")


def _check_path(target: str, limits: Limits, deep: bool, profile: Profile | None = None) -> Report:
    try:
        return check_file(target, limits=limits, deep=deep, profile=profile)
    except MediacheckError:
        raise
    except Exception as exc:  # a bug must cost one result, not the whole CI run
        return _internal_error(target, exc)


def _check_local(target: str | Report, limits: Limits, deep: bool,
                 profile: Profile | None = None) -> tuple[Report, float]:
    started = time.perf_counter()
    report = target if isinstance(target, Report) else _check_path(target, limits, deep, profile)
    return report, time.perf_counter() - started


def check_targets(targets: Sequence[str | Report], *, limits: Limits, allow_networks: Sequence[str],
                  deep: bool, concurrency: int, progress: Progress,
                  profile: Profile | None = None) -> list[tuple[Report, float]]:
    """Check every target, keeping the given order; each result comes with the seconds its check took.

    Local files are checked one after another (the scan is CPU-bound pure Python: worker threads would buy
    nothing under the GIL): in this thread when there are no URLs, else between the fetches in the loop's.
    """
    if not any(isinstance(t, str) and is_url(t) for t in targets):
        results = []
        for target in targets:
            results.append(_check_local(target, limits, deep, profile))
            progress.advance()
        return results

    import asyncio
    import threading

    # The fetches run in an event loop on a daemon thread while this (main) thread only waits: Ctrl-C then
    # lands on the wait and ends the run at once, whatever the loop is doing (a file read, a TLS handshake,
    # the pool's clean-up). Raising KeyboardInterrupt inside the loop instead could leave the loop's own
    # shutdown waiting on a hung server (seen once in a full suite run: 20 s, then the test's timeout).
    finished = threading.Event()
    outcome: list[list[tuple[Report, float]]] = []
    failure: list[BaseException] = []

    def run_loop() -> None:
        try:
            outcome.append(asyncio.run(_check_concurrently(
                targets, limits=limits, allow_networks=allow_networks, deep=deep, concurrency=concurrency,
                progress=progress, profile=profile)))
        except BaseException as exc:  # handed to the main thread, which re-raises it
            failure.append(exc)
        finally:
            finished.set()

    threading.Thread(target=run_loop, name="mediacheck-fetches", daemon=True).start()
    finished.wait()
    if failure:
        raise failure[0]
    return outcome[0]


async def _check_concurrently(targets: Sequence[str | Report], *, limits: Limits, allow_networks: Sequence[str],
                              deep: bool, concurrency: int, progress: Progress,
                              profile: Profile | None = None) -> list[tuple[Report, float]]:

    # One fetcher for the whole run instead of one per acheck_url call: loading the CA bundle for each
    # fetch cost 20 ms of blocked event loop per URL (half of a 100-URL run, measured with cProfile).
    from mediacheck._fetch import SafeFetcher

    async with SafeFetcher(limits=limits, allow_networks=allow_networks) as fetcher:
        return await _check_with(fetcher, targets, limits=limits, deep=deep, concurrency=concurrency,
                                 progress=progress, profile=profile)


async def _check_with(fetcher: SafeFetcher, targets: Sequence[str | Report], *, limits: Limits, deep: bool,
                      concurrency: int, progress: Progress,
                      profile: Profile | None = None) -> list[tuple[Report, float]]:
    import asyncio

    semaphore = asyncio.Semaphore(concurrency)
    results: list[tuple[Report, float]] = [(Report(target=""), 0.0)] * len(targets)

    async def check_url(index: int, url: str) -> None:
        async with semaphore:
            started = time.perf_counter()
            try:
                report = await fetcher.acheck(url, deep=deep, profile=profile)
            except MediacheckError:
                raise
            except Exception as exc:  # a bug must cost one result, not the whole CI run
                report = _internal_error(url, exc)
            results[index] = (report, time.perf_counter() - started)
        progress.advance()

    async def check_locals(indexed: list[tuple[int, str | Report]]) -> None:
        for index, target in indexed:
            results[index] = _check_local(target, limits, deep, profile)
            progress.advance()
            await asyncio.sleep(0)  # let the fetches move between files

    local = [(i, t) for i, t in enumerate(targets) if isinstance(t, Report) or not is_url(t)]
    try:
        async with asyncio.TaskGroup() as group:
            for index, target in enumerate(targets):
                if isinstance(target, str) and is_url(target):
                    group.create_task(check_url(index, target))
            group.create_task(check_locals(local))
    except BaseExceptionGroup as failure:
        raise failure.exceptions[0] from None
    return results


# --- the handler -------------------------------------------------------------------------------------------

def _note_skipped(skipped: Sequence[tuple[str, int]], suffixes: tuple[str, ...]) -> None:
    if sys.stderr is None:
        return
    named = " or ".join(f"*{suffix}" for suffix in suffixes)
    for folder, count in skipped:
        print(f"mediacheck: skipped {count} file{'s' * (count != 1)} in {folder} not named {named} "
              "(--all-files checks every file)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Run `mediacheck check` and return the exit code."""
    usage_error: Callable[[str], Any] = args.command_parser.error
    if not args.targets:
        usage_error("no targets given: name files, folders or URLs, or - to read them from stdin")
    profile = profile_from(args)
    limits = limits_from(args, profile)
    try:
        allow_networks = allowed_networks(args.allow_network)
    except argparse.ArgumentTypeError as exc:
        usage_error(str(exc))
    suffixes = tuple(f".{fmt}" for fmt in profile.formats) if profile is not None else (".mp3",)
    targets, skipped = expand_targets(args.targets, recursive=args.recursive, all_files=args.all_files,
                                      suffixes=suffixes)
    if not targets:
        usage_error("no targets given: stdin had no lines")
    # Names that are not valid UTF-8 (surrogate-escaped) must print, not crash the run at the last step.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")

    progress = Progress(len(targets), sys.stderr, enabled=not args.quiet and len(targets) >= PROGRESS_MIN_TARGETS
                        and bool(sys.stderr is not None and sys.stderr.isatty()))
    try:
        checked = check_targets(targets, limits=limits, allow_networks=allow_networks, deep=args.deep,
                                concurrency=args.concurrency, progress=progress, profile=profile)
    except AudioToolsMissingError as exc:
        print(f"mediacheck: error: --deep needs the audio tools: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        progress.close()
    outcomes = [Outcome(report_for_cli(report, limits, allow_networks), elapsed,
                        failed=not report.ok or (args.strict and bool(report.warnings)))
                for report, elapsed in checked]
    _note_skipped(skipped, suffixes)
    write_stdout(render(args.format, outcomes, limits, colour=use_colour(sys.stdout), quiet=args.quiet))
    step_summary = os.environ.get(GITHUB_STEP_SUMMARY_ENV)
    if args.format == "github" and step_summary:
        try:
            with open(step_summary, "a", encoding="utf-8", errors="backslashreplace") as markdown:
                markdown.write(render_github_summary(outcomes))
        except OSError as exc:
            print(f"mediacheck: warning: cannot write the job summary to {step_summary}: {exc.strerror}",
                  file=sys.stderr)
    return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK
