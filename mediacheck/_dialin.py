"""Lint a whole ``POST /domain-dialin-config`` body before it is sent: field rules, webhook address, hold music.

The rules follow Daily's API reference, and its prose where its sources disagree (``phone_number`` is required
for ``pin_dialin`` and optional for ``pinless_dialin``); docs/dialin.md tables them. Findings name the field path
they are about (``timeout_config.message``) and reuse the project's finding codes where one fits (``url.scheme``,
``access.blocked-address``); codes of their own start with the field (``phone_number.spaces``) or ``field.``.

``room_creation_api`` is a webhook: it is never requested, its host is only resolved so the network guard can
vet the addresses. ``hold_music_url`` gets the full guarded check (``check_url``/``acheck_url``), whose
findings are copied onto the field and whose Report goes under ``hold_music``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

import anyio

from mediacheck._dialin_json import parse_config_json, read_config
from mediacheck._dialin_report import DialinFinding, DialinReport
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._netguard import AddressPolicy, HostRefusal, Resolver, arefuse_host, parse_networks, refuse_host
from mediacheck._report import Finding, Report, Severity
from mediacheck._urlpolicy import check_url_policy
from mediacheck.exceptions import UsageError

if TYPE_CHECKING:
    from mediacheck._fetch import SafeFetcher

__all__ = ["DialinFinding", "DialinReport", "alint_dialin_config", "lint_dialin_config", "parse_config_json"]

PINLESS = "pinless_dialin"
PIN = "pin_dialin"
KINDS = (PINLESS, PIN)

BOTH = frozenset(KINDS)
# Which config kinds accept each body field (the spec's field list: "pinless only", "pin_dialin only").
FIELD_KINDS: Mapping[str, frozenset[str]] = {
    "type": BOTH,
    "phone_number": BOTH,
    "name_prefix": BOTH,
    "hmac": frozenset({PINLESS}),
    "room_creation_api": frozenset({PINLESS}),
    "hold_music_url": frozenset({PINLESS}),
    "timeout_config": BOTH,
    "ivr_greeting": frozenset({PIN}),
}
MESSAGE_OBJECT_FIELDS = ("timeout_config", "ivr_greeting")
MESSAGE_OBJECT_KEYS = ("message",)

# E.164: "+", a country code that never starts with 0, at most 15 digits in all. The shortest numbers in
# service (Saint Helena, Niue, Tokelau: a 3-digit country code and 4 subscriber digits) have 7. The rule is
# the spec's syntactic one, written out here: a numbering-plan library (phonenumbers) would also judge whether
# a number is assigned, which changes with every plan update and needs a region for national-format input.
E164_MAX_DIGITS = 15
E164_MIN_DIGITS = 7
_E164 = re.compile(rf"\+[1-9][0-9]{{{E164_MIN_DIGITS - 1},{E164_MAX_DIGITS - 1}}}")
# RFC 2104 asks for a key at least as long as the hash output; far shorter secrets are guessable.
HMAC_MIN_BYTES = 16
_BASE64_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/=")

WEBHOOK_HINT = ("Daily calls this URL from the internet: give an https:// URL on a public host name "
                "(for local development, a public tunnel to your machine).")


@dataclass
class _Plan:
    """What the pure field rules found, plus the network work they leave for the sync or async front door."""

    findings: list[DialinFinding] = field(default_factory=list)
    hold_music_url: str | None = None
    webhook: tuple[str, int] | None = None  # (ASCII host, port) to resolve and vet, never to request
    check_hold_music: bool = True

    def add(self, path: str, code: str, severity: Severity, message: str, hint: str | None = None) -> None:
        self.findings.append(DialinFinding(path, code, severity, message, hint))

    def error(self, path: str, code: str, message: str, hint: str | None = None) -> None:
        self.add(path, code, Severity.ERROR, message, hint)

    def warning(self, path: str, code: str, message: str, hint: str | None = None) -> None:
        self.add(path, code, Severity.WARNING, message, hint)


_JSON_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"), (int, "a number"), (float, "a number"), (str, "a string"),
    (list, "an array"), (Mapping, "an object"),
)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    for py_type, name in _JSON_TYPE_NAMES:
        if isinstance(value, py_type):
            return name
    return type(value).__name__


def _nearest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    matches = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def _string_field(plan: _Plan, body: Mapping[str, Any], path: str, *, required: bool = False,
                  required_why: str = "") -> str | None:
    """The field's value when it is a non-empty string; otherwise record why not and return None."""
    key = path.rsplit(".", 1)[-1]
    if key not in body:
        if required:
            plan.error(path, "field.required", f"`{path}` is missing{required_why}.", f"Add `{path}` to the body.")
        return None
    value = body[key]
    if not isinstance(value, str):
        plan.error(path, "field.type", f"`{path}` must be a string, got {_json_type(value)}.",
                   "Omit the field instead of sending null." if value is None and not required else
                   f"Send `{path}` as a JSON string.")
        return None
    if not value.strip():
        plan.error(path, "field.empty", f"`{path}` must not be empty.", f"Give `{path}` a value or omit it."
                   if not required else f"Give `{path}` a value.")
        return None
    return value


