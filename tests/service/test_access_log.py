"""One JSON access-log line per request, a request id in and out of every answer, and no secret in either."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from mediacheck.service.access_log import ACCESS_LOGGER, JsonLogFormatter
from mediacheck.service.app import create_app
from tests.service.conftest import make_settings, run_uvicorn
from tests.support.servers import LoopbackServer, Static

LogLines = Callable[..., list[dict[str, Any]]]
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
FIELDS = {"time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms", "client",
          "bytes_in", "bytes_out"}


@pytest.fixture
def access_log() -> Iterator[tuple[io.StringIO, LogLines]]:
    """The access lines as the formatter writes them: the raw text, and a function that waits for n parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)

    def lines(count: int = 1) -> list[dict[str, Any]]:
        # A line is written once the answer has gone out, so a client can see the answer a moment before it.
        deadline = time.monotonic() + 10
        while len(parsed := [json.loads(line) for line in stream.getvalue().splitlines()]) < count:
            assert time.monotonic() < deadline, f"expected {count} access lines, got {parsed}"
            time.sleep(0.01)
        return parsed

    yield stream, lines
    logger.removeHandler(handler)
    logger.setLevel(level)


class TestLogLines:
    """Each request writes one JSON line with what an operator needs."""

    def test_one_line_per_request_with_every_field(self, live_for: Callable[..., str], good_mp3: bytes,
                                                   access_log: tuple[io.StringIO, LogLines]) -> None:
        """A real upload through uvicorn logs method, path, status, duration, client, bytes in and out, the id."""
        _, lines = access_log
        base = live_for()
        response = httpx.post(f"{base}/v1/checks/upload", files={"file": ("a.mp3", good_mp3, "audio/mpeg")},
                              headers={"X-Request-ID": "trace-42"}, timeout=30)
        (line,) = lines(1)
        assert set(line) == FIELDS
        assert line["request_id"] == "trace-42" == response.headers["x-request-id"]
        assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/checks/upload", 200)
        assert line["client"] == "127.0.0.1"
        assert line["bytes_in"] == int(response.request.headers["content-length"])
        assert line["bytes_out"] == len(response.content)
        assert line["logger"] == ACCESS_LOGGER
        assert line["level"] == "info"
        assert line["message"] == "POST /v1/checks/upload 200"
        assert line["duration_ms"] > 0
        assert line["time"].endswith("+00:00")

    def test_server_error_is_logged_and_tagged(self, access_log: tuple[io.StringIO, LogLines]) -> None:
        """A crashing route answers 500 with X-Request-ID, and its line says 500 (the request layer is outermost)."""
        _, lines = access_log
        app = create_app(make_settings())

        async def crash() -> None:
            raise RuntimeError("boom")

        app.add_api_route("/crash", crash)
        with run_uvicorn(app) as base:
            response = httpx.get(f"{base}/crash", headers={"X-Request-ID": "crash-1"}, timeout=10)
            (line,) = lines(1)
        assert response.status_code == 500
        assert response.headers["x-request-id"] == "crash-1"
        assert (line["status"], line["request_id"], line["path"]) == (500, "crash-1", "/crash")


class TestRequestIds:
    """X-Request-ID: the client's when it is sane, else a fresh one; echoed on every answer."""

    @pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
        ("GET", "/healthz", {}, 200),
        ("GET", "/no/such/path", {}, 404),
        ("POST", "/v1/checks", {"json": {"url": 5}}, 422),
        ("POST", "/v1/checks", {"content": b"x" * 70_000}, 413),  # refused by the body-size middleware
        ("GET", "/healthz?token=abc", {}, 400),  # refused by the request layer itself
    ])
    def test_echoed_on_every_answer(self, client: TestClient, method: str, path: str, kwargs: dict[str, Any],
                                    status: int) -> None:
        """Success, 404, 422, 413 from middleware and 400 from the request layer all carry the id sent."""
        response = client.request(method, path, headers={"X-Request-ID": "req-7f3a"}, **kwargs)
        assert response.status_code == status
        assert response.headers.get_list("x-request-id") == ["req-7f3a"]

    def test_generated_when_absent(self, client: TestClient, access_log: tuple[io.StringIO, LogLines]) -> None:
        """Without a header each answer gets a new random id, and the log line carries the same one."""
        _, lines = access_log
        first, second = client.get("/healthz"), client.get("/healthz")
        ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
        assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids)
        assert ids[0] != ids[1]
        assert [line["request_id"] for line in lines(2)] == ids

    @pytest.mark.parametrize("sent", ["a" * 129, "has space", 'quote"d', "-leading-dash", "semi;colon", "é"])
    def test_insane_ids_are_replaced(self, client: TestClient, access_log: tuple[io.StringIO, LogLines],
                                     sent: str) -> None:
        """An id that is too long or has odd characters is replaced by a fresh one, in the answer and the log."""
        raw, lines = access_log
        response = client.get("/healthz", headers={b"X-Request-ID": sent.encode("utf-8")})
        assert GENERATED_ID.fullmatch(response.headers["x-request-id"])
        assert lines(1)[0]["request_id"] == response.headers["x-request-id"]
        assert sent not in raw.getvalue()

    def test_longest_sane_id_is_kept(self, client: TestClient) -> None:
        """128 characters of the allowed set is still the client's own id (UUIDs, W3C and AWS trace ids)."""
        sent = "Root=1-" + "a" * 121
        assert client.get("/healthz", headers={"X-Request-ID": sent}).headers["x-request-id"] == sent


