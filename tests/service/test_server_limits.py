"""The server `mediacheck serve` runs bounds what one client may hold: header size, header, body and idle time.

Each test attacks a real `mediacheck serve` process over loopback with raw sockets, as a hostile client
would. The servers run with 1-second deadlines; every test waits far longer (15 s) for the server to act,
so a pass means "the server closed it", never "the test gave up".
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mediacheck.service.server import ServerLimits, protocol_with, uvicorn_options
from mediacheck.service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PATIENCE_S = 15.0  # how long a test waits for the server to act on a 1-second deadline
HEADER_CAP = 16 * 1024


@dataclass
class ServiceProcess:
    """A running `mediacheck serve` process and the port it listens on."""

    process: subprocess.Popen[bytes]
    port: int

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE_S)
        return sock

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM in /proc status")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(sock: socket.socket, path: str = "/healthz") -> tuple[int, bytes]:
    """Send a GET on ``sock`` and read one Content-Length answer: (status, body)."""
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
    return _read_response(sock)


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full answer: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        body += chunk
    return int(head.split(b" ", 2)[1]), body


def _closed_by_server(sock: socket.socket, within_s: float = PATIENCE_S) -> bool:
    """Read until the server closes (True) or ``within_s`` passes with the connection open (False)."""
    deadline = time.monotonic() + within_s
    try:
        while True:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.settimeout(PATIENCE_S)


def _service_env(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MEDIACHECK_") or name == "MEDIACHECK_FFMPEG"}
    env.update({f"MEDIACHECK_{name.upper()}": value for name, value in settings.items()})
    return env


def _start(command: list[str], env: dict[str, str], port: int, fd_limit: int | None = None) -> ServiceProcess:
    def limit_descriptors() -> None:
        if fd_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=limit_descriptors)
    service = ServiceProcess(process, port)
    deadline = time.monotonic() + 30
    while True:
        try:
            with service.connect() as sock:
                if _get(sock)[0] == 200:
                    return service
        except OSError:
            assert process.poll() is None, "the service exited during start-up"
            assert time.monotonic() < deadline, "the service did not start within 30 s"
            time.sleep(0.1)


def _serve(fd_limit: int | None = None, **settings: str) -> Iterator[ServiceProcess]:
    port = _free_port()
    service = _start([sys.executable, "-m", "mediacheck", "serve", "--port", str(port)], _service_env(**settings),
                     port, fd_limit)
    try:
        yield service
    finally:
        service.process.terminate()
        service.process.wait(timeout=30)


@pytest.fixture(scope="module")
def quick_service() -> Iterator[ServiceProcess]:
    """`mediacheck serve` with 1-second header, body and keep-alive deadlines."""
    yield from _serve(header_timeout_s="1", body_timeout_s="1", keep_alive_s="1")


@pytest.fixture(scope="module")
def crowded_service() -> Iterator[ServiceProcess]:
    """`mediacheck serve` in a process of 1,024 descriptors, with deadlines too long to help within a test."""
    yield from _serve(fd_limit=1024, header_timeout_s="120", body_timeout_s="120")


def _send_until_answered(sock: socket.socket, payload: bytes) -> tuple[int, int, bytes]:
    """Send ``payload`` while watching for an answer; returns (bytes sent, status, body) once one comes."""
    sock.setblocking(False)
    sent = 0
    deadline = time.monotonic() + PATIENCE_S * 4
    try:
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < len(payload) else [], [], 1)
            if readable:
                break
            if writable:
                try:
                    sent += sock.send(payload[sent:sent + 256 * 1024])
                except (BlockingIOError, InterruptedError):
                    continue
    finally:
        sock.setblocking(True)
    status, body = _read_response(sock)
    return sent, status, body


class TestHeaderSize:
    """Request line plus headers are capped at MEDIACHECK_MAX_HEADER_BYTES (16 KiB), answered 431 in JSON."""

    def test_a_16_mb_request_line_is_refused_before_it_is_read(self, quick_service: ServiceProcess) -> None:
        """A 16 MB URL gets 431 with a JSON detail long before the client has sent it all."""
        payload = b"GET /" + b"a" * (16 * 1024 * 1024) + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        with quick_service.connect() as sock:
            sent, status, body = _send_until_answered(sock, payload)
            assert status == 431
            assert json.loads(body)["detail"].startswith("The request line and headers exceed 16,384 bytes")
            assert sent < len(payload) // 2
            assert _closed_by_server(sock)

    def test_a_128_mb_header_costs_neither_memory_nor_the_health_check(self, quick_service: ServiceProcess) -> None:
        """One 128 MB header is refused with 431 at once; the server's peak memory barely moves."""
        rss_before = quick_service.peak_rss_mb()
        payload = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * (128 * 1024 * 1024)
        with quick_service.connect() as sock:
            sent, status, _ = _send_until_answered(sock, payload)
        assert status == 431
        assert sent < 32 * 1024 * 1024  # what loopback buffers hold before the answer is read, at most
        assert quick_service.peak_rss_mb() - rss_before < 32
        with quick_service.connect() as sock:
            assert _get(sock)[0] == 200

    def test_headers_under_the_cap_and_a_body_in_the_same_packet_pass(self, quick_service: ServiceProcess) -> None:
        """15 KB of headers is served; a 30 KB JSON body sent with its headers in one write is not 'a header'."""
        with quick_service.connect() as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 15_000 + b"\r\n\r\n")
            assert _read_response(sock)[0] == 200
            body = json.dumps({"url": "https://203.0.113.9/" + "a" * 30_000}).encode()
            sock.sendall(b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            status, answer = _read_response(sock)
        assert status == 422  # the URL is over 2,048 characters: the app read the body and said so
        assert "url" in answer.decode()


class TestDeadlines:
    """Headers, bodies and idle keep-alive connections each have a deadline; none can hold a connection."""

    def test_a_connection_that_sends_nothing_is_closed(self, quick_service: ServiceProcess) -> None:
        """A client that connects and stays silent is closed after the header deadline, without an answer."""
        with quick_service.connect() as sock:
            assert _closed_by_server(sock)

    def test_unfinished_headers_get_408_and_close(self, quick_service: ServiceProcess) -> None:
        """Half a request head, never finished, is answered 408 (JSON) and closed."""
        with quick_service.connect() as sock:
            sock.sendall(b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            status, body = _read_response(sock)
            assert status == 408
            assert "headers did not arrive" in json.loads(body)["detail"]
            assert _closed_by_server(sock)

    def test_a_body_dripped_a_byte_at_a_time_is_cut_with_408(self, quick_service: ServiceProcess) -> None:
        """A body sent a byte every quarter second (far under the minimum rate) is answered 408 and closed."""
        with quick_service.connect() as sock:
            sock.sendall(b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 200\r\n\r\n{")
            sock.settimeout(0.25)
            deadline = time.monotonic() + PATIENCE_S
            answer = b""
            while not answer and time.monotonic() < deadline:
                try:
                    answer = sock.recv(65536)
                except TimeoutError:
                    sock.sendall(b" ")
            sock.settimeout(PATIENCE_S)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert b"arrived too slowly" in answer
            assert _closed_by_server(sock)

    def test_an_idle_keep_alive_connection_is_closed_despite_stray_bytes(self, quick_service: ServiceProcess) -> None:
        """After an answer, bare CRLFs (no request) cannot keep the connection open past its deadlines."""
        with quick_service.connect() as sock:
            assert _get(sock)[0] == 200
            deadline = time.monotonic() + PATIENCE_S
            closed = False
            while not closed and time.monotonic() < deadline:
                try:
                    sock.sendall(b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                closed = _closed_by_server(sock, within_s=0.25)
            assert closed


class TestConnectionCap:
    """Connections are capped below the descriptor limit; the longest-waiting one makes room for a new one."""

    @pytest.mark.parametrize("half_request", [
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", id="unfinished-headers"),
        pytest.param(b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{", id="unfinished-body"),
    ])
    def test_1100_half_open_requests_leave_healthz_answering(self, crowded_service: ServiceProcess,
                                                             half_request: bytes) -> None:
        """1,100 half-sent requests in a 1,024-descriptor process: /healthz still answers 200 every time."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4096 <= hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
        crowd: list[socket.socket] = []
        try:
            for _ in range(1100):
                sock = crowded_service.connect()
                sock.sendall(half_request)
                crowd.append(sock)
            for _ in range(5):
                with crowded_service.connect() as probe:
                    assert _get(probe) == (200, b'{"status":"ok"}')
            evicted = sum(_closed_by_server(sock, within_s=0) for sock in crowd)
            assert evicted > 0  # room was made by closing the longest-waiting crowd members
        finally:
            for sock in crowd:
                sock.close()


def test_the_documented_uvicorn_command_applies_the_same_limits() -> None:
    """The documented `uvicorn ... --http mediacheck.service.server:GuardedHttpProtocol ...` line caps headers too."""
    port = _free_port()
    service = _start([sys.executable, "-m", "uvicorn", "mediacheck.service.app:app", "--port", str(port),
                      "--http", "mediacheck.service.server:GuardedHttpProtocol", "--loop", "asyncio", "--ws", "none",
                      "--backlog", "256"],
                     _service_env(max_header_bytes="4096"), port)
    try:
        with service.connect() as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 5000 + b"\r\n\r\n")
            status, body = _read_response(sock)
        assert status == 431
        assert "4,096 bytes" in json.loads(body)["detail"]
    finally:
        service.process.terminate()
        service.process.wait(timeout=30)


class RecordingApp:
    """An ASGI app that notes each request as it is called and answers with the body length it read."""

    def __init__(self) -> None:
        self.called: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.called.append(scope["path"])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = str(len(body)).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})


class HastyApp:
    """An ASGI app that answers at once, reading none of the body (as a route refusing a request does)."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"no"})


class HalfAnsweringApp:
    """An ASGI app that starts its answer at once, then waits for the whole body before finishing it."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.body", "body": b"cd"})


@contextmanager
def _in_process_server(app: Any, **settings: Any) -> Iterator[int]:
    limits = ServerLimits.from_settings(Settings(**settings))
    options = {**uvicorn_options(), "http": protocol_with(limits), "lifespan": "off"}
    config = uvicorn.Config(app, log_level="warning", **options)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            time.sleep(0.01)
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_refused_connections_still_lingering_make_room_for_new_ones() -> None:
    """At the cap, connections refused a moment ago (431, still lingering) are closed for a new client."""
    app = RecordingApp()
    refused = []
    with _in_process_server(app, max_connections=8) as port:
        try:
            for _ in range(8):
                sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 20_000 + b"\r\n\r\n")
                assert _read_response(sock)[0] == 431
                refused.append(sock)
            with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S) as newcomer:
                assert _get(newcomer, "/newcomer") == (200, b"0")
        finally:
            for sock in refused:
                sock.close()


def test_refused_connections_are_evicted_before_an_idle_client() -> None:
    """At the cap, a client idle between requests outlives connections refused after it: those are closed first."""
    app = RecordingApp()
    refused = []
    with _in_process_server(app, max_connections=8) as port, socket.create_connection(
            ("127.0.0.1", port), timeout=PATIENCE_S) as idle:
        assert _get(idle, "/first") == (200, b"0")  # now waiting for its next request, the longest of all
        try:
            for _ in range(7):
                sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 20_000 + b"\r\n\r\n")
                assert _read_response(sock)[0] == 431
                refused.append(sock)
            with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S) as newcomer:
                assert _get(newcomer, "/newcomer") == (200, b"0")
            assert _get(idle, "/second") == (200, b"0")
        finally:
            for sock in refused:
                sock.close()


def test_an_answer_begun_is_cut_never_followed_by_a_refusal() -> None:
    """The body stalls after the app has started answering: the connection is closed mid-answer; no 408 is written
    into or after the app's bytes."""
    with _in_process_server(HalfAnsweringApp(), body_timeout_s=1) as port, socket.create_connection(
            ("127.0.0.1", port), timeout=PATIENCE_S) as sock:
        sock.sendall(b"POST /v1/checks/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\nxx")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b"ab"


def test_a_body_dripping_after_the_answer_is_closed_without_a_second_answer() -> None:
    """The app answered without reading the body; the client's slow rest of it is cut by a close, not a 408."""
    with _in_process_server(HastyApp(), body_timeout_s=1) as port, socket.create_connection(
            ("127.0.0.1", port), timeout=PATIENCE_S) as sock:
        sock.sendall(b"POST /v1/checks/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\nxx")
        assert _read_response(sock) == (200, b"no")
        sock.settimeout(0.25)
        deadline = time.monotonic() + PATIENCE_S
        rest = b"?"
        while rest and time.monotonic() < deadline:
            try:
                rest = sock.recv(65536)
                assert rest == b"", f"a second answer: {rest!r}"
            except TimeoutError:
                sock.sendall(b"x")
        assert rest == b""


class HeldApp:
    """An ASGI app that answers ``/held`` only once :meth:`release` is called (or the client is gone) and
    everything else at once; it notes each request as it starts and each that learned its client was gone."""

    def __init__(self) -> None:
        self.called: list[str] = []
        self.gone: list[str] = []
        self.released = threading.Event()

    def release(self) -> None:
        """Let every held answer go."""
        self.released.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        self.called.append(path)
        while (await receive()).get("more_body"):
            pass
        if path.startswith("/held"):
            disconnect = asyncio.ensure_future(receive())
            while not self.released.is_set():
                if disconnect.done():
                    self.gone.append(path)
                    return
                await asyncio.sleep(0.01)
            disconnect.cancel()
        answer = path.encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def _pipelined(*paths: str) -> bytes:
    return b"".join(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode() for path in paths)


def _read_answers(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """Read ``count`` Content-Length answers sent back to back (one recv may hold several): (status, body) each."""
    answers: list[tuple[int, bytes]] = []
    with sock.makefile("rb") as stream:
        for _ in range(count):
            status = int(stream.readline().split(b" ", 2)[1])
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            answers.append((status, stream.read(length)))
    return answers


class TestPipelining:
    """Requests sent before the previous answer (HTTP/1.1 pipelining) are answered in turn, and boundedly."""

    def test_a_pipelined_request_being_answered_is_not_idle(self) -> None:
        """Once the first answer is out, the connection serves the pipelined request, however long it takes: the
        keep-alive deadline (0.2 s) does not close it in the meantime."""
        app = HeldApp()
        with _in_process_server(app, keep_alive_s=0.2) as port, socket.create_connection(
                ("127.0.0.1", port), timeout=PATIENCE_S) as sock:
            sock.sendall(_pipelined("/first", "/held"))
            assert _read_answers(sock, 1) == [(200, b"/first")]
            _wait_for(lambda: "/held" in app.called, "the pipelined request reached the app")
            time.sleep(1.0)  # five keep-alive deadlines: an idle connection would be closed by now
            app.release()
            assert _read_answers(sock, 1) == [(200, b"/held")]
            sock.sendall(_pipelined("/after"))
            assert _read_answers(sock, 1) == [(200, b"/after")]

    def test_16_queued_requests_are_all_answered_in_order(self) -> None:
        """One request being answered and 16 queued behind it: all 17 answers come, in order."""
        app = HeldApp()
        paths = ["/held"] + [f"/queued/{i}" for i in range(16)]
        with _in_process_server(app) as port, socket.create_connection(("127.0.0.1", port),
                                                                       timeout=PATIENCE_S) as sock:
            sock.sendall(_pipelined(*paths))
            _wait_for(lambda: "/held" in app.called, "the first request reached the app")
            app.release()
            assert _read_answers(sock, len(paths)) == [(200, path.encode()) for path in paths]

    def test_more_than_16_queued_requests_close_the_connection(self) -> None:
        """A client that queues a 17th request behind the one being answered is cut off: none of the queued
        requests runs, and the one being answered learns its client is gone (its work is not left running)."""
        app = HeldApp()
        with _in_process_server(app) as port, socket.create_connection(("127.0.0.1", port),
                                                                       timeout=PATIENCE_S) as sock:
            sock.sendall(_pipelined("/held", *(f"/queued/{i}" for i in range(500))))
            assert _closed_by_server(sock)
            _wait_for(lambda: app.gone == ["/held"], "the request being answered was told its client is gone")
            with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S) as other:
                assert _get(other, "/other") == (200, b"/other")
        assert app.called == ["/held", "/other"]


class TestSmallBodies:
    """A small request body is read whole before the app is called; large ones stream to it as they come."""

    def _post_head(self, path: str, length: int, extra: bytes = b"") -> bytes:
        return (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                b"%s\r\n" % (path.encode(), length, extra))

    def _flush(self, port: int) -> None:
        # A request on another connection, answered: the server has handled everything sent before it.
        with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_S) as probe:
            assert _get(probe, "/flush")[0] == 200

    def test_a_half_sent_json_body_does_not_reach_the_app(self) -> None:
        """The app is called once the 100-byte body is complete, not at the headers."""
        app = RecordingApp()
        with _in_process_server(app) as port, socket.create_connection(("127.0.0.1", port),
                                                                       timeout=PATIENCE_S) as sock:
            sock.sendall(self._post_head("/v1/checks", 100) + b"{" + b" " * 49)
            self._flush(port)
            assert "/v1/checks" not in app.called
            sock.sendall(b" " * 49 + b"}")
            assert _read_response(sock) == (200, b"100")
            assert app.called.count("/v1/checks") == 1

    def test_a_small_upload_streams_to_the_app(self) -> None:
        """A multipart upload, even a small one, reaches the app before it is complete (checked as it arrives)."""
        app = RecordingApp()
        with _in_process_server(app) as port, socket.create_connection(("127.0.0.1", port),
                                                                       timeout=PATIENCE_S) as sock:
            sock.sendall(self._post_head("/v1/checks/upload", 100).replace(
                b"application/json", b"multipart/form-data; boundary=b") + b"x" * 50)
            self._flush(port)
            assert "/v1/checks/upload" in app.called
            sock.sendall(b"x" * 50)
            assert _read_response(sock) == (200, b"100")

    def test_a_large_body_streams_to_the_app(self) -> None:
        """A body over 64 KiB reaches the app before it is complete (its buffer would fill and stop reading)."""
        app = RecordingApp()
        with _in_process_server(app) as port, socket.create_connection(("127.0.0.1", port),
                                                                       timeout=PATIENCE_S) as sock:
            sock.sendall(self._post_head("/v1/checks/upload", 1_000_000) + b"x" * 1000)
            self._flush(port)
            assert "/v1/checks/upload" in app.called
            sock.sendall(b"x" * 999_000)
            assert _read_response(sock) == (200, b"1000000")

    def test_a_client_waiting_for_100_continue_is_not_kept_waiting(self) -> None:
        """With `Expect: 100-continue` the app is called at the headers, so the client gets its `100 Continue`."""
        app = RecordingApp()
        with _in_process_server(app) as port, socket.create_connection(("127.0.0.1", port),
                                                                       timeout=PATIENCE_S) as sock:
            sock.sendall(self._post_head("/v1/checks", 10, b"Expect: 100-continue\r\n"))
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
            sock.sendall(b"0123456789")
            assert _read_response(sock) == (200, b"10")


class TestServerSettings:
    """The server's bounds are MEDIACHECK_* settings with safe defaults."""

    def test_defaults(self) -> None:
        """16 KiB of headers, 10 s for headers, 10 s then 1 KiB/s for bodies, 5 s idle, 1,000 connections."""
        limits = ServerLimits.from_settings(Settings())
        assert (limits.max_header_bytes, limits.header_timeout_s, limits.body_timeout_s,
                limits.body_min_bytes_per_s, limits.keep_alive_s, limits.max_connections) == (
            16384, 10.0, 10.0, 1024, 5.0, 1000)

    def test_read_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each bound has its MEDIACHECK_* variable."""
        for name, value in [("MAX_HEADER_BYTES", "8192"), ("HEADER_TIMEOUT_S", "2.5"), ("BODY_TIMEOUT_S", "3"),
                            ("BODY_MIN_BYTES_PER_S", "4096"), ("KEEP_ALIVE_S", "1"), ("MAX_CONNECTIONS", "200")]:
            monkeypatch.setenv(f"MEDIACHECK_{name}", value)
        limits = ServerLimits.from_settings(Settings())
        assert (limits.max_header_bytes, limits.header_timeout_s, limits.body_timeout_s,
                limits.body_min_bytes_per_s, limits.keep_alive_s, limits.max_connections) == (
            8192, 2.5, 3.0, 4096, 1.0, 200)

    @pytest.mark.parametrize(("name", "value"), [
        ("MEDIACHECK_MAX_HEADER_BYTES", "100"),  # below any real request: a typo, not a choice
        ("MEDIACHECK_HEADER_TIMEOUT_S", "0"),
        ("MEDIACHECK_BODY_TIMEOUT_S", "inf"),
        ("MEDIACHECK_BODY_MIN_BYTES_PER_S", "0"),
        ("MEDIACHECK_KEEP_ALIVE_S", "-1"),
        ("MEDIACHECK_MAX_CONNECTIONS", "0"),
    ])
    def test_bad_values_stop_start_up(self, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
        """A bound that would disable itself or the service is refused, naming the field."""
        from pydantic import ValidationError

        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError) as caught:
            Settings()
        assert name.removeprefix("MEDIACHECK_").lower() in str(caught.value)