def _check_type(plan: _Plan, body: Mapping[str, Any]) -> str | None:
    """The config kind, or None when it is missing or not one of the two kinds (recorded as an error)."""
    value = _string_field(plan, body, "type", required=True,
                          required_why=f": every config is either `{PINLESS}` or `{PIN}`")
    if value is None:
        return None
    if value in KINDS:
        return value
    normalized = value.strip().lower().replace("-", "_").replace(" ", "_")
    nearest = normalized if normalized in KINDS else _nearest(normalized, KINDS, cutoff=0.4)
    hint = (f"Did you mean `{nearest}`?" if nearest is not None
            else f"Use `{PINLESS}` (webhook creates the room) or `{PIN}` (callers enter a PIN).")
    plan.error("type", "type.unknown", f"`type` is {value!r}, which is neither `{PINLESS}` nor `{PIN}`.", hint)
    return None


def _phone_number_problems(value: str) -> list[tuple[str, str, str]]:
    """What keeps ``value`` from being E.164, as (code, message, hint) triples; empty when nothing is found."""
    shown = repr(value)
    stripped = value.strip()
    digits = "".join(ch for ch in value if ch in string.digits)
    problems: list[tuple[str, str, str]] = []
    if any(ch.isalpha() for ch in value):
        problems.append(("phone_number.letters", f"`phone_number` {shown} contains letters; E.164 is digits only.",
                         "Replace vanity letters with their keypad digits."))
    if any(ch.isspace() for ch in value):
        problems.append(("phone_number.spaces", f"`phone_number` {shown} contains spaces; E.164 has none.",
                         "Remove the spaces."))
    leading_plus = {"+"} if stripped.startswith("+") and value.count("+") == 1 else set()
    others = {ch for ch in value if not (ch in string.digits or ch.isalpha() or ch.isspace())} - leading_plus
    if others:
        # Mostly ( ) - . / but also non-ASCII digits (E.164 digits are 0-9) and invisible characters.
        shown_others = " ".join(ch if ch.isprintable() else ascii(ch) for ch in sorted(others))
        problems.append(("phone_number.punctuation",
                         f"`phone_number` {shown} contains punctuation or other non-digits ({shown_others}); "
                         "E.164 is `+` then the digits 0-9.", "Remove everything but the leading `+` and the digits."))
    if stripped.startswith("00"):
        digits = digits[2:]
        problems.append(("phone_number.missing-plus",
                         f"`phone_number` {shown} starts with the international prefix 00 instead of `+`.",
                         "Replace the leading 00 with `+`."))
    elif not stripped.startswith("+"):
        problems.append(("phone_number.missing-plus", f"`phone_number` {shown} does not start with `+` and a "
                         "country code.", "Write `+`, the country code, then the national number (e.g. +18058700061)."))
    if problems and problems[0][0] == "phone_number.letters":
        return problems  # the digit count of a vanity number says nothing
    if not digits:
        problems.append(("phone_number.no-digits", f"`phone_number` {shown} has no digits 0-9.",
                         "Write `+`, the country code, then the national number (e.g. +18058700061)."))
    elif len(digits) > E164_MAX_DIGITS:
        problems.append(("phone_number.too-long", f"`phone_number` {shown} has {len(digits)} digits; E.164 allows "
                         f"at most {E164_MAX_DIGITS}.",
                         "Check for a doubled country code or an extension; extensions are not part of E.164."))
    elif len(digits) < E164_MIN_DIGITS:
        problems.append(("phone_number.too-short", f"`phone_number` {shown} has {len(digits)} digits; no E.164 "
                         f"number has fewer than {E164_MIN_DIGITS}.",
                         "Include the country code and the full national number."))
    elif digits.startswith("0") and stripped.startswith(("+", "00")):
        problems.append(("phone_number.country-code", f"`phone_number` {shown} starts with 0 after `+`; no "
                         "country code starts with 0.", "Drop the national trunk prefix 0 and put the country "
                         "code first."))
    if not problems and not _E164.fullmatch(value):  # e.g. a lone "+" or one in the middle
        problems.append(("phone_number.punctuation", f"`phone_number` {shown} is not E.164 (`+` then digits).",
                         "Write `+`, the country code, then the national number (e.g. +18058700061)."))
    return problems


