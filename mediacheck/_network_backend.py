"""httpcore2 network backends that connect only to vetted addresses, each fetch within its budget.

``connect_tcp`` receives the URL's host name from httpcore2, resolves it once, refuses the connection if *any*
answer is denied, and connects to the vetted IP itself, so a DNS answer that changes between "check" and
"connect" (rebinding) cannot steer us elsewhere. TLS still runs on the host name: httpcore2 passes it to
``start_tls`` as the SNI name and the certificate is verified against it.

Every blocking step (resolving, connecting, the TLS handshake, each read and write) gets at most the time left
before the fetch's deadline, and every read is accounted to the fetch's budget (``_fetch_budget``).
"""

from __future__ import annotations

import ssl
import threading
import typing
from collections.abc import Iterable

import anyio
import anyio.to_thread
import httpcore2

from mediacheck._fetch_budget import DeadlineExceeded, current_budget, time_left
from mediacheck._netguard import AddressPolicy, IPAddress, Resolver, literal_address, resolve_and_vet

SocketOption = httpcore2.SOCKET_OPTION

def _resolve_within_budget(host: str, port: int, policy: AddressPolicy,
                           resolver: Resolver | None) -> tuple[IPAddress, ...]:
    if literal_address(host) is not None:
        return resolve_and_vet(host, port, policy, resolver)
    budget = time_left()
    if budget is None:
        return resolve_and_vet(host, port, policy, resolver)
    # getaddrinfo cannot be interrupted, so it runs in a daemon thread we stop waiting for at the deadline.
    box: list[tuple[IPAddress, ...] | BaseException] = []

    def work() -> None:
        try:
            box.append(resolve_and_vet(host, port, policy, resolver))
        except BaseException as exc:
            box.append(exc)

    worker = threading.Thread(target=work, name="mediacheck-resolve", daemon=True)
    worker.start()
    worker.join(budget)
    if not box:
        raise DeadlineExceeded(f"resolving {host} took too long")
    result = box[0]
    if isinstance(result, BaseException):
        raise result
    return result


class GuardedStream(httpcore2.NetworkStream):
    """A connected stream whose every operation is clamped to the fetch deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, time_left(timeout))
        budget = current_budget()
        if budget is not None:
            budget.on_read(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        return GuardedStream(self._inner.start_tls(ssl_context, server_hostname, time_left(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore2.NetworkBackend):
    """The sync backend: resolve once, vet every answer, connect to a vetted IP."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None,
                 inner: httpcore2.NetworkBackend | None = None) -> None:
        self.policy = policy
        self.resolver = resolver
        self._inner = inner or httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[SocketOption] | None = None) -> httpcore2.NetworkStream:
        addresses = _resolve_within_budget(host, port, self.policy, self.resolver)
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(str(address), port, time_left(timeout), local_address,
                                                 socket_options)
            except httpcore2.ConnectError as exc:
                failure = exc
                continue
            return GuardedStream(stream)
        raise failure or httpcore2.ConnectError(f"{host} has no address to connect to")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[SocketOption] | None = None) -> httpcore2.NetworkStream:
        raise httpcore2.ConnectError("unix sockets are never fetched from")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class AsyncGuardedStream(httpcore2.AsyncNetworkStream):
    """An async connected stream whose every operation is clamped to the fetch deadline."""

    def __init__(self, inner: httpcore2.AsyncNetworkStream) -> None:
        self._inner = inner

    # httpcore2's AsyncNetworkStream interface dictates the ``timeout`` parameters (ASYNC109).
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        data = await self._inner.read(max_bytes, time_left(timeout))
        budget = current_budget()
        if budget is not None:
            budget.on_read(data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, time_left(timeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore2.AsyncNetworkStream:  # noqa: ASYNC109
        return AsyncGuardedStream(await self._inner.start_tls(ssl_context, server_hostname, time_left(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class AsyncGuardedBackend(httpcore2.AsyncNetworkBackend):
    """The async backend: resolve once (in a worker thread), vet every answer, connect to a vetted IP."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None,
                 inner: httpcore2.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.resolver = resolver
        self._inner = inner or httpcore2.AnyIOBackend()

    async def _resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        if literal_address(host) is not None:
            return resolve_and_vet(host, port, self.policy, self.resolver)
        budget = time_left()
        try:
            with anyio.fail_after(budget):
                return await anyio.to_thread.run_sync(resolve_and_vet, host, port, self.policy, self.resolver,
                                                      abandon_on_cancel=True)
        except TimeoutError:
            raise DeadlineExceeded(f"resolving {host} took too long") from None

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None) -> httpcore2.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(str(address), port, time_left(timeout), local_address,
                                                       socket_options)
            except httpcore2.ConnectError as exc:
                failure = exc
                continue
            return AsyncGuardedStream(stream)
        raise failure or httpcore2.ConnectError(f"{host} has no address to connect to")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: Iterable[SocketOption] | None = None,
                                  ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("unix sockets are never fetched from")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
