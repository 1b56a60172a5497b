"""Guarded fetching: the SafeFetcher streams a URL's body into the Inspector through the network guard.

One fetch is: the URL policy (``_urlpolicy``), then our own redirect loop (every hop re-vetted, redirect
bodies never read), each connection made by the guarded httpcore2 backend (``_network_backend``) under one
total deadline, ``Accept-Encoding: identity`` and compressed bodies refused, the body counted as it streams
and dropped the moment the Inspector's verdict is certain. Sync and async run the same steps; only the I/O
calls differ, so the per-step decisions live in ``_fetch_run.FetchRun`` and both drivers are thin.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import ssl
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from os import PathLike, fspath
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

import anyio.to_thread
import certifi
import httpcore2
import httpx2

from mediacheck._check import with_profile
from mediacheck._fetch_budget import DeadlineExceeded, UpstreamTooCostly, fetch_deadline
from mediacheck._fetch_run import FetchRun, FileSink, InspectSink
from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._netguard import AddressPolicy, HostRefusedError, Resolver, parse_networks
from mediacheck._network_backend import AsyncGuardedBackend, GuardedBackend
from mediacheck._report import FetchInfo, Finding, Report, Severity
from mediacheck._urlpolicy import FetchableUrl
from mediacheck.exceptions import UsageError

if TYPE_CHECKING:
    from mediacheck._profiles import Profile

__all__ = ["SafeFetcher", "acheck_url", "adownload_to_file", "check_url", "download_to_file"]


class _GuardedTransport(httpx2.HTTPTransport):
    """httpx2's transport with its connection pool swapped for one on the guarded network backend.

    The fetcher sends through the transport itself, not an ``httpx2.Client``: the client's redirect, cookie and
    auth machinery is what we do not want (our own redirect loop re-vets every hop; no cookies are kept or sent),
    and it parses every Location header on its own, raising ValueError for some a server may send (``//:1``).
    """

    def __init__(self, ssl_context: ssl.SSLContext, backend: GuardedBackend) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx2 (2.16) offers no network_backend argument, so the pool it built (still empty) is replaced.
        self._pool = httpcore2.ConnectionPool(ssl_context=ssl_context, network_backend=backend, retries=0,
                                              max_connections=100, keepalive_expiry=5.0)


class _AsyncGuardedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's async transport with its connection pool swapped for one on the guarded network backend."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: AsyncGuardedBackend) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(ssl_context=ssl_context, network_backend=backend, retries=0,
                                                   max_connections=100, keepalive_expiry=5.0)


_DEFAULT_SSL_CONTEXT: ssl.SSLContext | None = None


def _default_ssl_context() -> ssl.SSLContext:
    # The promised trust store is certifi's CAs, exactly: httpx2 would trust the OS store (truststore), which
    # differs between machines, and would read SSL_CERT_FILE/SSL_CERT_DIR, which must not widen what we trust.
    # Built by hand rather than with ssl.create_default_context, which reads SSLKEYLOGFILE and would then
    # write every fetch's TLS secrets wherever the environment says: the context reads nothing from it.
    # Loading the bundle costs ~20 ms; one context serves every fetcher (SSLContext is thread-safe).
    global _DEFAULT_SSL_CONTEXT
    if _DEFAULT_SSL_CONTEXT is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_verify_locations(cafile=certifi.where())
        _DEFAULT_SSL_CONTEXT = context
    return _DEFAULT_SSL_CONTEXT


class SafeFetcher:
    """A reusable, guarded fetcher: one sync and one async connection pool behind the network guard.

    ``limits`` bound every fetch (size, duration, the total deadline ``timeout_s``, ``max_redirects``);
    ``allow_networks`` (CIDR strings) exempts ranges from the private-address denylist; ``resolver(host, port)``
    replaces the system DNS lookup (tests play public answers and rebinding with it); ``verify`` is the
    SSL context that checks server certificates (default: certifi's CAs, never the environment's).
    ``reveal_addresses=False`` keeps what DNS answered out of every finding (a refused host "has no public
    internet address"): the service sets it, so strangers cannot map internal DNS through it.
    Close it (``close``/``aclose`` or a ``with``/``async with`` block) to release pooled connections. It is
    safe to share between threads and between tasks of one event loop; the async pool belongs to the event
    loop that first used it, so call ``aclose()`` in that loop (e.g. in the app's lifespan).
    """

    def __init__(self, *, limits: Limits = DEFAULT_LIMITS, allow_networks: Iterable[str] = (),
                 resolver: Resolver | None = None, verify: ssl.SSLContext | None = None,
                 reveal_addresses: bool = True) -> None:
        if not isinstance(limits, Limits):
            raise UsageError(f"limits must be a mediacheck.Limits, not {type(limits).__name__}")
        if resolver is not None and not callable(resolver):
            raise UsageError(f"resolver must be a function (host, port) -> addresses, not {type(resolver).__name__}")
        if verify is not None and not isinstance(verify, ssl.SSLContext):
            raise UsageError(f"verify must be an ssl.SSLContext, not {type(verify).__name__}")
        _check_flag("reveal_addresses", reveal_addresses)
        self.limits = limits
        self.policy = AddressPolicy.from_cidrs(allow_networks)
        self.resolver = resolver
        self.reveal_addresses = reveal_addresses
        self._ssl_context = verify if verify is not None else _default_ssl_context()
        self._lock = threading.Lock()
        self._transport: _GuardedTransport | None = None
        self._atransport: _AsyncGuardedTransport | None = None

    # -- connection pools --------------------------------------------------------------------------------------
    def _sync_transport(self) -> _GuardedTransport:
        with self._lock:
            if self._transport is None:
                self._transport = _GuardedTransport(self._ssl_context, GuardedBackend(self.policy, self.resolver))
            return self._transport

    def _async_transport(self) -> _AsyncGuardedTransport:
        if self._atransport is None:
            self._atransport = _AsyncGuardedTransport(self._ssl_context,
                                                      AsyncGuardedBackend(self.policy, self.resolver))
        return self._atransport

    def close(self) -> None:
        """Close the sync connection pool."""
        with self._lock:
            if self._transport is not None:
                self._transport.close()
                self._transport = None

    async def aclose(self) -> None:
        """Close both connection pools."""
        self.close()
        if self._atransport is not None:
            await self._atransport.aclose()
            self._atransport = None

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
    def _run(self, run: FetchRun) -> None:
        hop = run.first_hop()
        if hop is None:
            return
        transport = self._sync_transport()
        with fetch_deadline(run.limits.timeout_s) as budget:
            try:
                while True:
                    budget.start_response()
                    response = transport.handle_request(run.request(hop))
                    budget.end_head()
                    try:
                        decision = run.on_headers(response)
                        if decision is True:
                            for chunk in response.iter_raw():
                                budget.on_body_chunk(len(chunk))
                                if run.on_chunk(chunk):
                                    break
                            else:
                                run.body_complete = True
                    finally:
                        response.close()
                    if not isinstance(decision, FetchableUrl):
                        return
                    hop = decision
            except (httpx2.HTTPError, httpcore2.ConnectError, HostRefusedError, DeadlineExceeded,
                    UpstreamTooCostly, OSError) as exc:
                run.on_error(exc)

    async def _arun(self, run: FetchRun) -> None:
        hop = run.first_hop()
        if hop is None:
            return
        transport = self._async_transport()
        with fetch_deadline(run.limits.timeout_s) as budget:
            try:
                while True:
                    budget.start_response()
                    response = await transport.handle_async_request(run.request(hop))
                    budget.end_head()
                    try:
                        decision = run.on_headers(response)
                        if decision is True:
                            async for chunk in response.aiter_raw():
                                budget.on_body_chunk(len(chunk))
                                if run.on_chunk(chunk):
                                    break
                            else:
                                run.body_complete = True
                    finally:
                        await response.aclose()
                    if not isinstance(decision, FetchableUrl):
                        return
                    hop = decision
            except (httpx2.HTTPError, httpcore2.ConnectError, HostRefusedError, DeadlineExceeded,
                    UpstreamTooCostly, OSError) as exc:
                run.on_error(exc)

    # -- checks ------------------------------------------------------------------------------------------------
    def _report(self, run: FetchRun, sink: InspectSink) -> Report:
        inspection = sink.inspector.finish() if sink.inspector is not None and not run.failed else None
        fetch, findings = run.finish(inspection)
        media_findings = inspection.findings if inspection is not None else ()
        report = Report(target=run.target, findings=tuple(findings) + tuple(media_findings),
                        media=inspection.media if inspection is not None else None, fetch=fetch)
        if sink.profile is not None:  # the profile's Content-Type rule replaces the default warning
            from mediacheck._profile_rules import apply_to_fetch

            report = apply_to_fetch(report, sink.profile)
        return report

    def check(self, url: str, *, limits: Limits | None = None, deep: bool = False,
              profile: str | Profile | None = None) -> Report:
        """Fetch ``url`` through the guard and check what it serves; a refused or failed fetch is a failing Report."""
        limits, chosen = with_profile(self._limits(limits), profile)
        _check_flag("deep", deep)
        target = _target(url)
        with _deep_tee(deep) as tee:
            sink = InspectSink(limits, tee[1] if tee else None, chosen)
            run = FetchRun(target, limits, sink, reveal_addresses=self.reveal_addresses)
            self._run(run)
            report = self._report(run, sink)
            if tee is not None and sink.inspector is not None and not run.failed:
                from mediacheck._deep import deep_check_file

                tee[1].flush()
                report = deep_check_file(report, tee[0], limits)
        return report

    async def acheck(self, url: str, *, limits: Limits | None = None, deep: bool = False,
                     profile: str | Profile | None = None) -> Report:
        """The async twin of :meth:`check` (the deep check, if asked for, runs in a worker thread)."""
        limits, chosen = with_profile(self._limits(limits), profile)
        _check_flag("deep", deep)
        target = _target(url)
        with _deep_tee(deep) as tee:
            sink = InspectSink(limits, tee[1] if tee else None, chosen)
            run = FetchRun(target, limits, sink, reveal_addresses=self.reveal_addresses)
            await self._arun(run)
            report = self._report(run, sink)
            if tee is not None and sink.inspector is not None and not run.failed:
                from mediacheck._deep import deep_check_file

                tee[1].flush()
                report = await anyio.to_thread.run_sync(deep_check_file, report, tee[0], limits)
        return report

    def download(self, url: str, dst: str | PathLike[str], *, max_bytes: int,
                 limits: Limits | None = None) -> tuple[FetchInfo, tuple[Finding, ...]]:
        """Download ``url`` through the guard into ``dst`` (at most ``max_bytes``); see :func:`download_to_file`."""
        limits = self._limits(limits)
        target, path = _target(url), _check_destination(dst)
        _check_max_bytes(max_bytes)
        staged, handle = _stage(path)
        try:
            with handle:
                fetched = self.download_into(target, handle, max_bytes=max_bytes, limits=limits)
            return _publish(fetched, staged, path)
        finally:
            staged.unlink(missing_ok=True)

    def download_into(self, url: str, handle: IO[bytes], *, max_bytes: int,
                      limits: Limits) -> tuple[FetchInfo, tuple[Finding, ...]]:
        """Download into an open file of the caller's, which it names and cleans up (fix's temporary file)."""
        sink = FileSink(handle, max_bytes)
        run = FetchRun(url, limits, sink, reveal_addresses=self.reveal_addresses)
        self._run(run)
        return _download_result(run, sink)

    async def adownload(self, url: str, dst: str | PathLike[str], *, max_bytes: int,
                        limits: Limits | None = None) -> tuple[FetchInfo, tuple[Finding, ...]]:
        """The async twin of :meth:`download` (file writes are small and stay on the event loop's thread)."""
        limits = self._limits(limits)
        target, path = _target(url), _check_destination(dst)
        _check_max_bytes(max_bytes)
        staged, handle = await anyio.to_thread.run_sync(_stage, path)
        try:
            with handle:
                sink = FileSink(handle, max_bytes)
                run = FetchRun(target, limits, sink, reveal_addresses=self.reveal_addresses)
                await self._arun(run)
            return await anyio.to_thread.run_sync(_publish, _download_result(run, sink), staged, path)
        finally:
            staged.unlink(missing_ok=True)

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


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False, not {value!r}")


def _check_destination(dst: object) -> Path:
    if not isinstance(dst, str | PathLike) or isinstance(fspath(dst), bytes):
        raise UsageError(f"dst must be a path (str or os.PathLike), not {type(dst).__name__}")
    return Path(dst)


def _unwritable(path: Path, reason: str) -> UsageError:
    shown = str(path).replace("\0", "\\0")
    return UsageError(f"dst {shown} cannot be written: {reason}")


def _stage(path: Path) -> tuple[Path, IO[bytes]]:
    """A new file beside ``path`` to download into, open for writing: ``path`` itself is replaced only by a
    complete download, so a failed one leaves whatever was there. A destination that cannot be written (a
    folder, a device, a symbolic link, a missing folder, a NUL byte, no permission) is the caller's mistake,
    said as such rather than as a raw OSError or ValueError."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    except (OSError, ValueError) as exc:
        raise _unwritable(path, exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) from None
    if found is not None and not stat.S_ISREG(found.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(found.st_mode) else \
            "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file"
        raise _unwritable(path, f"it is {kind}; name a regular file or a new one")
    # At most 100 bytes of the name, whole characters only: the staged name must fit where dst's does.
    short = os.fsencode(path.name)[:100].decode("utf-8", "ignore") or "download"
    while True:  # mode 0666 less the umask, as for any new file (mkstemp's 0600 would outlive the rename)
        staged = path.parent / f".{short}.{secrets.token_hex(4)}.download"
        try:
            return staged, os.fdopen(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
        except FileExistsError:
            continue
        except OSError as exc:
            raise _unwritable(path, exc.strerror or str(exc)) from None


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


def _download_result(run: FetchRun, sink: FileSink) -> tuple[FetchInfo, tuple[Finding, ...]]:
    if sink.too_large is not None:
        run.findings.append(sink.too_large)
    fetch, findings = run.finish(None)
    return fetch, tuple(findings)


def _publish(fetched: tuple[FetchInfo, tuple[Finding, ...]], staged: Path, path: Path,
             ) -> tuple[FetchInfo, tuple[Finding, ...]]:
    """A download without errors replaces ``path`` (keeping a replaced file's mode); ``fetched`` is passed on."""
    if not any(f.severity is Severity.ERROR for f in fetched[1]):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(staged, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(staged, path)
    return fetched


# -- the public facades -----------------------------------------------------------------------------------------
def _given_or_own(fetcher: object, limits: Limits | None, allow_networks: Iterable[str],
                  resolver: Resolver | None) -> tuple[SafeFetcher | None, Limits | None]:
    """The caller's fetcher (checked), or None when the facade is to make its own from the other arguments."""
    if fetcher is None:
        return None, limits
    if not isinstance(fetcher, SafeFetcher):
        raise UsageError(f"fetcher must be a mediacheck.SafeFetcher, not {type(fetcher).__name__}")
    if parse_networks(allow_networks) or resolver is not None:
        raise UsageError("with a fetcher, give allow_networks and resolver to the SafeFetcher, not to the call")
    return fetcher, limits


def check_url(url: str, *, limits: Limits | None = None, allow_networks: Iterable[str] = (), deep: bool = False,
              resolver: Resolver | None = None, fetcher: SafeFetcher | None = None,
              profile: str | Profile | None = None) -> Report:
    """Fetch a URL through the network guard and check what it serves.

    Never raises for a bad URL, a refused address or a failed fetch: those are failing Reports with ``url.``
    and ``access.`` findings. ``allow_networks`` (CIDR strings) exempts ranges from the private-address guard;
    ``resolver(host, port)`` replaces the system DNS lookup. Or pass a ``fetcher`` (a :class:`SafeFetcher`) to
    reuse its connection pool, networks and resolver; ``limits`` then default to the fetcher's.
    Raises :class:`mediacheck.UsageError` for arguments it cannot accept.
    """
    given, limits = _given_or_own(fetcher, limits, allow_networks, resolver)
    if given is not None:
        return given.check(url, limits=limits, deep=deep, profile=profile)
    with SafeFetcher(limits=limits or DEFAULT_LIMITS, allow_networks=allow_networks, resolver=resolver) as own:
        return own.check(url, deep=deep, profile=profile)


async def acheck_url(url: str, *, limits: Limits | None = None, allow_networks: Iterable[str] = (),
                     deep: bool = False, resolver: Resolver | None = None,
                     fetcher: SafeFetcher | None = None, profile: str | Profile | None = None) -> Report:
    """Fetch a URL through the network guard and check what it serves, without blocking the event loop."""
    given, limits = _given_or_own(fetcher, limits, allow_networks, resolver)
    if given is not None:
        return await given.acheck(url, limits=limits, deep=deep, profile=profile)
    async with SafeFetcher(limits=limits or DEFAULT_LIMITS, allow_networks=allow_networks,
                           resolver=resolver) as own:
        return await own.acheck(url, deep=deep, profile=profile)


def download_to_file(url: str, dst: str | PathLike[str], *, max_bytes: int, limits: Limits = DEFAULT_LIMITS,
                     allow_networks: Iterable[str] = (), resolver: Resolver | None = None,
                     ) -> tuple[FetchInfo, tuple[Finding, ...]]:
    """Download ``url`` through the network guard into the file ``dst``, at most ``max_bytes`` long.

    Same guard, redirect loop and total deadline (``limits.timeout_s``) as ``check_url``; ``max_bytes`` may
    exceed ``limits.size_limit_bytes`` (``fix`` downloads oversized sources to shrink them). Returns the fetch
    facts and the url./access./size. findings (hints such as ``url.plain-http`` included). The body is written
    beside ``dst`` and renamed over it only when complete: when any finding is an error, ``dst`` is as it was.
    Never raises for a network failure; raises UsageError for bad arguments (``dst`` a folder, a device or a
    symbolic link, or in a folder that cannot be written).
    """
    with SafeFetcher(limits=limits, allow_networks=allow_networks, resolver=resolver) as fetcher:
        return fetcher.download(url, dst, max_bytes=max_bytes)


async def adownload_to_file(url: str, dst: str | PathLike[str], *, max_bytes: int, limits: Limits = DEFAULT_LIMITS,
                            allow_networks: Iterable[str] = (), resolver: Resolver | None = None,
                            ) -> tuple[FetchInfo, tuple[Finding, ...]]:
    """The async twin of :func:`download_to_file`."""
    async with SafeFetcher(limits=limits, allow_networks=allow_networks, resolver=resolver) as fetcher:
        return await fetcher.adownload(url, dst, max_bytes=max_bytes)