def _check_phone_number(plan: _Plan, body: Mapping[str, Any], kind: str | None) -> None:
    value = _string_field(plan, body, "phone_number", required=kind == PIN,
                          required_why=f": a `{PIN}` config needs the number callers dial")
    if value is None or _E164.fullmatch(value):
        return
    problems = _phone_number_problems(value)
    # When only the form is wrong (spaces, dashes, 00) the digits say what the number is: offer it.
    stripped = value.strip()
    # "+44 (0)20 ..." marks the national trunk prefix, which E.164 leaves out.
    digits = "".join(ch for ch in value.replace("(0)", "") if ch in string.digits)
    cleaned = "+" + (digits[2:] if stripped.startswith("00") else digits)
    offer = stripped.startswith(("+", "00")) and not any(ch.isalpha() for ch in value) and _E164.fullmatch(cleaned)
    suggestion = f" In E.164: {cleaned}." if offer else ""
    for code, message, hint in problems:
        plan.error("phone_number", code, message, hint + suggestion)


def _check_hmac(plan: _Plan, body: Mapping[str, Any]) -> None:
    value = _string_field(plan, body, "hmac")
    if value is None:
        return
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        if set(value) - _BASE64_ALPHABET <= {"-", "_"} and set(value) & {"-", "_"}:
            hint = "It looks URL-safe base64 (`-`, `_`); use the standard alphabet (`+`, `/`)."
        elif any(ch.isspace() for ch in value):
            hint = "Remove the spaces and line breaks."
        elif not set(value) - _BASE64_ALPHABET:
            hint = "Its length or `=` padding is wrong: base64 comes in groups of four characters."
        else:
            hint = "Copy the secret exactly as issued, e.g. 9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0=."
        plan.error("hmac", "hmac.not-base64", "`hmac` is not valid base64; the webhook signature is computed "
                   "with the base64-decoded secret.", hint)
        return
    if len(decoded) < HMAC_MIN_BYTES:
        plan.warning("hmac", "hmac.short", f"`hmac` decodes to {len(decoded)} bytes; a secret that short can be "
                     "guessed.", f"Use at least 32 random bytes (it must be at least {HMAC_MIN_BYTES}).")


def _check_webhook_text(plan: _Plan, path: str, value: str) -> SplitResult | None:
    """The parsed URL when it is absolute https without credentials; otherwise record why not.

    The project's URL policy (``_urlpolicy``) judges the same things for hold music, but words them for an
    MP3 file; a webhook gets its own messages, then the policy's subtler checks (odd IP notations, parser
    differentials) run on what passes here.
    """
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
    except ValueError as exc:
        plan.error(path, "url.invalid", f"`{path}` is not a valid URL ({exc}).", "Give an absolute https:// URL.")
        return None
    if any(ch.isspace() for ch in value):
        # Even at the ends: the API receives the string as given, spaces included.
        plan.error(path, "url.invalid", f"`{path}` contains whitespace.",
                   "Remove spaces and line breaks around the URL; percent-encode any inside it as %20.")
        return None
    scheme = parts.scheme.lower()
    if (scheme not in ("http", "https")) if scheme else bool(parts.hostname):
        # A wrong scheme (mailto:, ftp:) or none before a host (//host/path): the scheme is what to fix, as the
        # hold music's check says too.
        said = f"uses {scheme}:" if scheme else "has no scheme"
        plan.error(path, "url.scheme", f"`{path}` {said}, but it must be https.",
                   "Give the full address, starting with https://.")
        return None
    if not parts.scheme or not parts.hostname:
        plan.error(path, "url.invalid", f"`{path}` {value!r} is not an absolute URL.",
                   "Give the full address, starting with https://.")
        return None
    usable = True
    if scheme != "https":
        plan.error(path, "url.scheme", f"`{path}` uses {scheme}://, but it must be https.",
                   "Serve it over https:// (the request carries call data and a signature).")
        usable = False
    if parts.username is not None or parts.password is not None:
        plan.error(path, "url.credentials", f"`{path}` carries a user name or password in the URL.",
                   "Remove the credentials from the URL; authenticate the webhook with the `hmac` signature.")
        usable = False
    return parts if usable else None


