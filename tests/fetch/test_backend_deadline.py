"""The guarded backend (and each request) gives every network step at most the time left before the deadline."""

from __future__ import annotations

import asyncio
import ssl
import typing
from collections.abc import Iterable

import httpcore2
import pytest

from mediacheck import Limits
from mediacheck._fetch_budget import DeadlineExceeded, fetch_deadline
from mediacheck._fetch_run import FetchRun, InspectSink
from mediacheck._netguard import AddressPolicy
from mediacheck._network_backend import AsyncGuardedBackend, GuardedBackend, SocketOption

LOOPBACK = AddressPolicy.from_cidrs(["127.0.0.0/8"])
PATIENT = 1000.0  # what httpx2 would ask for: far more than the deadline leaves


class _Stream(httpcore2.NetworkStream):
    def __init__(self, seen: list[tuple[str, float | None]]) -> None:
        self.seen = seen

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.seen.append(("read", timeout))
        return b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.seen.append(("write", timeout))

    def close(self) -> None:
        return None

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        self.seen.append(("start_tls", timeout))
        return self


class _Backend(httpcore2.NetworkBackend):
    """Records what the guard asks of the real backend instead of touching the network."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, float | None]] = []
        self.hosts: list[str] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[SocketOption] | None = None) -> httpcore2.NetworkStream:
        self.seen.append(("connect", timeout))
        self.hosts.append(host)
        return _Stream(self.seen)


class _AsyncStream(httpcore2.AsyncNetworkStream):
    def __init__(self, seen: list[tuple[str, float | None]]) -> None:
        self.seen = seen

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        self.seen.append(("read", timeout))
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        self.seen.append(("write", timeout))

    async def aclose(self) -> None:
        return None

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore2.AsyncNetworkStream:  # noqa: ASYNC109
        self.seen.append(("start_tls", timeout))
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        return None


class _AsyncBackend(httpcore2.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.seen: list[tuple[str, float | None]] = []
        self.hosts: list[str] = []

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None) -> httpcore2.AsyncNetworkStream:
        self.seen.append(("connect", timeout))
        self.hosts.append(host)
        return _AsyncStream(self.seen)


def _resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_sync_steps_get_at_most_the_time_left() -> None:
    """connect, TLS handshake, write and read each get min(their timeout, time left), never httpx2's 1000 s."""
    inner = _Backend()
    backend = GuardedBackend(LOOPBACK, _resolver, inner)
    with fetch_deadline(5.0):
        stream = backend.connect_tcp("media.example", 443, timeout=PATIENT)
        stream = stream.start_tls(ssl.create_default_context(), "media.example", timeout=PATIENT)
        stream.write(b"GET", timeout=PATIENT)
        stream.read(10, timeout=PATIENT)
    assert [step for step, _ in inner.seen] == ["connect", "start_tls", "write", "read"]
    assert all(timeout is not None and 0 < timeout <= 5.0 for _, timeout in inner.seen)
    assert inner.hosts == ["127.0.0.1"]


def test_async_steps_get_at_most_the_time_left() -> None:
    """The async backend clamps connect, TLS handshake, write and read the same way."""
    inner = _AsyncBackend()
    backend = AsyncGuardedBackend(LOOPBACK, _resolver, inner)

    async def run() -> None:
        with fetch_deadline(5.0):
            stream = await backend.connect_tcp("media.example", 443, timeout=PATIENT)
            stream = await stream.start_tls(ssl.create_default_context(), "media.example", timeout=PATIENT)
            await stream.write(b"GET", timeout=PATIENT)
            await stream.read(10, timeout=PATIENT)

    asyncio.run(run())
    assert [step for step, _ in inner.seen] == ["connect", "start_tls", "write", "read"]
    assert all(timeout is not None and 0 < timeout <= 5.0 for _, timeout in inner.seen)
    assert inner.hosts == ["127.0.0.1"]


def test_a_step_after_the_deadline_is_refused_before_it_starts() -> None:
    """Once the deadline has passed, the next read raises DeadlineExceeded instead of waiting at all."""
    inner = _Backend()
    backend = GuardedBackend(LOOPBACK, _resolver, inner)
    with fetch_deadline(5.0):
        stream = backend.connect_tcp("media.example", 80, timeout=PATIENT)
    with fetch_deadline(-1.0), pytest.raises(DeadlineExceeded):
        stream.read(10, timeout=PATIENT)
    assert [step for step, _ in inner.seen] == ["connect"]


def test_unix_sockets_are_refused() -> None:
    """Neither backend ever connects to a unix socket."""
    with pytest.raises(httpcore2.ConnectError):
        GuardedBackend(LOOPBACK, _resolver, _Backend()).connect_unix_socket("/var/run/docker.sock")
    with pytest.raises(httpcore2.ConnectError):
        asyncio.run(AsyncGuardedBackend(LOOPBACK, _resolver, _AsyncBackend()).connect_unix_socket("/run/x.sock"))


def test_request_timeouts_fit_in_the_time_left() -> None:
    """A hop's request asks httpx2 for no more than the deadline leaves, the pool wait included."""
    limits = Limits(timeout_s=30.0)
    run = FetchRun("http://media.example/a.mp3", limits, InspectSink(limits))
    hop = run.first_hop()
    assert hop is not None
    with fetch_deadline(2.0):
        request = run.request(hop)
    timeouts = request.extensions["timeout"]
    assert set(timeouts) == {"connect", "read", "write", "pool"}
    assert all(0 < value <= 2.0 for value in timeouts.values())
