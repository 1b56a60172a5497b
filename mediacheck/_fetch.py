"""Guarded fetching: the SafeFetcher streams a URL's body into the Inspector through the network guard.

One fetch is: the URL policy (``_urlpolicy``), then our own redirect loop (every hop re-vetted, redirect
bodies never read), each connection made by the guarded httpcore backend (``_network_backend``) under one
total deadline, ``Accept-Encoding: identity`` and compressed bodies refused, the body counted as it streams
and dropped the moment the Inspector's verdict is certain. Sync and async run the same steps; only the I/O
calls differ, so the per-step decisions live in ``_FetchRun`` and both drivers are thin.
"""

from __future__ import annotations

import contextlib
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

import anyio.to_thread
import httpcore
import httpx

from mediacheck._hints import (
    content_type_finding,
    expiry_finding,
    plain_http_finding,
    share_page_finding,
    status_finding,
)
from mediacheck._inspector import Inspection, Inspector
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._netguard import AddressPolicy, BlockedAddressError, ResolutionError, Resolver
from mediacheck._network_backend import AsyncGuardedBackend, DeadlineExceeded, GuardedBackend, fetch_deadline
from mediacheck._report import FetchInfo, Finding, Redirect, Report, Severity
from mediacheck._urlpolicy import FetchableUrl, check_url_policy, join_location, shorten
from mediacheck._version import __version__
from mediacheck.exceptions import UsageError

__all__ = ["SafeFetcher", "acheck_url", "adownload_to_file", "check_url", "download_to_file"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REQUEST_HEADERS = {
    "User-Agent": f"mediacheck/{__version__} (hold-music pre-flight check)",
    "Accept": "audio/mpeg, audio/*;q=0.9, */*;q=0.5",
    # Compressed bodies are refused, never inflated: a gzip bomb costs nothing if it is never decoded.
    "Accept-Encoding": "identity",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class _BodySink(Protocol):
    """Where a fetched body goes: told the declared size first, then fed chunks until it says stop."""

    def begin(self, content_length: int | None) -> Finding | None: ...

    def feed(self, chunk: bytes) -> bool: ...


class _InspectSink:
    """Feeds the Inspector and, for a deep check, tees the body (bounded by the size limit) into a file."""

    def __init__(self, limits: Limits, tee: IO[bytes] | None = None) -> None:
        self.limits = limits
        self.tee = tee
        self.inspector: Inspector | None = None
        self._teed = 0

    def begin(self, content_length: int | None) -> Finding | None:
        if content_length is not None and content_length >= self.limits.size_limit_bytes:
            return Finding("size.too-large", Severity.ERROR,
                           f"The server announces {content_length:,} bytes; the limit is under "
                           f"{self.limits.size_limit_bytes:,} bytes.",
                           "Shorten the audio or lower the bitrate (e.g. 128 kbps mono is plenty for hold music).")
        self.inspector = Inspector(self.limits, declared_size=content_length)
        return None

    def feed(self, chunk: bytes) -> bool:
        if self.tee is not None and self._teed < self.limits.size_limit_bytes:
            part = chunk[: self.limits.size_limit_bytes - self._teed]
            self.tee.write(part)
            self._teed += len(part)
        return self.inspector is not None and self.inspector.feed(chunk)


class _FileSink:
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


class _FetchRun:
    """The decisions of one fetch (policy, hops, headers, errors), shared by the sync and async drivers."""

    def __init__(self, target: str, limits: Limits, sink: _BodySink) -> None:
        self.target = target
        self.limits = limits
        self.sink = sink
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

    def request(self, client: httpx.Client | httpx.AsyncClient, hop: FetchableUrl) -> httpx.Request:
        """The GET for one hop: no cookies, no credentials, our headers, per-operation timeouts."""
        return client.build_request("GET", hop.url, headers=REQUEST_HEADERS,
                                    timeout=httpx.Timeout(self.limits.timeout_s))

    def on_headers(self, response: httpx.Response) -> FetchableUrl | bool:
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
        length = response.headers.get("content-length")
        self.content_length = int(length) if length is not None and length.strip().isdigit() else None
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
        if isinstance(exc, BlockedAddressError | ResolutionError):
            finding = exc.finding
            if self.redirects:
                finding = Finding(finding.code, finding.severity, finding.message.rstrip(".") +
                                  f" (a redirect from {shorten(self.redirects[-1].url)} led there).", finding.hint)
        elif isinstance(exc, DeadlineExceeded | httpx.TimeoutException):
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
                          elapsed_s=time.perf_counter() - self.started)
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


def _normalized(url: str) -> str:
    try:
        return str(httpx.URL(url))
    except (httpx.InvalidURL, ValueError, UnicodeError):
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
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        current = current.__cause__ or current.__context__
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def _refuse_all_cookies(client: httpx.Client | httpx.AsyncClient) -> None:
    # A shared client must not carry one check's cookies into another's request (or send any at all).
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool swapped for one on the guarded network backend."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: GuardedBackend) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx (0.28) offers no network_backend argument, so the pool it built (still empty) is replaced.
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend, retries=0,
                                             max_connections=100, keepalive_expiry=5.0)


