"""API keys guard /v1/*, and a bounded number of checks run at once (the rest get 503 with Retry-After)."""

from __future__ import annotations

import http.client
import json
import select
import socket
import struct
import time
from collections.abc import Callable

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.service.test_upload import BOUNDARY, MULTIPART, _head


def _upload(test_client: TestClient, mp3: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return test_client.post("/v1/checks/upload", files={"file": ("hold.mp3", mp3, "audio/mpeg")}, headers=headers)


def _hold_the_only_slot(base: str, body: bytes, *, sent: int, files: dict[str, tuple[str, bytes, str]],
                        ) -> tuple[socket.socket, httpx.Response]:
    """Start an upload of ``body`` that stops after ``sent`` bytes, and return it once it holds the only slot.

    The slow upload and the probing checks race for the one slot: when a probe holds it at the moment the
    upload arrives, the upload itself is answered 503 at once. That answer shows on its socket, and the upload
    starts over; a probe's 503 proves the upload holds the slot.
    """
    host, port = base.removeprefix("http://").split(":")
    deadline = time.monotonic() + 20
    while True:
        conn = socket.create_connection((host, int(port)))
        conn.sendall(f"POST /v1/checks/upload HTTP/1.1\r\nHost: {host}\r\n"
                     f"Content-Type: {MULTIPART['content-type']}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:sent])
        while True:
            assert time.monotonic() < deadline, "the slow upload never held the slot"
            probe = httpx.post(f"{base}/v1/checks/upload", files=files, timeout=30)
            if probe.status_code == 503:
                return conn, probe
            if select.select([conn], [], [], 0)[0]:  # the upload itself was turned away: start it again
                conn.close()
                break
            time.sleep(0.02)


class TestApiKeys:
    """With MEDIACHECK_API_KEYS set, /v1/* needs `Authorization: Bearer <key>`; without, it is open."""

    def test_no_keys_configured_means_open(self, client: TestClient, good_mp3: bytes) -> None:
        """Without configured keys a request without Authorization is served."""
        assert _upload(client, good_mp3).status_code == 200

    def test_missing_key_is_401_json(self, client_for: Callable[..., TestClient], good_mp3: bytes) -> None:
        """No Authorization header: 401 with a JSON body saying what to send, and WWW-Authenticate: Bearer."""
        response = _upload(client_for(api_keys=("k-one", "k-two")), good_mp3)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]

    @pytest.mark.parametrize("header", ["Bearer k-three", "Bearer k-on", "Bearer k-one2", "Basic k-one", "k-one",
                                        "Bearer K-ONE", "Bearer", "Bearer ", "Bearer k-one,k-two",
                                        "Bearer k-one k-two"])
    def test_wrong_key_is_401(self, client_for: Callable[..., TestClient], good_mp3: bytes, header: str) -> None:
        """A wrong key, a prefix or extension of a right one, or another scheme is refused."""
        response = _upload(client_for(api_keys=("k-one", "k-two")), good_mp3, {"Authorization": header})
        assert response.status_code == 401
        assert response.json()["detail"]

    @pytest.mark.parametrize("header", ["Bearer k-one", "Bearer k-two", "bearer k-one", "BEARER k-two"])
    def test_any_configured_key_is_accepted(self, client_for: Callable[..., TestClient], good_mp3: bytes,
                                            header: str) -> None:
        """Each of the configured keys lets the request through (the scheme name is case-insensitive, keys are not)."""
        response = _upload(client_for(api_keys=("k-one", "k-two")), good_mp3, {"Authorization": header})
        assert response.status_code == 200
        assert response.json()["ok"] is True

    def test_url_checks_need_the_key_too(self, client_for: Callable[..., TestClient]) -> None:
        """POST /v1/checks is guarded like the upload."""
        response = client_for(api_keys=("k-one",)).post("/v1/checks", json={"url": "https://example.com/a.mp3"})
        assert response.status_code == 401

    def test_healthz_needs_no_key(self, client_for: Callable[..., TestClient]) -> None:
        """Load balancers probe /healthz without credentials."""
        response = client_for(api_keys=("k-one",)).get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestCheckSlots:
    """Beyond MEDIACHECK_MAX_CONCURRENCY checks in flight the service answers 503 with Retry-After."""

    def test_busy_service_answers_503_then_recovers(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """While one slow upload holds the only slot, another check gets 503 + Retry-After; afterwards it passes."""
        base = live_for(max_concurrency=1, retry_after_s=7)
        files = {"file": ("hold.mp3", good_mp3, "audio/mpeg")}
        body = _head() + good_mp3 + f"\r\n--{BOUNDARY}--\r\n".encode()
        conn, busy = _hold_the_only_slot(base, body, sent=len(_head()) + 1000, files=files)
        with conn:
            assert busy.headers["retry-after"] == "7"
            assert "slots are busy" in busy.json()["detail"]
            conn.sendall(body[len(_head()) + 1000:])
            slow = http.client.HTTPResponse(conn)
            slow.begin()
            assert slow.status == 200
            assert json.loads(slow.read())["ok"] is True
        after = httpx.post(f"{base}/v1/checks/upload", files=files, timeout=30)
        assert after.status_code == 200

    def test_refused_and_failed_requests_release_their_slot(self, client_for: Callable[..., TestClient],
                                                             good_mp3: bytes) -> None:
        """With one slot, a run of 4xx answers does not leak it: the next good check still runs."""
        test_client = client_for(max_concurrency=1)
        for _ in range(3):
            assert test_client.post("/v1/checks/upload", content=b"junk", headers=MULTIPART).status_code == 422
            assert test_client.post("/v1/checks/upload", content=b"x",
                                    headers={"content-type": "text/plain"}).status_code == 415
        assert _upload(test_client, good_mp3).status_code == 200


class TestSlotsAfterDisconnects:
    """A client that vanishes mid-request gives its check slot back."""

    def test_client_gone_mid_upload_frees_the_only_slot(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """With one slot: an upload holding it is cut off with a reset; the service is usable again afterwards."""
        base = live_for(max_concurrency=1)
        body = _head() + good_mp3[:1000]
        files = {"file": ("hold.mp3", good_mp3, "audio/mpeg")}
        conn, _busy = _hold_the_only_slot(base, body + b"x" * 50_000, sent=len(body), files=files)
        with conn:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        deadline = time.monotonic() + 10
        while (status := httpx.post(f"{base}/v1/checks/upload", files=files, timeout=30).status_code) == 503:
            assert time.monotonic() < deadline, "the slot of the vanished client was never released"
            time.sleep(0.02)
        assert status == 200
