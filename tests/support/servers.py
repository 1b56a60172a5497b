"""A real loopback HTTP(S) server for tests: routes map paths to canned answers or to handler functions.

Every test that fetches talks to one of these on 127.0.0.1 (or ::1), never to another address.
"""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
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
    allow_reuse_address = True


@dataclass
class LoopbackServer:
    """A threaded HTTP server on an ephemeral loopback port; use as a context manager."""

    routes: dict[str, Route] = field(default_factory=dict)
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
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="loopback-http", daemon=True)

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