class _AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's async transport with its connection pool swapped for one on the guarded network backend."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: AsyncGuardedBackend) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=ssl_context, network_backend=backend, retries=0,
                                                  max_connections=100, keepalive_expiry=5.0)


_DEFAULT_SSL_CONTEXT: ssl.SSLContext | None = None


def _default_ssl_context() -> ssl.SSLContext:
    # Loading certifi's CA bundle costs ~20 ms; one context serves every fetcher (SSLContext is thread-safe).
    # trust_env=False: SSL_CERT_FILE/SSL_CERT_DIR in the environment must not widen what we trust.
    global _DEFAULT_SSL_CONTEXT
    if _DEFAULT_SSL_CONTEXT is None:
        _DEFAULT_SSL_CONTEXT = httpx.create_ssl_context(trust_env=False)
    return _DEFAULT_SSL_CONTEXT


class SafeFetcher:
    """A reusable, guarded fetcher: one sync and one async connection pool behind the network guard.

    ``limits`` bound every fetch (size, duration, the total deadline ``timeout_s``, ``max_redirects``);
    ``allow_networks`` (CIDR strings) exempts ranges from the private-address denylist; ``resolver(host, port)``
    replaces the system DNS lookup (tests play public answers and rebinding with it); ``verify`` is the
    SSL context that checks server certificates (default: certifi's CAs, never the environment's).
    Close it (``close``/``aclose`` or a ``with``/``async with`` block) to release pooled connections. It is
    safe to share between threads and between tasks of one event loop; the async pool belongs to the event
    loop that first used it, so call ``aclose()`` in that loop (e.g. in the app's lifespan).
    """

    def __init__(self, *, limits: Limits = DEFAULT_LIMITS, allow_networks: Iterable[str] = (),
                 resolver: Resolver | None = None, verify: ssl.SSLContext | None = None) -> None:
        if not isinstance(limits, Limits):
            raise UsageError(f"limits must be a mediacheck.Limits, not {type(limits).__name__}")
        self.limits = limits
        self.policy = AddressPolicy.from_cidrs(allow_networks)
        self.resolver = resolver
        self._ssl_context = verify if verify is not None else _default_ssl_context()
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._aclient: httpx.AsyncClient | None = None

    # -- clients -----------------------------------------------------------------------------------------------
    def _sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                transport = _GuardedTransport(self._ssl_context, GuardedBackend(self.policy, self.resolver))
                self._client = httpx.Client(transport=transport, follow_redirects=False, trust_env=False)
                _refuse_all_cookies(self._client)
            return self._client

    def _async_client(self) -> httpx.AsyncClient:
        if self._aclient is None:
            transport = _AsyncGuardedTransport(self._ssl_context, AsyncGuardedBackend(self.policy, self.resolver))
            self._aclient = httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)
            _refuse_all_cookies(self._aclient)
        return self._aclient

    def close(self) -> None:
        """Close the sync connection pool."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    async def aclose(self) -> None:
        """Close both connection pools."""
        self.close()
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    # -- drivers -----------------------------------------------------------------------------------------------
    def _run(self, run: _FetchRun) -> None:
        hop = run.first_hop()
        if hop is None:
            return
        client = self._sync_client()
        with fetch_deadline(run.limits.timeout_s):
            try:
                while True:
                    response = client.send(run.request(client, hop), stream=True)
                    try:
                        decision = run.on_headers(response)
                        if decision is True:
                            for chunk in response.iter_raw():
                                if run.on_chunk(chunk):
                                    break
                            else:
                                run.body_complete = True
                    finally:
                        response.close()
                    if not isinstance(decision, FetchableUrl):
                        return
                    hop = decision
            except (httpx.HTTPError, httpcore.ConnectError, BlockedAddressError, ResolutionError,
                    DeadlineExceeded, OSError) as exc:
                run.on_error(exc)

    async def _arun(self, run: _FetchRun) -> None:
        hop = run.first_hop()
        if hop is None:
            return
        client = self._async_client()
        with fetch_deadline(run.limits.timeout_s):
            try:
                while True:
                    response = await client.send(run.request(client, hop), stream=True)
                    try:
                        decision = run.on_headers(response)
                        if decision is True:
                            async for chunk in response.aiter_raw():
                                if run.on_chunk(chunk):
                                    break
                            else:
                                run.body_complete = True
                    finally:
                        await response.aclose()
                    if not isinstance(decision, FetchableUrl):
                        return
                    hop = decision
            except (httpx.HTTPError, httpcore.ConnectError, BlockedAddressError, ResolutionError,
                    DeadlineExceeded, OSError) as exc:
                run.on_error(exc)

    # -- checks ------------------------------------------------------------------------------------------------
    def _report(self, run: _FetchRun, sink: _InspectSink) -> Report:
        inspection = sink.inspector.finish() if sink.inspector is not None and not run.failed else None
        fetch, findings = run.finish(inspection)
        media_findings = inspection.findings if inspection is not None else ()
        return Report(target=run.target, findings=tuple(findings) + tuple(media_findings),
                      media=inspection.media if inspection is not None else None, fetch=fetch)

    def check(self, url: str, *, limits: Limits | None = None, deep: bool = False) -> Report:
        """Fetch ``url`` through the guard and check what it serves; a refused or failed fetch is a failing Report."""
        limits = self._limits(limits)
        target = _target(url)
        with _deep_tee(deep) as tee:
            sink = _InspectSink(limits, tee[1] if tee else None)
            run = _FetchRun(target, limits, sink)
            self._run(run)
            report = self._report(run, sink)
            if tee is not None and sink.inspector is not None and not run.failed:
                from mediacheck._deep import deep_check_file

                tee[1].flush()
                report = deep_check_file(report, tee[0], limits)
        return report

    async def acheck(self, url: str, *, limits: Limits | None = None, deep: bool = False) -> Report:
        """The async twin of :meth:`check` (the deep check, if asked for, runs in a worker thread)."""
        limits = self._limits(limits)
        target = _target(url)
        with _deep_tee(deep) as tee:
            sink = _InspectSink(limits, tee[1] if tee else None)
            run = _FetchRun(target, limits, sink)
            await self._arun(run)
            report = self._report(run, sink)
            if tee is not None and sink.inspector is not None and not run.failed:
                from mediacheck._deep import deep_check_file

                tee[1].flush()
                report = await anyio.to_thread.run_sync(deep_check_file, report, tee[0], limits)
        return report

    def download(self, url: str, dst: str | Path, *, max_bytes: int,
                 limits: Limits | None = None) -> tuple[FetchInfo, tuple[Finding, ...]]:
        """Download ``url`` through the guard into ``dst`` (at most ``max_bytes``); see :func:`download_to_file`."""
        limits = self._limits(limits)
        return _download(lambda run: self._run(run), _target(url), Path(dst), max_bytes, limits)

    async def adownload(self, url: str, dst: str | Path, *, max_bytes: int,
                        limits: Limits | None = None) -> tuple[FetchInfo, tuple[Finding, ...]]:
        """The async twin of :meth:`download` (file writes are small and stay on the event loop's thread)."""
        limits = self._limits(limits)
        target, path = _target(url), Path(dst)
        _check_max_bytes(max_bytes)
        handle = await anyio.to_thread.run_sync(path.open, "wb")
        try:
            sink = _FileSink(handle, max_bytes)
            run = _FetchRun(target, limits, sink)
            await self._arun(run)
        finally:
            handle.close()
        return _download_result(run, sink, path)

    def _limits(self, limits: Limits | None) -> Limits:
        if limits is None:
            return self.limits
        if not isinstance(limits, Limits):
            raise UsageError(f"limits must be a mediacheck.Limits, not {type(limits).__name__}")
        return limits


def _target(url: object) -> str:
    if not isinstance(url, str):
        raise UsageError(f"url must be a string, not {type(url).__name__}")
    return url


def _check_max_bytes(max_bytes: object) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise UsageError(f"max_bytes must be a positive int, got {max_bytes!r}")


@contextlib.contextmanager
def _deep_tee(deep: bool) -> Iterator[tuple[Path, IO[bytes]] | None]:
    if not deep:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="mediacheck-") as folder:
        path = Path(folder) / "body.mp3"
        with path.open("wb") as handle:
            yield path, handle