class TestNoSecrets:
    """Neither keys nor presigned-URL signatures ever reach the log."""

    @pytest.mark.parametrize("query", ["api_key=SECRET-Q", "KEY=SECRET-Q", "Token=SECRET-Q", "access_token=SECRET-Q",
                                       "x=1&apikey=SECRET-Q", "%6Bey=SECRET-Q", "api-key=SECRET-Q"])
    @pytest.mark.parametrize("path", ["/v1/checks", "/healthz"])
    def test_keys_in_the_query_string_are_refused(self, client_for: Callable[..., TestClient],
                                                  access_log: tuple[io.StringIO, LogLines], query: str,
                                                  path: str) -> None:
        """A key-like query parameter is a 400 that points to the Authorization header, even with a valid key."""
        raw, lines = access_log
        client = client_for(api_keys=("SECRET-Q",))
        method = "POST" if path.startswith("/v1") else "GET"
        response = client.request(method, f"{path}?{query}", json={"url": "http://127.0.0.1:9/a.mp3"},
                                  headers={"Authorization": "Bearer SECRET-Q"})
        assert response.status_code == 400
        assert "Authorization: Bearer" in response.json()["detail"]
        assert lines(1)[0]["status"] == 400
        assert lines(1)[0]["path"] == path
        assert "SECRET-Q" not in raw.getvalue()

    def test_other_query_parameters_pass(self, client: TestClient) -> None:
        """Parameters that are not key-like are left alone (a cache-buster on /healthz still gets 200)."""
        assert client.get("/healthz?ts=1&keyboard=1&monkey=2").status_code == 200

    def test_authorization_and_presigned_urls_are_not_logged(self, live_for: Callable[..., str], good_mp3: bytes,
                                                             access_log: tuple[io.StringIO, LogLines]) -> None:
        """The bearer key, a presigned URL's signature in the body, and the fetched URL appear in no line."""
        raw, lines = access_log
        base = live_for(api_keys=("BEARER-SECRET",))
        with LoopbackServer({"/hold.mp3": Static(good_mp3)}) as server:
            url = server.url("/hold.mp3?X-Amz-Credential=CRED-SECRET&X-Amz-Signature=SIG-SECRET")
            response = httpx.post(f"{base}/v1/checks", json={"url": url},
                                  headers={"Authorization": "Bearer BEARER-SECRET"}, timeout=30)
        assert response.json()["ok"] is True
        assert lines(1)[0]["path"] == "/v1/checks"
        for secret in ("BEARER-SECRET", "CRED-SECRET", "SIG-SECRET", "hold.mp3"):
            assert secret not in raw.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_mediacheck_serve_writes_json_lines_and_no_uvicorn_access_log() -> None:
    """`mediacheck serve` prints one JSON line per request on stdout, and uvicorn's own access log is off."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "mediacheck", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "serve-1"}, timeout=5)
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the service did not start within 30 s"
                time.sleep(0.1)
        # A refusal below the app (a header block over the 16 KiB cap): an id on the answer and a line of its own.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].decode()
        assert head.startswith("HTTP/1.1 431 ")
        refused_id = re.search(r"(?im)^x-request-id: ([0-9a-f]{32})\r?$", head)
        assert refused_id is not None, head
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [(line["request_id"], line["path"], line["status"]) for line in lines] == [
        ("serve-1", "/healthz", 200), (refused_id[1], None, 431)]
    assert lines[1]["client"] == "127.0.0.1"
    assert lines[1]["reason"].startswith("The request line and headers exceed 16,384 bytes")
    assert b"GET /healthz" not in err  # uvicorn's access format ('"GET /healthz HTTP/1.1" 200') appears nowhere
