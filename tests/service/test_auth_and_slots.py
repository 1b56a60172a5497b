"""API keys guard /v1/*, and a bounded number of checks run at once (the rest get 503 with Retry-After)."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from mediacheck.service.routes.dialin import PINLESS_EXAMPLE
from tests.service.inflight import Callers, StalledUpstream, wait_until
from tests.service.test_upload import MULTIPART, _head


def _upload(test_client: TestClient, mp3: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return test_client.post("/v1/checks/upload", files={"file": ("hold.mp3", mp3, "audio/mpeg")}, headers=headers)


def _hold_an_upload(base: str, body: bytes, *, sent: int, source: str = "127.0.0.1") -> socket.socket:
    """Start an upload of ``body`` that stops after ``sent`` bytes, leaving the socket open and the upload in flight."""
    host, port = base.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), source_address=(source, 0))
    conn.sendall(f"POST /v1/checks/upload HTTP/1.1\r\nHost: {host}\r\n"
                 f"Content-Type: {MULTIPART['content-type']}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:sent])
    return conn


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
        """While one check holds the only slot, another gets 503, Retry-After and a JSON detail; then it passes."""
        base = live_for(max_concurrency=1, retry_after_s=7)
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = callers.post("127.0.0.1", f"{base}/v1/checks", json={"url": upstream.url()})
            wait_until(lambda: upstream.waiting == 1, "the first check reached the upstream")
            busy = httpx.post(f"{base}/v1/checks", json={"url": upstream.url("/other.mp3")}, timeout=30)
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == "7"
            assert "slots are busy" in busy.json()["detail"]
            assert upstream.waiting == 1  # the refused check fetched nothing
            upstream.release()
            assert held.result().status_code == 200
            assert held.result().json()["ok"] is True
            after = httpx.post(f"{base}/v1/checks", json={"url": upstream.url()}, timeout=30)
        assert after.status_code == 200

    def test_refused_and_failed_requests_release_their_slot(self, client_for: Callable[..., TestClient],
                                                             good_mp3: bytes) -> None:
        """With one slot of each kind, a run of 4xx answers leaks none of them: the next good check still runs."""
        test_client = client_for(max_concurrency=1, max_uploads=1, max_uploads_per_client=1, max_checks_per_client=1)
        for _ in range(3):
            assert test_client.post("/v1/checks/upload", content=b"junk", headers=MULTIPART).status_code == 422
            assert test_client.post("/v1/checks/upload", content=b"x",
                                    headers={"content-type": "text/plain"}).status_code == 415
            assert test_client.post("/v1/checks/upload?max_bytes=0", files={"file": ("a.mp3", good_mp3)},
                                    ).status_code == 422
            assert test_client.post("/v1/checks", json={"url": "ftp://x", "max_bytes": 10**9}).status_code == 422
        assert _upload(test_client, good_mp3).status_code == 200
        assert test_client.post("/v1/checks", json={"url": "ftp://x"}).status_code == 200


class TestSlotsAfterDisconnects:
    """A client that vanishes mid-request gives its slot back at once."""

    def test_client_gone_mid_upload_frees_the_only_upload_slot(self, live_for: Callable[..., str],
                                                               good_mp3: bytes) -> None:
        """With one upload slot: an upload holding it is cut off with a reset; uploads are served again afterwards."""
        base = live_for(max_uploads=1)
        body = _head() + good_mp3[:1000]
        files = {"file": ("hold.mp3", good_mp3, "audio/mpeg")}
        with _hold_an_upload(base, body + b"x" * 50_000, sent=len(body)) as conn:
            wait_until(lambda: httpx.post(f"{base}/v1/checks/upload", files=files, timeout=30).status_code == 503,
                       "the slow upload held the only upload slot")
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        wait_until(lambda: httpx.post(f"{base}/v1/checks/upload", files=files, timeout=30).status_code == 200,
                   "the slot of the vanished client was released", timeout_s=10)

    @pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
    def test_hung_up_url_check_is_cancelled_and_frees_its_slot(self, live_for: Callable[..., str], good_mp3: bytes,
                                                               reset: bool) -> None:
        """A URL check whose client hangs up stops fetching from an endless upstream and frees the only slot at once.

        The fetch deadline is 30 s; the next check must not wait for it (nor get 503).
        """
        base = live_for(max_concurrency=1)
        port = int(base.rsplit(":", 1)[1])
        with StalledUpstream(good_mp3, head_first=True) as endless:
            body = json.dumps({"url": endless.url()}).encode()
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            wait_until(lambda: endless.waiting == 1, "the check reached the endless upstream")
            probe = httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=30)
            assert probe.status_code == 503  # the hanging check holds the only slot
            hung_up = time.monotonic()
            if reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            assert endless.closed_early.wait(5), "the fetch of the endless upstream went on after the hang-up"
            wait_until(lambda: httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=30).status_code == 200,
                       "the hung-up check's slot was free again", timeout_s=5)
            freed_after = time.monotonic() - hung_up
        assert freed_after < 5

    def test_hung_up_dialin_validation_frees_its_slot(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """The dial-in validator's hold-music fetch is cancelled with its request too."""
        base = live_for(max_concurrency=1, resolver=lambda host, port: ["93.184.216.34"])
        port = int(base.rsplit(":", 1)[1])
        with StalledUpstream(good_mp3, head_first=True) as endless:
            config = {**PINLESS_EXAMPLE, "hold_music_url": endless.url()}
            body = json.dumps(config).encode()
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST /v1/dialin-configs/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            wait_until(lambda: endless.waiting == 1, "the hold music's fetch reached the endless upstream")
            conn.close()
            assert endless.closed_early.wait(5), "the hold music's fetch went on after the hang-up"
            wait_until(lambda: httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=30).status_code == 200,
                       "the hung-up validation's slot was free again", timeout_s=5)