def _download(run_fetch: Callable[[_FetchRun], None], target: str, path: Path, max_bytes: int,
              limits: Limits) -> tuple[FetchInfo, tuple[Finding, ...]]:
    _check_max_bytes(max_bytes)
    with path.open("wb") as handle:
        sink = _FileSink(handle, max_bytes)
        run = _FetchRun(target, limits, sink)
        run_fetch(run)
    return _download_result(run, sink, path)


def _download_result(run: _FetchRun, sink: _FileSink, path: Path) -> tuple[FetchInfo, tuple[Finding, ...]]:
    if sink.too_large is not None:
        run.findings.append(sink.too_large)
    fetch, findings = run.finish(None)
    if run.failed or not run.body_started:
        path.unlink(missing_ok=True)
    return fetch, tuple(findings)


# -- the public facades -----------------------------------------------------------------------------------------
def check_url(url: str, *, limits: Limits = DEFAULT_LIMITS, allow_networks: Iterable[str] = (),
              deep: bool = False) -> Report:
    """Fetch a URL through the network guard and check what it serves.

    Never raises for a bad URL, a refused address or a failed fetch: those are failing Reports with ``url.``
    and ``access.`` findings. ``allow_networks`` (CIDR strings) exempts ranges from the private-address guard.
    """
    with SafeFetcher(limits=limits, allow_networks=allow_networks) as fetcher:
        return fetcher.check(url, deep=deep)


