"""Requests held in flight on purpose: an upstream that answers only when released, and clients on own addresses.

Every loopback address 127.0.0.0/8 reaches this machine, so a client bound to 127.0.0.2 is, to the service,
another caller than one on 127.0.0.3: per-IP limits are tested without proxies or mocks.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import httpx2 as httpx

from tests.support.servers import RawServer, response_head


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 20) -> None:
    """Poll ``condition`` every 10 ms until it holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


class StalledUpstream:
    """A loopback media server whose answers wait until :meth:`release`; checks of it hold their slot meanwhile.

    With ``head_first`` it sends the response head at once and then nothing (a download that never ends).
    ``closed_early`` is set when a client closes its connection before the release: a cancelled fetch.
    """

    def __init__(self, body: bytes, *, head_first: bool = False) -> None:
        self.body = body
        self.head_first = head_first
        self.released = threading.Event()
        self.closed_early = threading.Event()
        self.server = RawServer(self._respond)

    def _respond(self, conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        answer = response_head(headers=[("Content-Length", str(len(self.body)))])
        if self.head_first:
            conn.sendall(answer)
        conn.settimeout(0.02)
        while not self.released.is_set() and not stopping.is_set():
            try:
                if conn.recv(1) == b"":
                    self.closed_early.set()
                    return
            except TimeoutError:
                continue
        conn.sendall(self.body if self.head_first else answer + self.body)

    @property
    def waiting(self) -> int:
        """How many requests have reached the server (each waits for the release)."""
        return len(self.server.requests)

    def url(self, path: str = "/held.mp3") -> str:
        """A URL on this server."""
        return self.server.url(path)

    def release(self) -> None:
        """Let every waiting answer go."""
        self.released.set()

    def __enter__(self) -> StalledUpstream:
        self.server.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.released.set()
        self.server.__exit__(exc_type, exc, tb)


def client_from(address: str, **kwargs: Any) -> httpx.Client:
    """An httpx client whose connections come from ``address`` (a loopback address: another caller)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30, **kwargs)


class Callers:
    """Runs blocking requests in threads, so a test can hold several in flight and collect their answers."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=64)
        self._clients: list[httpx.Client] = []

    def post(self, address: str, url: str, **kwargs: Any) -> Future[httpx.Response]:
        """POST ``url`` from ``address`` in a thread; the future holds the answer."""
        client = client_from(address)
        self._clients.append(client)
        return self._pool.submit(client.post, url, **kwargs)

    def __enter__(self) -> Callers:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._pool.shutdown(wait=True)
        for client in self._clients:
            client.close()
