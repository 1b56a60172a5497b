"""A real loopback HTTP(S) server for tests: routes map paths to canned answers or to handler functions.

Every test that fetches talks to one of these on 127.0.0.1 (or ::1), never to another address.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Static:
    """A canned answer: status, headers and a body sent with Content-Length (or chunked when ``chunked``)."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "audio/mpeg"
    headers: tuple[tuple[str, str], ...] = ()
    chunked: bool = False
    chunk_size: int = 16 * 1024


@dataclass(frozen=True)
class Redirect:
    """A redirect to ``location`` with the given status."""

    location: str
    status: int = 302


@dataclass(frozen=True)
class Stream:
    """A chunked body produced lazily by ``chunks`` (may be endless: the client decides when to stop)."""

    chunks: Callable[[], Iterable[bytes]]
    status: int = 200
    content_type: str | None = "audio/mpeg"
    headers: tuple[tuple[str, str], ...] = ()


Route = Static | Redirect | Stream | Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5; tests that open 16+ connections at once would see some
    # connects dropped and retried a second later by the kernel.
    request_queue_size = 128
    allow_reuse_address = True

    def server_bind(self) -> None:
        """Bind without HTTPServer's ``socket.getfqdn``: a reverse lookup of the address would ask DNS."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that stops reading early (the point of a streaming check) resets the connection.
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class LoopbackServer:
    """A threaded HTTP server on an ephemeral loopback port; use as a context manager."""

    routes: Mapping[str, Route] = field(default_factory=dict)
    host: str = "127.0.0.1"
    ssl_context: ssl.SSLContext | None = None
    hits: Counter[str] = field(default_factory=Counter)
    bytes_sent: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        server_class = _Server
        if ":" in self.host:
            import socket

            class _Server6(_Server):
                address_family = socket.AF_INET6

            server_class = _Server6
        self._httpd = server_class((self.host, 0), self._handler_class())
        if self.ssl_context is not None:
            self._httpd.socket = self.ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        # serve_forever polls for shutdown every 0.5 s by default: each server's exit cost that much per test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="loopback-http", daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        """scheme://host:port of this server."""
        scheme = "https" if self.ssl_context is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.origin + path

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _RouteHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _send_body_parts(self, path: str, parts: Iterator[bytes] | Iterable[bytes]) -> None:
                for part in parts:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    server.bytes_sent[path] += len(part)
                self.wfile.write(b"0\r\n\r\n")

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                route = server.routes.get(path)
                try:
                    if route is None:
                        self._static(path, Static(b"not found", status=404, content_type="text/plain"))
                    elif isinstance(route, Static):
                        self._static(path, route)
                    elif isinstance(route, Redirect):
                        self.send_response(route.status)
                        self.send_header("Location", route.location)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif isinstance(route, Stream):
                        self.send_response(route.status)
                        if route.content_type:
                            self.send_header("Content-Type", route.content_type)
                        for name, value in route.headers:
                            self.send_header(name, value)
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        self._send_body_parts(path, route.chunks())
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    self.close_connection = True

            def _static(self, path: str, route: Static) -> None:
                self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                for name, value in route.headers:
                    self.send_header(name, value)
                if route.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    body = route.body
                    self._send_body_parts(
                        path, (body[i:i + route.chunk_size] for i in range(0, len(body), route.chunk_size))
                    )
                else:
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                    server.bytes_sent[path] += len(route.body)

            do_HEAD = do_GET

        return _RouteHandler


# -- raw-socket servers: answers no well-behaved HTTP server gives ---------------------------------------------

RawResponder = Callable[[socket.socket, bytes, threading.Event], None]


class RawServer:
    """A TCP server on loopback that reads each request head and hands the socket to ``respond``.

    For misbehaving peers (drips, resets, lying Content-Length, compressed bombs) that ``http.server``
    cannot play. ``respond(conn, request_head, stopping)`` owns the connection; ``stopping`` is set on exit
    so endless responders end. ``requests`` keeps every request head received.
    """

    def __init__(self, respond: RawResponder, host: str = "127.0.0.1") -> None:
        self._respond = respond
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="raw-loopback", daemon=True)
        self.requests: list[bytes] = []

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._sock.getsockname()[1])

    def url(self, path: str) -> str:
        """The absolute http URL of ``path`` on this server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                self.requests.append(head)
                self._respond(conn, head, self._stopping)
            except OSError:
                return


def response_head(status: int = 200, headers: Iterable[tuple[str, str]] = (), *,
                  content_type: str | None = "audio/mpeg") -> bytes:
    """The bytes of an HTTP/1.1 status line and headers, ending with the blank line."""
    lines = [f"HTTP/1.1 {status} X"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def drip(body: bytes, interval_s: float) -> RawResponder:
    """A responder that announces ``body`` with Content-Length, then sends it one byte per ``interval_s``."""

    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.sendall(response_head(headers=[("Content-Length", str(len(body)))]))
        for i in range(len(body)):
            if stopping.wait(interval_s):
                return
            conn.sendall(body[i:i + 1])

    return respond


def reset_after(body: bytes, sent: int) -> RawResponder:
    """A responder that announces ``body``, sends its first ``sent`` bytes, then resets the connection (RST)."""

    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.sendall(response_head(headers=[("Content-Length", str(len(body)))]) + body[:sent])
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return respond


def lying_length(body: bytes, claimed: int) -> RawResponder:
    """A responder whose Content-Length claims ``claimed`` bytes but which sends ``body`` and closes."""

    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.sendall(response_head(headers=[("Content-Length", str(claimed))]) + body)

    return respond


def chunked_with_length(body: bytes, claimed: int, chunk: int = 4096) -> RawResponder:
    """A responder that sends ``body`` chunked yet also claims ``claimed`` bytes in a Content-Length (which the
    chunked framing overrides, so the whole body arrives)."""

    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        out = [response_head(headers=[("Content-Length", str(claimed)), ("Transfer-Encoding", "chunked")])]
        for at in range(0, len(body), chunk):
            piece = body[at:at + chunk]
            out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        conn.sendall(b"".join(out) + b"0\r\n\r\n")

    return respond


class TcpProbe:
    """A listening loopback socket that never answers: ``connections()`` tells whether anyone connected.

    The kernel completes handshakes into the accept queue, so a non-blocking accept after the fact is an
    exact, race-free count of connection attempts.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        self._sock.setblocking(False)

    @property
    def port(self) -> int:
        """The port the probe listens on."""
        return int(self._sock.getsockname()[1])

    def connections(self) -> int:
        """How many connections arrived since the last call (each is closed at once)."""
        count = 0
        while True:
            try:
                conn, _ = self._sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def __enter__(self) -> TcpProbe:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._sock.close()
