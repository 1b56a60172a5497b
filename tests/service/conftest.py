"""Shared pieces of the service tests: real MP3s (from the shared media maker), app clients, a real uvicorn."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediacheck.service.app import create_app
from mediacheck.service.server import ServerLimits, protocol_with, uvicorn_options
from mediacheck.service.settings import Settings
from tests.support.media import MediaFactory

# Tests serve media from loopback servers, which the guard refuses unless exempted.
LOOPBACK = ("127.0.0.0/8", "::1/128")


@pytest.fixture(scope="session")
def good_mp3(make_media: MediaFactory) -> bytes:
    """A 3-second 64 kbps MP3: passes every rule."""
    return make_media.tone_mp3(3).read_bytes()


@pytest.fixture(scope="session")
def long_mp3(make_media: MediaFactory) -> bytes:
    """A 75-second 8 kbps MP3: small, but over the 60-second limit."""
    return make_media.tone_mp3(75, "8k", sample_rate=8000).read_bytes()


@pytest.fixture(scope="session")
def dense_mp3(make_media: MediaFactory) -> bytes:
    """A 10-second 320 kbps MP3 (400 KB): repeated, it crosses a 1 MB size limit long before 60 seconds."""
    return make_media.tone_mp3(10, "320k").read_bytes()


@pytest.fixture(scope="session")
def wav_bytes(make_media: MediaFactory) -> bytes:
    """A 1-second WAV file: audio, but not MP3."""
    return make_media.tone(1, "-c:a", "pcm_s16le", suffix=".wav").read_bytes()


@pytest.fixture(autouse=True)
def _no_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's MEDIACHECK_* variables (a low concurrency, say) must not change what these tests see."""
    for name in list(os.environ):
        if name.startswith("MEDIACHECK_") and name != "MEDIACHECK_FFMPEG":
            monkeypatch.delenv(name)


def make_settings(**overrides: Any) -> Settings:
    """Settings that ignore the developer's environment, exempting loopback unless told otherwise."""
    values: dict[str, Any] = {"allow_networks": LOOPBACK, "api_keys": ()}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A TestClient (lifespan running) over an app with default settings plus the loopback exemption."""
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client


@pytest.fixture
def client_for() -> Iterator[Callable[..., TestClient]]:
    """Make TestClients over apps built from settings overrides; all are closed after the test."""
    opened: list[TestClient] = []

    def make(resolver: Any = None, verify: Any = None, **overrides: Any) -> TestClient:
        test_client = TestClient(create_app(make_settings(**overrides), resolver=resolver, verify=verify))
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


@contextmanager
def run_uvicorn(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn on an ephemeral loopback port, in a thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # The server `mediacheck serve` runs (guarded protocol, asyncio's loop), with default limits.
    options = {**uvicorn_options(), "http": protocol_with(ServerLimits.from_settings(Settings()))}
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def live_for() -> Iterator[Callable[..., str]]:
    """Start real uvicorn servers over apps built from settings overrides; returns each base URL."""
    stack: list[Any] = []

    def start(resolver: Any = None, **overrides: Any) -> str:
        manager = run_uvicorn(create_app(make_settings(**overrides), resolver=resolver))
        url = manager.__enter__()
        stack.append(manager)
        return url

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)