def _check_room_creation_api(plan: _Plan, body: Mapping[str, Any]) -> None:
    value = _string_field(plan, body, "room_creation_api")
    if value is None:
        return
    if _check_webhook_text(plan, "room_creation_api", value) is None:
        return
    policy = check_url_policy(value)
    if isinstance(policy, Finding):
        plan.error("room_creation_api", policy.code, policy.message, WEBHOOK_HINT)
    else:
        plan.webhook = (policy.host, policy.port)


def _check_hold_music_url(plan: _Plan, body: Mapping[str, Any]) -> None:
    value = _string_field(plan, body, "hold_music_url")
    if value is None:
        return
    if plan.check_hold_music:
        plan.hold_music_url = value
    else:
        policy = check_url_policy(value)
        if isinstance(policy, Finding):
            plan.add("hold_music_url", policy.code, policy.severity, policy.message, policy.hint)
        plan.add("hold_music_url", "hold_music.not-checked", Severity.INFO,
                 "The hold music was not fetched (hold-music checking is off); only the URL's form was checked.")


def _check_message_object(plan: _Plan, body: Mapping[str, Any], name: str) -> None:
    value = body[name]
    if not isinstance(value, Mapping):
        plan.error(name, "field.type", f"`{name}` must be an object like {{\"message\": \"...\"}}, got "
                   f"{_json_type(value)}.", f"Send `{name}` as {{\"message\": \"...\"}}.")
        return
    _string_field(plan, value, f"{name}.message", required=True, required_why=": it is what the caller hears")
    for key in value:
        if key not in MESSAGE_OBJECT_KEYS:
            nearest = _nearest(str(key), MESSAGE_OBJECT_KEYS)
            plan.warning(f"{name}.{key}", "field.unknown", f"`{name}.{key}` is not a known field and will be "
                         "ignored.", f"Did you mean `{name}.{nearest}`?" if nearest else
                         f"`{name}` takes only `message`.")


# The parsed JSON object, or the bytes as they would be sent (a str is a parsed JSON value, not JSON text).
ConfigBody = Mapping[str, Any] | bytes


def _plan(body: object, *, check_hold_music: bool) -> _Plan:
    """Apply every rule that needs no network; note the webhook host and hold-music URL for the I/O part."""
    plan = _Plan(check_hold_music=check_hold_music)
    if isinstance(body, bytes | bytearray | memoryview):
        body, text_findings = read_config(bytes(body))
        plan.findings.extend(text_findings)
        if any(f.code == "field.json" for f in text_findings):
            return plan
    if not isinstance(body, Mapping):
        plan.error("", "field.type", f"The config body must be a JSON object, got {_json_type(body)}.",
                   'Send an object such as {"type": "pinless_dialin", ...}.')
        return plan
    kind = _check_type(plan, body)
    unknown = [key for key in body if not isinstance(key, str) or key not in FIELD_KINDS]
    for key in body:
        if key in FIELD_KINDS and kind is not None and kind not in FIELD_KINDS[key]:
            only = next(iter(FIELD_KINDS[key]))
            plan.error(key, "field.wrong-kind", f"`{key}` applies to `{only}` configs only, and this one is "
                       f"`{kind}`.", f"Remove `{key}`, or make the config `{only}` if that is what you meant.")
    _check_phone_number(plan, body, kind)
    _string_field(plan, body, "name_prefix")
    accepts = BOTH if kind is None else {kind}
    if PINLESS in accepts:
        _check_hmac(plan, body)
        _check_room_creation_api(plan, body)
        _check_hold_music_url(plan, body)
    for name in MESSAGE_OBJECT_FIELDS:
        if name in body and accepts & FIELD_KINDS[name]:
            _check_message_object(plan, body, name)
    for key in unknown:
        nearest = _nearest(str(key), FIELD_KINDS)
        hint = f"Did you mean `{nearest}`?" if nearest else f"Known fields: {', '.join(FIELD_KINDS)}."
        plan.warning(str(key), "field.unknown", f"`{key}` is not a field of a dial-in config and will be ignored "
                     "(a typo?).", hint)
    return plan


