"""The steps of one guarded fetch, shared by the sync and async drivers in ``_fetch``.

``FetchRun`` holds the decisions: vet the URL (and every redirect hop) with the URL policy, judge each
response head (follow, stop with a finding, or read the body), count body bytes into a sink (the Inspector,
or a file for downloads), and turn whatever went wrong on the wire into the finding that explains it. It does
no I/O itself, so the two drivers differ only in ``send``/``await send`` and ``iter_raw``/``aiter_raw``.
"""

from __future__ import annotations

import dataclasses
import os
import ssl
import time
from datetime import datetime
from typing import IO, TYPE_CHECKING, Protocol

import httpx2

from mediacheck._fetch_budget import MAX_INTERIM_RESPONSES, DeadlineExceeded, UpstreamTooCostly, time_left
from mediacheck._hints import (
    content_type_finding,
    expiry_finding,
    plain_http_finding,
    share_page_finding,
    status_finding,
)
from mediacheck._inspector import Inspection, Inspector
from mediacheck._limits import Limits
from mediacheck._netguard import HostRefusedError
from mediacheck._report import FetchInfo, Finding, Redirect, Severity
from mediacheck._urlpolicy import FetchableUrl, check_url_policy, join_location, shorten
from mediacheck._version import __version__

if TYPE_CHECKING:
    from mediacheck._profiles import Profile

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REQUEST_HEADERS = {
    "User-Agent": f"mediacheck/{__version__} (hold-music pre-flight check)",
    "Accept": "audio/mpeg, audio/*;q=0.9, */*;q=0.5",
    # Compressed bodies are refused, never inflated: a gzip bomb costs nothing if it is never decoded.
    "Accept-Encoding": "identity",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class BodySink(Protocol):
    """Where a fetched body goes: told the declared size first, then fed chunks until it says stop."""

    def begin(self, content_length: int | None) -> Finding | None: ...

    def feed(self, chunk: bytes) -> bool: ...


class InspectSink:
    """Feeds the Inspector and, for a deep check, tees the body (bounded by the size limit) into a file."""

    def __init__(self, limits: Limits, tee: IO[bytes] | None = None, profile: Profile | None = None) -> None:
        self.limits = limits
        self.tee = tee
        self.profile = profile  # the platform profile; None for daily
        self.inspector: Inspector | None = None
        self._teed = 0

    def begin(self, content_length: int | None) -> Finding | None:
        if content_length is not None and content_length >= self.limits.size_limit_bytes:
            return Finding("size.too-large", Severity.ERROR,
                           f"The server announces {content_length:,} bytes; the limit is under "
                           f"{self.limits.size_limit_bytes:,} bytes.",
                           "Shorten the audio or lower the bitrate (e.g. 128 kbps mono is plenty for hold music).")
        self.inspector = Inspector(self.limits, declared_size=content_length, profile=self.profile)
        return None

    def feed(self, chunk: bytes) -> bool:
        if self.tee is not None and self._teed < self.limits.size_limit_bytes:
            part = chunk[: self.limits.size_limit_bytes - self._teed]
            self.tee.write(part)
            self._teed += len(part)
        return self.inspector is not None and self.inspector.feed(chunk)


class FileSink:
    """Writes the body to a file, refusing anything longer than ``max_bytes``."""

    def __init__(self, handle: IO[bytes], max_bytes: int) -> None:
        self.handle = handle
        self.max_bytes = max_bytes
        self.written = 0
        self.too_large: Finding | None = None

    def _too_large(self, size: str) -> Finding:
        return Finding("size.too-large", Severity.ERROR,
                       f"The download is {size} bytes, more than the {self.max_bytes:,} bytes allowed.",
                       "Use a smaller source file.")

    def begin(self, content_length: int | None) -> Finding | None:
        if content_length is not None and content_length > self.max_bytes:
            return self._too_large(f"{content_length:,}")
        return None

    def feed(self, chunk: bytes) -> bool:
        if self.written + len(chunk) > self.max_bytes:
            self.too_large = self._too_large(f"over {self.max_bytes:,}")
            return True
        self.handle.write(chunk)
        self.written += len(chunk)
        return False


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class FetchRun:
    """The decisions of one fetch (policy, hops, headers, errors), shared by the sync and async drivers."""

    def __init__(self, target: str, limits: Limits, sink: BodySink, *, reveal_addresses: bool = True) -> None:
        self.target = target
        self.limits = limits
        self.sink = sink
        self.reveal_addresses = reveal_addresses
        self.started = time.perf_counter()
        self.findings: list[Finding] = []
        self.redirects: list[Redirect] = []
        self.visited: set[str] = set()
        self.current: FetchableUrl | None = None
        self.status: int | None = None
        self.content_type: str | None = None
        self.bytes_read = 0
        self.body_started = False
        self.body_complete = False
        self.content_length: int | None = None

    # -- steps -------------------------------------------------------------------------------------------------
    def first_hop(self) -> FetchableUrl | None:
        """Vet the URL as given; None when the policy refuses it (the finding is recorded)."""
        return self._enter(self.target, via=None)

    def _enter(self, url: str, via: str | None) -> FetchableUrl | None:
        checked = check_url_policy(url)
        if isinstance(checked, Finding):
            if via is not None:
                checked = Finding(checked.code, checked.severity,
                                  f"{shorten(via)} redirects to a URL that cannot be fetched: {checked.message}",
                                  checked.hint)
            self.findings.append(checked)
            return None
        self.current = checked
        self.visited.add(str(checked.url))
        return checked

    def request(self, hop: FetchableUrl) -> httpx2.Request:
        """The GET for one hop: no cookies, no credentials, our headers, timeouts within the deadline's time left.

        The guarded streams clamp every network step already; this also bounds the wait for a free pooled
        connection, which never touches a stream (a later hop would otherwise get a whole ``timeout_s`` again).
        """
        timeout = httpx2.Timeout(time_left(self.limits.timeout_s))
        return httpx2.Request("GET", hop.url, headers=REQUEST_HEADERS, extensions={"timeout": timeout.as_dict()})

    def on_headers(self, response: httpx2.Response) -> FetchableUrl | bool:
        """Judge a response's head: the next hop to follow, True to read the body, False to stop here."""
        if self.current is None:  # pragma: no cover - first_hop always sets it before a request exists
            raise RuntimeError("on_headers before first_hop")
        self.status = response.status_code
        self.content_type = response.headers.get("content-type")
        location = response.headers.get("location")
        if response.status_code in REDIRECT_STATUSES and location:
            next_url = join_location(self.current.url, location)
            self.redirects.append(Redirect(str(self.current.url), response.status_code, next_url))
            if len(self.redirects) > self.limits.max_redirects:
                self.findings.append(Finding(
                    "access.redirects", Severity.ERROR,
                    f"The URL redirects more than {self.limits.max_redirects} times.",
                    "Give the final URL of the file (what the browser's address bar shows after downloading)."))
                return False
            if _normalized(next_url) in self.visited:
                self.findings.append(Finding(
                    "access.redirects", Severity.ERROR,
                    f"The redirects go round in a loop (back to {shorten(next_url)}).",
                    "Fix the server's redirect rules, or give the file's final URL."))
                return False
            hop = self._enter(next_url, via=str(self.current.url))
            return hop if hop is not None else False
        if not 200 <= response.status_code < 300:
            self.findings.append(status_finding(response.status_code, str(self.current.url)))
            return False
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            self.findings.append(Finding(
                "access.content-encoding", Severity.ERROR,
                f"The server compressed the body ({shorten(encoding)}) although asked not to; it is not unpacked.",
                "Serve the MP3 as is: MP3 does not compress, so turn off compression for audio files."))
            return False
        type_warning = content_type_finding(self.content_type)
        if type_warning is not None:
            self.findings.append(type_warning)
        # A Transfer-Encoding overrides any Content-Length (RFC 9112, 6.3): the body is as long as its chunks say.
        length = None if "transfer-encoding" in response.headers else response.headers.get("content-length")
        # h11 lets only ASCII digits through; the isascii() keeps "²" (isdigit, yet int() raises) out regardless.
        digits = length.strip() if length is not None else ""
        self.content_length = int(digits) if digits.isascii() and digits.isdigit() else None
        refusal = self.sink.begin(self.content_length)
        if refusal is not None:
            self.findings.append(refusal)
            return False
        self.body_started = True
        return True

    def on_chunk(self, chunk: bytes) -> bool:
        """Count and pass on one body chunk; True when the sink needs no more."""
        self.bytes_read += len(chunk)
        return self.sink.feed(chunk)

    def on_error(self, exc: BaseException) -> None:
        """Turn what went wrong on the wire into the finding that explains it."""
        where = shorten(str(self.current.url)) if self.current is not None else shorten(self.target)
        if isinstance(exc, HostRefusedError):
            finding = exc.refusal.finding(reveal_addresses=self.reveal_addresses)
            if self.redirects:
                finding = dataclasses.replace(finding, message=finding.message.rstrip(".") +
                                              f" (a redirect from {shorten(self.redirects[-1].url)} led there).")
        elif isinstance(exc, UpstreamTooCostly):
            finding = _too_costly_finding(exc, where, self.bytes_read)
        elif isinstance(exc, DeadlineExceeded | httpx2.TimeoutException):
            got = f" after {self.bytes_read:,} body bytes" if self.body_started else ""
            finding = Finding("access.timeout", Severity.ERROR,
                              f"{where} did not finish within {self.limits.timeout_s:g} s{got}.",
                              "Host the file on a server that answers promptly (a CDN or object store).")
        elif _is_tls_failure(exc):
            finding = Finding("access.tls", Severity.ERROR,
                              f"The TLS connection to {where} failed: {_tls_detail(exc)}.",
                              "Fix the server's certificate (valid, unexpired, for this host name, full chain).")
        elif self.body_started:
            expected = f" of {self.content_length:,}" if self.content_length is not None else ""
            finding = Finding("access.incomplete", Severity.ERROR,
                              f"The connection broke after {self.bytes_read:,}{expected} body bytes.",
                              "Check that the server delivers the whole file; a broken download is what "
                              "callers would hear.")
        else:
            finding = Finding("access.unreachable", Severity.ERROR,
                              f"Could not fetch {where}: {_network_detail(exc)}.",
                              "Check the host name and port, and that the server is up and reachable "
                              "from the internet.")
        self.findings.append(finding)

    def finish(self, inspection: Inspection | None) -> tuple[FetchInfo, list[Finding]]:
        """The fetch facts and every url./access. finding, hints included, in report order."""
        final_url = str(self.current.url) if self.current is not None else self.target
        fetch = FetchInfo(final_url=final_url, status=self.status, content_type=self.content_type,
                          redirects=tuple(self.redirects), bytes_read=self.bytes_read,
                          elapsed_s=time.perf_counter() - self.started, content_length=self.content_length)
        hints: list[Finding] = []
        urls = [self.target] + [hop.location for hop in self.redirects]
        if any(u.lower().startswith("http://") for u in urls) and self.current is not None:
            hints.append(plain_http_finding(next(u for u in urls if u.lower().startswith("http://"))))
        now = datetime.now().astimezone()
        seen_expiry: set[str] = set()
        for url in dict.fromkeys((self.target, final_url)):
            expiring = expiry_finding(url, now)
            if expiring is not None and expiring.message not in seen_expiry:
                seen_expiry.add(expiring.message)
                hints.append(expiring)
        looks_html = (self.content_type or "").split(";")[0].strip().lower() in _HTML_TYPES or (
            inspection is not None and inspection.media.format in ("html", "xml"))
        if looks_html:
            for url in dict.fromkeys(urls):
                share = share_page_finding(url)
                if share is not None:
                    hints.append(share)
                    break
        return fetch, self.findings + hints

    @property
    def failed(self) -> bool:
        """True once a url./access./size. error was recorded (the body is then not judged)."""
        return any(f.severity is Severity.ERROR for f in self.findings)


def _too_costly_finding(exc: UpstreamTooCostly, where: str, body_bytes: int) -> Finding:
    if exc.kind == "interim-responses":
        return Finding("access.interim-responses", Severity.ERROR,
                       f"{where} sent more than {MAX_INTERIM_RESPONSES} interim (1xx) responses before its answer.",
                       "Fix the server (or the proxy in front of it): a file is answered with one response.")
    what = ("in pieces of a few bytes each" if exc.kind == "body-events" else
            "wrapped in far more framing (chunk headers, extensions) than content")
    return Finding("access.fragmented-body", Severity.ERROR,
                   f"{where} sent the body {what}; stopped after {body_bytes:,} body bytes.",
                   "Serve the file as a plain download (Content-Length, or chunks of kilobytes), as any web "
                   "server, bucket or CDN does.")


def _normalized(url: str) -> str:
    try:
        return str(httpx2.URL(url))
    except (httpx2.InvalidURL, ValueError, UnicodeError):
        return url


def _tls_detail(exc: BaseException) -> str:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError):
            return (current.verify_message or "the certificate does not verify").rstrip(".")
        if isinstance(current, ssl.SSLError):
            return (current.reason or str(current)).rstrip(".")
        current = current.__cause__ or current.__context__
    return str(exc)


def _network_detail(exc: BaseException) -> str:
    current: BaseException | None = exc
    while current is not None:
        # The errno's standard text, not the exception's own: asyncio words a refused connect as "Connect call
        # failed ('10.1.2.3', 80)", which would show the resolved address.
        if isinstance(current, OSError) and isinstance(current.errno, int) and current.errno > 0:
            return os.strerror(current.errno).lower()
        current = current.__cause__ or current.__context__
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__