async def acheck_url(url: str, *, limits: Limits = DEFAULT_LIMITS, allow_networks: Iterable[str] = (),
                     deep: bool = False) -> Report:
    """Fetch a URL through the network guard and check what it serves, without blocking the event loop."""
    async with SafeFetcher(limits=limits, allow_networks=allow_networks) as fetcher:
        return await fetcher.acheck(url, deep=deep)


def download_to_file(url: str, dst: str | Path, *, max_bytes: int, limits: Limits = DEFAULT_LIMITS,
                     allow_networks: Iterable[str] = (), resolver: Resolver | None = None,
                     ) -> tuple[FetchInfo, tuple[Finding, ...]]:
    """Download ``url`` through the network guard into the file ``dst``, at most ``max_bytes`` long.

    Same guard, redirect loop and total deadline (``limits.timeout_s``) as ``check_url``; ``max_bytes`` may
    exceed ``limits.size_limit_bytes`` (``fix`` downloads oversized sources to shrink them). Returns the fetch
    facts and the url./access./size. findings (hints such as ``url.plain-http`` included); when any of them
    is an error, ``dst`` is removed. Never raises for a network failure; raises UsageError for bad arguments.
    """
    with SafeFetcher(limits=limits, allow_networks=allow_networks, resolver=resolver) as fetcher:
        return fetcher.download(url, dst, max_bytes=max_bytes)


async def adownload_to_file(url: str, dst: str | Path, *, max_bytes: int, limits: Limits = DEFAULT_LIMITS,
                            allow_networks: Iterable[str] = (), resolver: Resolver | None = None,
                            ) -> tuple[FetchInfo, tuple[Finding, ...]]:
    """The async twin of :func:`download_to_file`."""
    async with SafeFetcher(limits=limits, allow_networks=allow_networks, resolver=resolver) as fetcher:
        return await fetcher.adownload(url, dst, max_bytes=max_bytes)