def _webhook_findings(plan: _Plan, refusal: HostRefusal | None, reveal_addresses: bool) -> list[DialinFinding]:
    """The vetting verdict on the webhook's host, worded for a webhook (an unresolvable host only warns)."""
    if refusal is None or plan.webhook is None:
        return []
    host = plan.webhook[0]
    path = "room_creation_api"
    if refusal.code == "access.unreachable":
        # The pre-flight may run where DNS differs from the internet's (CI, a VPN): not proof the name is wrong.
        return [DialinFinding(path, refusal.code, Severity.WARNING,
                              f"The host {host} of `room_creation_api` does not resolve from here.",
                              "Check the spelling, and that the name has a public DNS record Daily can resolve.")]
    if refusal.code == "access.blocked-address":
        if reveal_addresses or not refusal.shows_internal_dns():
            return [DialinFinding(path, refusal.code, Severity.ERROR,
                                  f"`room_creation_api` is not on a public address: {refusal.detail()}.",
                                  WEBHOOK_HINT, refused_networks=refusal.exemptions)]
        return [DialinFinding(path, refusal.code, Severity.ERROR,
                              f"The host {host} of `room_creation_api` has no public internet address.", WEBHOOK_HINT)]
    finding = refusal.finding(reveal_addresses=reveal_addresses)
    return [DialinFinding(path, finding.code, finding.severity, finding.message, WEBHOOK_HINT)]


def _report(plan: _Plan, webhook_refusal: HostRefusal | None, hold_music: Report | None, *,
            reveal_addresses: bool = True) -> DialinReport:
    findings = list(plan.findings)
    findings.extend(_webhook_findings(plan, webhook_refusal, reveal_addresses))
    if hold_music is not None:
        findings.extend(DialinFinding("hold_music_url", f.code, f.severity, f.message, f.hint, f.refused_networks)
                        for f in hold_music.findings)
    return DialinReport(tuple(findings), hold_music)


@dataclass(frozen=True, slots=True)
class _Network:
    """How one lint reaches the network: its limits, the address policy, DNS, and the fetcher for the music."""

    limits: Limits
    allow_networks: tuple[str, ...]
    policy: AddressPolicy
    resolver: Resolver | None
    reveal_addresses: bool
    fetcher: SafeFetcher | None  # the caller's; None means a fetcher of the lint's own, made when needed


def _network(limits: object, allow_networks: Iterable[str], check_hold_music: object, resolver: object,
             fetcher: object) -> _Network:
    """Check the lint's arguments (a caller's mistake is a UsageError, raised before any work)."""
    if limits is not None and not isinstance(limits, Limits):
        raise UsageError(f"limits must be a mediacheck.Limits, not {type(limits).__name__}")
    if not isinstance(check_hold_music, bool):
        raise UsageError(f"check_hold_music must be True or False, not {check_hold_music!r}")
    if resolver is not None and not callable(resolver):
        raise UsageError(f"resolver must be a function (host, port) -> addresses, not {type(resolver).__name__}")
    if isinstance(allow_networks, str) or not isinstance(allow_networks, Iterable):
        parse_networks(allow_networks)  # raises the UsageError that says what allow_networks must be
    allow = tuple(allow_networks)
    policy = AddressPolicy.from_cidrs(allow)  # a malformed CIDR is a UsageError
    if fetcher is None:
        return _Network(limits or DEFAULT_LIMITS, tuple(allow), policy, resolver, True, None)
    from mediacheck._fetch import SafeFetcher

    if not isinstance(fetcher, SafeFetcher):
        raise UsageError(f"fetcher must be a mediacheck.SafeFetcher, not {type(fetcher).__name__}")
    if allow or resolver is not None:
        raise UsageError("with a fetcher, give allow_networks and resolver to the SafeFetcher, not to the lint")
    return _Network(limits or fetcher.limits, (), fetcher.policy, fetcher.resolver, fetcher.reveal_addresses,
                    fetcher)


