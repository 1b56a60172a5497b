"""Options several sub-commands share (limits, private networks), parsed and validated one way for all."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import math
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mediacheck._limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from mediacheck._profiles import Profile

ALLOW_NETWORKS_ENV = "MEDIACHECK_ALLOW_NETWORKS"


def positive_int(text: str) -> int:
    """An argparse type: a whole number greater than 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number greater than 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number greater than 0, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds greater than 0, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds greater than 0, got {text!r}")
    return value


def network(text: str) -> str:
    """An argparse type: a CIDR network, normalised (host bits dropped)."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a network such as 10.0.0.0/8 or fd00::/8, got {text!r}") from None


def add_limit_options(parser: argparse.ArgumentParser, *, subject: str, fetched: str) -> None:
    """Add --max-bytes, --max-seconds and --timeout; ``subject`` fails at the limits, ``fetched`` is timed."""
    parser.add_argument("--max-bytes", type=positive_int, metavar="N",
                        help=f"size limit in bytes; {subject} fails at N bytes or more "
                             f"(default {DEFAULT_LIMITS.size_limit_bytes})")
    parser.add_argument("--max-seconds", type=positive_seconds, metavar="S",
                        help=f"duration limit in seconds; {subject} fails at S seconds or more "
                             f"(default {DEFAULT_LIMITS.duration_limit_s:g})")
    parser.add_argument("--timeout", type=positive_seconds, metavar="S",
                        help=f"total time allowed to fetch {fetched}, redirects included "
                             f"(default {DEFAULT_LIMITS.timeout_s:g})")


def add_network_option(parser: argparse.ArgumentParser, *, reaches: str, example: str) -> None:
    """Add the repeatable --allow-network CIDR (stored as ``allow_network``)."""
    parser.add_argument("--allow-network", action="append", type=network, default=[], metavar="CIDR",
                        help=f"let {reaches} reach this private network (repeatable; also ${ALLOW_NETWORKS_ENV}, "
                             f"comma-separated), e.g. {example}")


def limits_from(args: argparse.Namespace, profile: Profile | None = None) -> Limits:
    """The default limits (a profile's bounds) with the command line's --max-bytes, --max-seconds, --timeout applied."""
    given = (("size_limit_bytes", args.max_bytes), ("duration_limit_s", args.max_seconds), ("timeout_s", args.timeout))
    base = profile.limits() if profile is not None else DEFAULT_LIMITS
    return dataclasses.replace(base, **{field: value for field, value in given if value is not None})


# -- platform profiles ----------------------------------------------------------------------------------------

def add_profile_option(parser: argparse.ArgumentParser) -> None:
    """Add --profile NAME (stored as ``profile``)."""
    parser.add_argument("--profile", metavar="NAME",
                        help="the platform whose rules apply: daily (default), connect, genesys, twilio, vonage, or "
                             "a profile defined in ./mediacheck.toml or [tool.mediacheck] in ./pyproject.toml")


def profile_from(args: argparse.Namespace) -> Profile | None:
    """The --profile named (None for daily, the default); a bad name or rules file is the parser's usage error."""
    if args.profile is None:
        return None
    from mediacheck._profile_config import resolve_profile
    from mediacheck._profiles import DAILY
    from mediacheck.exceptions import UsageError

    try:
        profile = resolve_profile(args.profile)
    except UsageError as exc:
        args.command_parser.error(f"--profile: {exc}")
    return None if profile == DAILY else profile


def allowed_networks(flags: Iterable[str]) -> tuple[str, ...]:
    """The --allow-network values plus $MEDIACHECK_ALLOW_NETWORKS's, deduplicated; ArgumentTypeError on a bad one."""
    networks = list(flags)
    for entry in os.environ.get(ALLOW_NETWORKS_ENV, "").split(","):
        if entry.strip():
            try:
                networks.append(network(entry))
            except argparse.ArgumentTypeError as exc:
                raise argparse.ArgumentTypeError(f"{ALLOW_NETWORKS_ENV}: {exc}") from None
    return tuple(dict.fromkeys(networks))
