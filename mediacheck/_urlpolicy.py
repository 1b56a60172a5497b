"""The URL policy: which URL strings may be fetched at all (http/https, no credentials, plainly written hosts).

Hosts written in odd IPv4 notations (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``) are refused rather
than interpreted: resolvers disagree about them, which is exactly what SSRF payloads exploit. The rule for
spotting them is the WHATWG URL standard's: a host whose last label is a number is an IPv4 address, and then
it must be the plain dotted-quad form. After these checks the URL is parsed again by httpx2 and both parsers
must agree on the host and port, so no parser differential slips through.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass

import httpx2
import idna

from mediacheck._report import Finding, Severity

# Browsers and CDNs cope with ~8 KB URLs; presigned URLs run to 1-2 KB. Anything longer is not a hold-music URL.
MAX_URL_LENGTH = 8192
SHOWN_URL_CHARS = 120

_NUMBER_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
DEFAULT_HINT = "Give the full address of the MP3 file, like https://example.com/hold.mp3."
_IPV4_HINT = "Write IPv4 addresses as four plain decimal numbers, or use a host name."


@dataclass(frozen=True, slots=True)
class FetchableUrl:
    """A URL the policy accepts: the httpx2 URL to request plus its scheme, ASCII host and port."""

    url: httpx2.URL
    scheme: str
    host: str
    port: int

    @property
    def is_plain_http(self) -> bool:
        """True for http:// (no TLS)."""
        return self.scheme == "http"


@dataclass(frozen=True, slots=True)
class HostProblem:
    """Why a host is refused as written: ``why`` ends "… is not a usable URL: <why>", ``hint`` says what to do."""

    why: str
    hint: str = DEFAULT_HINT


def shorten(url: str) -> str:
    """The URL as shown in a message: long ones are cut in the middle."""
    if len(url) <= SHOWN_URL_CHARS:
        return url
    half = SHOWN_URL_CHARS // 2
    return f"{url[:half]}…{url[-half:]}"


def invalid(url: str, why: str, hint: str = DEFAULT_HINT) -> Finding:
    """A url.invalid finding."""
    return Finding("url.invalid", Severity.ERROR, f"{shorten(url)!r} is not a usable URL: {why}.", hint)


def _ends_in_a_number(host: str) -> bool:
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    return bool(_NUMBER_LABEL.fullmatch(labels[-1]))


def normalize_host(host: str) -> str | HostProblem:
    """The host in lower-case ASCII (IPv6 without brackets), or the problem that refuses it."""
    if not host:
        return HostProblem("the host is empty")
    if host.startswith("[") or ":" in host:
        inner = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if "%" in inner:
            return HostProblem("an IPv6 address with a zone ID names a local interface")
        try:
            return str(ipaddress.IPv6Address(inner))
        except ValueError:
            return HostProblem("the IPv6 address is malformed (zone IDs are not allowed either)")
    written_in_unicode = not host.isascii()
    if written_in_unicode:
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return HostProblem("the host name is not a valid internationalized domain name")
    host = host.lower()
    if _ends_in_a_number(host):
        if written_in_unicode:  # 127。0。0。1 (ideographic full stops) and friends
            return HostProblem("the host is an IPv4 address written with non-ASCII characters", _IPV4_HINT)
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            return HostProblem("the host is an IPv4 address in an unusual notation (decimal, octal, hex or "
                               "shortened)", _IPV4_HINT)
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in name.split(".")):
        return HostProblem("the host name contains characters or labels DNS does not allow")
    return name


def check_url_policy(url: str) -> FetchableUrl | Finding:
    """Vet a URL string before any network activity; return what to fetch or the url. finding that refuses it."""
    if not url:
        return invalid(url, "it is empty")
    if len(url) > MAX_URL_LENGTH:
        return invalid(url, f"it is {len(url):,} characters long (at most {MAX_URL_LENGTH:,})")
    bad = _FORBIDDEN_CHARS.search(url)
    if bad is not None:
        what = "a space" if bad.group() == " " else "a backslash" if bad.group() == "\\" else "a control character"
        return invalid(url, f"it contains {what}", "Percent-encode spaces and special characters (a space is %20).")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        return invalid(url, str(exc))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme or "." in scheme or scheme.isdigit() or (scheme == "localhost"):
            return Finding("url.scheme", Severity.ERROR, f"{shorten(url)!r} has no http:// or https:// in front.",
                           f"Write the full URL: https://{shorten(url.lstrip('/'))}")
        return Finding("url.scheme", Severity.ERROR,
                       f"Only http and https URLs can be fetched, not {shorten(scheme)}: URLs.",
                       "Serve the file from a web server and give its https:// URL.")
    if not parts.netloc:
        return invalid(url, "it names no host")
    if "@" in parts.netloc:
        return Finding("url.credentials", Severity.ERROR,
                       "The URL carries a user name or password, which no player sends (and logs would leak).",
                       "Make the file public, or use a presigned URL instead of credentials in the URL.")
    netloc = parts.netloc
    host_part, port_part = netloc, ""
    if netloc.startswith("["):
        end = netloc.find("]")
        host_part, port_part = netloc[: end + 1], netloc[end + 1:]
        if end < 0 or (port_part and not port_part.startswith(":")):
            return invalid(url, "the IPv6 address in brackets is malformed")
        port_part = port_part[1:]
    elif ":" in netloc:
        host_part, _, port_part = netloc.partition(":")
    host = normalize_host(host_part)
    if isinstance(host, HostProblem):
        return invalid(url, host.why, host.hint)
    default_port = 443 if scheme == "https" else 80
    if port_part:
        # isdigit() alone lets "²" (int() raises) and "٨٠" (Arabic-Indic 80) through: ports are ASCII digits.
        if not (port_part.isascii() and port_part.isdigit()) or not 0 < int(port_part) < 65536:
            return invalid(url, f"the port {port_part!r} is not a number from 1 to 65535")
        port = int(port_part)
    else:
        port = default_port
    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, ValueError, UnicodeError) as exc:
        return invalid(url, str(exc).rstrip("."))
    # Both parsers must name the same host and port; a disagreement is how parser-differential SSRF works.
    if parsed.raw_host.decode("ascii").lower().rstrip(".") != host or (parsed.port or default_port) != port:
        return invalid(url, "its host is ambiguous")
    return FetchableUrl(url=parsed, scheme=scheme, host=host, port=port)


def join_location(base: httpx2.URL, location: str) -> str:
    """The absolute URL a redirect's Location points to, relative to the URL that answered.

    A Location urllib cannot even split (``http://a]b/``, which httpx2 accepts) is returned as written, so the
    policy check of the next hop refuses it with a finding instead of the fetch dying with a ValueError.
    """
    try:
        return urllib.parse.urljoin(str(base), location.strip())
    except ValueError:
        return location.strip()