def lint_dialin_config(body: ConfigBody, *, limits: Limits | None = None, allow_networks: Iterable[str] = (),
                       check_hold_music: bool = True, resolver: Resolver | None = None,
                       fetcher: SafeFetcher | None = None) -> DialinReport:
    """Check a whole ``POST /domain-dialin-config`` body; the hold music is fetched, the webhook only resolved.

    ``body`` is the parsed JSON object, or the JSON bytes as they would be sent (then their encoding, a byte
    order mark and duplicated keys are judged too, and bytes that are not JSON are a ``field.json`` error).
    ``allow_networks`` (CIDR strings) are exempt from the private-address guard, for the webhook's host and
    the hold music alike; ``resolver(host, port)`` replaces DNS for both (tests, split-horizon DNS). Or pass a
    ``fetcher`` (a :class:`mediacheck.SafeFetcher`): its pool checks the hold music, and its networks, resolver
    and ``reveal_addresses`` apply to both; ``limits`` then default to the fetcher's. A failing config is a
    report with ``ok`` false; only misuse (a malformed argument) raises :class:`mediacheck.UsageError`.
    """
    net = _network(limits, allow_networks, check_hold_music, resolver, fetcher)
    plan = _plan(body, check_hold_music=check_hold_music)
    refusal = None
    if plan.webhook is not None:
        host, port = plan.webhook
        refusal = refuse_host(host, policy=net.policy, resolver=net.resolver, port=port,
                              timeout_s=net.limits.timeout_s)
    hold_music = None
    if plan.hold_music_url is not None:
        if net.fetcher is not None:
            hold_music = net.fetcher.check(plan.hold_music_url, limits=net.limits)
        else:
            from mediacheck._fetch import SafeFetcher

            with SafeFetcher(limits=net.limits, allow_networks=net.allow_networks, resolver=net.resolver) as own:
                hold_music = own.check(plan.hold_music_url)
    return _report(plan, refusal, hold_music, reveal_addresses=net.reveal_addresses)


async def alint_dialin_config(body: ConfigBody, *, limits: Limits | None = None,
                              allow_networks: Iterable[str] = (), check_hold_music: bool = True,
                              resolver: Resolver | None = None, fetcher: SafeFetcher | None = None) -> DialinReport:
    """Check a whole dial-in config body like :func:`lint_dialin_config`, without blocking the event loop.

    The webhook's host is vetted while the hold music is fetched.
    """
    net = _network(limits, allow_networks, check_hold_music, resolver, fetcher)
    plan = _plan(body, check_hold_music=check_hold_music)
    refusal: HostRefusal | None = None
    hold_music: Report | None = None

    async def vet_webhook(host: str, port: int) -> None:
        nonlocal refusal
        refusal = await arefuse_host(host, policy=net.policy, resolver=net.resolver, port=port,
                                     timeout_s=net.limits.timeout_s)

    async def check_hold_music_url(url: str) -> None:
        nonlocal hold_music
        if net.fetcher is not None:
            hold_music = await net.fetcher.acheck(url, limits=net.limits)
            return
        from mediacheck._fetch import SafeFetcher

        async with SafeFetcher(limits=net.limits, allow_networks=net.allow_networks, resolver=net.resolver) as own:
            hold_music = await own.acheck(url)

    async with anyio.create_task_group() as tasks:
        if plan.webhook is not None:
            tasks.start_soon(vet_webhook, *plan.webhook)
        if plan.hold_music_url is not None:
            tasks.start_soon(check_hold_music_url, plan.hold_music_url)
    return _report(plan, refusal, hold_music, reveal_addresses=net.reveal_addresses)
