"""The HTTP server the service runs on: uvicorn's httptools protocol, bounded in what one connection may hold.

uvicorn bounds none of this on its own: httptools accepted a 16 MB header line and spent 19 s of
CPU and ~600 MB on one 128 MB header (its parser joins a header value chunk by chunk, quadratically); a
connection that sent nothing, or half its headers, or a body byte every 10 s stayed open for minutes; and
1,100 such connections used up a 1,024-descriptor process, so ``/healthz`` was refused. h11 caps the header
block by itself (``h11_max_incomplete_event_size``), but it has no read deadlines either, so either parser
needs a protocol subclass; httptools keeps the service's speed (benchmarks/bench_service.py, one sitting:
h11 84 % of the library's check rate at 3.4 ms of service CPU per check, httptools 89 % at 2.9 ms). So this
module subclasses the httptools protocol and adds, per connection:

- a cap on request line + headers (``max_header_bytes``): never more than that is fed to the parser, so a
  huge header costs one bounded read, answered 431 with a JSON body;
- a header deadline (``header_timeout_s``) from connecting, or from a kept-alive request's first byte: 408;
- a body clock in the manner of Apache's mod_reqtimeout: no pause longer than ``body_timeout_s``, and an
  average of ``body_min_bytes_per_s`` after the first ``body_timeout_s``; time the app leaves the body
  unread (flow control) does not count. A slow body is answered 408 if no response has started;
- a small body that is not an upload (up to 64 KiB by Content-Length: a JSON check) is read whole before the
  app is called, as nginx buffers one, so a half-sent check holds a buffer rather than an app task; uploads
  (multipart) stream as before;
- an idle keep-alive deadline (``keep_alive_s``) that stray bytes (bare CRLFs) cannot postpone, and that does
  not run while a pipelined request (parsed before the previous answer ended) is being answered;
- at most :data:`MAX_PIPELINED_REQUESTS` requests queued behind the one being answered; one more closes the
  connection, since uvicorn keeps every request it has parsed and one read can hold thousands;
- a connection cap below the descriptor limit: at the cap a new connection closes the one that has waited
  longest without a request in flight (idle, or still sending its request), so a crowd of slow clients
  cannot lock out a load balancer's probe.

It runs on asyncio's own event loop, not uvloop: on a busy loop uvloop (libuv) accepts one connection per
loop iteration (1,000 pending connects took 12.6 s to accept with 10 ms of work per iteration, asyncio's loop
0.34 s), so under load a crowd of connections queued a health probe behind it for seconds. The check rate
showed no consistent difference between the two loops (bench_service.py, alternated on a shared machine).

Refusals are written with ``Connection: close``, the write side shut, and the rest of the request read and
dropped for a moment (a bounded "lingering close"), so a client still sending sees the answer, not a reset.
Each carries an ``X-Request-ID``, gets a line in the JSON access log (status, client, reason) and counts in the
app's ``/metrics`` (route ``unmatched``), as the app's answers do, so an operator sees header floods and drips.

``mediacheck serve`` runs this; so does ``uvicorn mediacheck.service.app:app --http
mediacheck.service.server:GuardedHttpProtocol --loop asyncio --ws none``. The limits come from the ``MEDIACHECK_*``
settings, read once per process; :func:`protocol_with` binds other limits (tests, embedding).
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import resource
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import uvicorn
from uvicorn._types import ASGI3Application
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from mediacheck.service.access_log import ACCESS_LOGGER
from mediacheck.service.metrics import METRICS_STATE, ServiceMetrics
from mediacheck.service.settings import Settings

APP = "mediacheck.service.app:app"
PROTOCOL = "mediacheck.service.server:GuardedHttpProtocol"

# The listen queue, and so the most connections asyncio accepts in one go: it takes up to the backlog per
# wake-up, before any connection_made can make room, so the cap keeps that many descriptors spare. uvicorn's
# 2,048 would leave a 1,024-descriptor process no connections at all; nginx uses 511.
BACKLOG = 256
# Descriptors kept back from the connection cap besides an accept batch: the guarded fetcher's sockets (a check
# may hold two during a redirect, the pool keeps some alive), ffmpeg's pipes, log files.
FD_RESERVE_BASE = 128
FD_RESERVE_PER_SLOT = 4
MIN_CONNECTIONS = 64
# After a refusal: how long, and how many more request bytes, we read and drop before closing outright.
LINGER_S = 1.0
LINGER_BYTES = 1024 * 1024
# Requests a client may queue behind the one being answered (HTTP/1.1 pipelining); one more closes the
# connection. uvicorn queues every request it parses, each with its own state, and one read parses thousands.
MAX_PIPELINED_REQUESTS = 16


@dataclass(frozen=True)
class ServerLimits:
    """What one connection may hold; see the module docstring for each bound."""

    max_header_bytes: int
    header_timeout_s: float
    body_timeout_s: float
    body_min_bytes_per_s: int
    keep_alive_s: float
    max_connections: int
    fd_reserve: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerLimits:
        """The limits the operator set (or the defaults)."""
        return cls(max_header_bytes=settings.max_header_bytes, header_timeout_s=settings.header_timeout_s,
                   body_timeout_s=settings.body_timeout_s, body_min_bytes_per_s=settings.body_min_bytes_per_s,
                   keep_alive_s=settings.keep_alive_s, max_connections=settings.max_connections,
                   fd_reserve=FD_RESERVE_BASE + FD_RESERVE_PER_SLOT * settings.max_concurrency)


@cache
def environment_limits() -> ServerLimits:
    """The limits from this process's ``MEDIACHECK_*`` environment, read once."""
    return ServerLimits.from_settings(Settings())


@cache
def connection_cap(limits: ServerLimits, backlog: int) -> int:
    """The connections this process may hold: ``max_connections``, less if descriptors are short.

    The soft descriptor limit is raised towards what the cap needs (as far as the hard limit allows): when a
    process runs out, asyncio stops accepting for a second at a time and every new client is refused.
    ``backlog`` descriptors stay spare for one accept batch.
    """
    reserve = limits.fd_reserve + backlog
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + reserve
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass  # keep the soft limit; the cap below shrinks to fit it
    if soft == resource.RLIM_INFINITY or soft - reserve >= limits.max_connections:
        return limits.max_connections
    # Short of descriptors: fewer connections, but never so few that the service stops answering (a burst
    # may then hit the descriptor limit, and asyncio pauses accepting for a second).
    cap = max(min(limits.max_connections, MIN_CONNECTIONS), soft - reserve)
    logging.getLogger("uvicorn.error").warning(
        "%d file descriptors (ulimit -n) leave room for %d connections, not MEDIACHECK_MAX_CONNECTIONS=%d "
        "(%d are kept for one accept batch of the listen backlog, fetches and files): raise the limit or "
        "lower the backlog.", soft, cap, limits.max_connections, reserve)
    return cap


@cache
def _warn_if_uvloop(loop: asyncio.AbstractEventLoop) -> None:
    if type(loop).__module__.startswith("uvloop"):
        logging.getLogger("uvicorn.error").warning(
            "Running on uvloop, which accepts one connection per loop iteration when busy, so a crowd of "
            "connections can hold new clients (health probes) in the listen queue; run with --loop asyncio, "
            "as `mediacheck serve` does.")


class _Phase(enum.Enum):
    IDLE = "idle"  # kept alive between requests: the keep-alive deadline runs
    HEAD = "head"  # reading a request line and headers: the header deadline and size cap apply
    BODY = "body"  # reading a request body: the body clock runs
    APP = "app"  # the request is read; the app is answering (its own deadlines apply)
    CLOSING = "closing"  # refused: the answer is written, the rest of the request is dropped


class _WaitingConnections:
    """The connections of one server with no request in flight, longest-waiting first: the ones to evict."""

    def __init__(self) -> None:
        self._order: OrderedDict[GuardedHttpProtocol, None] = OrderedDict()

    def add(self, connection: GuardedHttpProtocol) -> None:
        self._order[connection] = None
        self._order.move_to_end(connection)

    def add_first(self, connection: GuardedHttpProtocol) -> None:
        """Join as the next to evict (a refused connection lingering: dropping it costs nothing)."""
        self._order[connection] = None
        self._order.move_to_end(connection, last=False)

    def discard(self, connection: GuardedHttpProtocol) -> None:
        self._order.pop(connection, None)

    def evict_oldest(self) -> bool:
        """Close the longest-waiting connection; False if every connection has a request in flight."""
        if not self._order:
            return False
        victim, _ = self._order.popitem(last=False)
        victim.evict()
        return True


_WAITING: weakref.WeakKeyDictionary[ServerState, _WaitingConnections] = weakref.WeakKeyDictionary()


_access_log = logging.getLogger(ACCESS_LOGGER)


def _refusal(status: int, detail: str, default_headers: list[tuple[bytes, bytes]], request_id: str) -> bytes:
    body = json.dumps({"detail": detail}, separators=(",", ":")).encode()
    head = [STATUS_LINE[status]]
    head.extend(name + b": " + value + b"\r\n" for name, value in default_headers)
    head.append(b"x-request-id: %s\r\n" % request_id.encode("ascii"))
    head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
    return b"".join(head) + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the per-connection bounds of :class:`ServerLimits`."""

    limits: ClassVar[ServerLimits | None] = None  # None: read from the environment (see protocol_with)

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = type(self).limits or environment_limits()
        _warn_if_uvloop(self.loop)
        self._cap = connection_cap(self._limits, config.backlog)
        self._waiting = _WAITING.setdefault(server_state, _WaitingConnections())
        self._phase = _Phase.HEAD
        self._timer: asyncio.TimerHandle | None = None
        self._head_started = 0.0
        self._head_bytes = 0
        self._body_started = 0.0
        self._body_bytes = 0
        self._body_progress_at = 0.0
        self._body_checked_at = 0.0
        self._dropped_bytes = 0
        self._buffer_body = False
        self._deferred: tuple[RequestResponseCycle, ASGI3Application] | None = None
        self._answering: RequestResponseCycle | None = None  # the request whose app task runs (pipelining aside)

    @property
    def phase(self) -> _Phase:
        """Where this connection is in its request cycle."""
        return self._phase

    # Connection life
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Make room first; this connection joins the waiting ones after, so it never evicts itself.
        if len(self.connections) > self._cap and not self._waiting.evict_oldest():
            self.logger.warning("Connection cap (%d) reached with every connection busy; closing a new one.",
                                self._cap)
            self.connections.discard(self)
            transport.abort()
            return
        self._enter_head()
        self._arm(self._limits.header_timeout_s, self._head_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._waiting.discard(self)
        self._phase = _Phase.CLOSING
        self._disconnect_all()  # uvicorn tells only the last request parsed, not the one answering before it
        super().connection_lost(exc)

    def evict(self) -> None:
        """Close this connection to make room for a new one (it has no request in flight)."""
        if self._phase is not _Phase.CLOSING:
            self.logger.info("Connection cap (%d) reached; closing the longest-waiting connection.", self._cap)
        self._disarm()
        self.connections.discard(self)  # counted out now: connection_lost comes a loop turn later
        self._phase = _Phase.CLOSING
        self._disconnect_all()
        self.transport.close()

    def _disconnect_all(self) -> None:
        """Tell every request of this connection, answering or queued, that the client is gone."""
        cycles = [self._answering, self.cycle, *(cycle for cycle, _app in self.pipeline)]
        self.pipeline.clear()
        for cycle in cycles:
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True
                cycle.message_event.set()

    def _too_many_pipelined(self) -> None:
        """Close a connection whose client queued more requests than it may; none of the queued ones is run."""
        self.logger.info("A client pipelined more than %d requests; closing its connection.",
                         MAX_PIPELINED_REQUESTS)
        self._disarm()
        self._waiting.discard(self)
        self._phase = _Phase.CLOSING
        self._disconnect_all()
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._phase is _Phase.CLOSING:
            self._drop(data)
            return
        if self._phase is _Phase.IDLE:
            self._disarm()  # the keep-alive deadline ends; this request's header deadline starts now
            self._enter_head()
        if self._phase is _Phase.HEAD:
            room = self._limits.max_header_bytes - self._head_bytes
            if len(data) > room:
                # Feed no more than the cap: if the headers end inside it, go on with the rest (body, next
                # request); if not, the header block is too large and the parser never sees more of it.
                self._head_bytes += room
                super().data_received(data[:room])
                phase = self.phase  # read again: the parser's callbacks move it
                if self.transport.is_closing() or phase is _Phase.CLOSING:
                    return
                if phase is _Phase.HEAD:
                    self._refuse(431, f"The request line and headers exceed {self._limits.max_header_bytes:,} "
                                      "bytes, the most this service reads.")
                    return
                self.data_received(data[room:])
                return
            self._head_bytes += len(data)
        super().data_received(data)
        if self._timer is None and not self.transport.is_closing():
            # Deadlines are armed only when a request is left unfinished by a read: a request that arrives
            # whole (nearly all of them) costs no timer.
            phase = self.phase
            if phase is _Phase.HEAD:
                self._arm(self._head_started + self._limits.header_timeout_s - self.loop.time(),
                          self._head_expired)
            elif phase is _Phase.BODY:
                self._body_checked_at = self.loop.time()
                self._arm(self._limits.body_timeout_s, self._check_body)

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers a malformed request in plain text; every refusal of this service is JSON.
        self._refuse(400, msg)

    # Parser callbacks
    def on_message_begin(self) -> None:
        if self._phase is _Phase.CLOSING:  # the rest of a read being parsed after the connection was given up
            return
        super().on_message_begin()
        if self._phase is not _Phase.HEAD:  # a pipelined request, parsed while the previous one is answered
            self._enter_head()

    def on_headers_complete(self) -> None:
        if self._phase is _Phase.CLOSING:
            return
        self._disarm()
        now = self.loop.time()
        self._phase = _Phase.BODY
        self._body_started = self._body_progress_at = now
        self._body_bytes = 0
        self._buffer_body = self._small_body_expected()
        super().on_headers_complete()  # queues the request if another is being answered (pipelining)
        self._buffer_body = False
        if len(self.pipeline) > MAX_PIPELINED_REQUESTS:
            self._too_many_pipelined()

    def _small_body_expected(self) -> bool:
        # A small body (a JSON check) is read whole before the app sees the request, as nginx buffers one: a
        # client that sends half of it then holds a buffer, not an app task. Uploads (multipart) always stream:
        # the route checks them as they arrive and bounds them itself. Not past uvicorn's read-pause mark
        # (nothing would resume reading), nor when the client waits for `100 Continue`, which only the app's
        # first receive() sends.
        if self.expect_100_continue:
            return False
        length = None
        for name, value in self.headers:
            if name == b"content-length":
                length = value
            elif name == b"content-type" and value.lower().startswith(b"multipart/"):
                return False
        return length is not None and length.isdigit() and 0 < int(length) <= HIGH_WATER_LIMIT

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        if self._buffer_body:
            self._deferred = (cycle, app)  # started by on_message_complete, once the body is all here
            return
        self._answering = cycle
        super()._start_asgi_task(cycle, app)

    def on_body(self, body: bytes) -> None:
        if self._phase is _Phase.CLOSING:
            return
        self._body_bytes += len(body)
        self._body_progress_at = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._phase is _Phase.CLOSING:
            return
        super().on_message_complete()
        if self._deferred is not None:
            cycle, app = self._deferred
            self._deferred = None
            self._answering = cycle
            super()._start_asgi_task(cycle, app)
        self._disarm()
        if self.cycle is not None and self.cycle.response_complete:
            self._enter_idle()
        else:
            self._phase = _Phase.APP
            self._waiting.discard(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, if one was queued
        self._unset_keepalive_if_required()  # uvicorn's own keep-alive timer: ours below replaces it
        # Idle only when no request is left: a pipelined one, parsed already, is being answered now.
        if (self._phase is _Phase.APP and not self.transport.is_closing()
                and (self.cycle is None or self.cycle.response_complete)):
            self._enter_idle()

    # Phases and deadlines
    def _enter_head(self) -> None:
        self._phase = _Phase.HEAD
        self._head_started = self.loop.time()
        self._head_bytes = 0
        if self.cycle is None or self.cycle.response_complete:
            self._waiting.add(self)

    def _enter_idle(self) -> None:
        self._phase = _Phase.IDLE
        self._waiting.add(self)
        self._arm(self._limits.keep_alive_s, self._close)

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(max(0.0, delay), callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_expired(self) -> None:
        self._timer = None
        if self._head_bytes:
            self._refuse(408, f"The request headers did not arrive within {self._limits.header_timeout_s:g} s.")
        else:
            self._close()  # nothing was asked: nothing to answer

    def _check_body(self) -> None:
        self._timer = None
        now = self.loop.time()
        limits = self._limits
        if self.flow.read_paused:
            # The app is not reading (the body buffer is full): the client is not the one who is slow.
            self._body_started += now - self._body_checked_at
            self._body_progress_at = now
        self._body_checked_at = now
        deadline = min(self._body_progress_at + limits.body_timeout_s,
                       self._body_started + limits.body_timeout_s + self._body_bytes / limits.body_min_bytes_per_s)
        if now < deadline:
            self._arm(deadline - now, self._check_body)
            return
        if self.cycle is not None and self.cycle.response_complete:
            self._close()  # the app has answered already (without reading it all): nothing more to say
            return
        self._refuse(408, f"The request body arrived too slowly ({self._body_bytes:,} bytes in "
                          f"{now - self._body_started:.0f} s; at least {limits.body_min_bytes_per_s:,} bytes/s "
                          f"and no pause over {limits.body_timeout_s:g} s).")

    def _refuse(self, status: int, detail: str) -> None:
        self._deferred = None
        self._disarm()
        self._phase = _Phase.CLOSING
        transport = self.transport
        if transport.is_closing():
            self._waiting.discard(self)
            return
        # While it lingers it is the first to make room: a crowd refused at once must not fill the cap.
        self._waiting.add_first(self)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # The app stops here: its receive() sees a disconnect and anything it sends is dropped. If its
            # answer has begun, no refusal can follow it on this connection: just close.
            cycle.disconnected = True
            cycle.message_event.set()
            if cycle.response_started:
                transport.close()
                return
        request_id = uuid.uuid4().hex
        metrics = self.app_state.get(METRICS_STATE)
        if isinstance(metrics, ServiceMetrics):
            metrics.record_response("", "unmatched", status)
        if _access_log.isEnabledFor(logging.INFO):
            fields = {"request_id": request_id, "method": None, "path": None, "status": status,
                      "client": self.client[0] if self.client else None, "reason": detail}
            _access_log.info("- - %d", status, extra={"fields": fields})
        transport.write(_refusal(status, detail, self.server_state.default_headers, request_id))
        if transport.is_closing():
            return  # the write found the peer gone
        # Shut our side only once the answer is out: asyncio shuts down a socket with data still queued later,
        # outside any handler, where a peer gone meanwhile makes an error nobody can catch.
        if transport.can_write_eof() and not transport.get_write_buffer_size():
            try:
                transport.write_eof()
            except OSError:  # the peer reset the connection in the meantime
                transport.close()
                return
            self._dropped_bytes = 0
            self._timer = self.loop.call_later(LINGER_S, self._close)
        else:
            transport.close()

    def _drop(self, data: bytes) -> None:
        self._dropped_bytes += len(data)
        if self._dropped_bytes > LINGER_BYTES:
            self._close()

    def _close(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def timeout_keep_alive_handler(self) -> None:
        # Not used (our keep-alive deadline replaces uvicorn's); kept closing, as uvicorn's does, to be safe.
        self._close()


def protocol_with(limits: ServerLimits) -> type[GuardedHttpProtocol]:
    """A protocol class bound to ``limits`` instead of the environment's (one server in a test, say)."""
    return type("BoundGuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn options every front door uses: this protocol, asyncio's loop, no WebSockets, the lifespan."""
    return {"http": PROTOCOL, "loop": "asyncio", "ws": "none", "lifespan": "on", "backlog": BACKLOG}


def serve(*, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Run the service until interrupted (``mediacheck serve``); limits from the ``MEDIACHECK_*`` settings."""
    # access_log=False: the app writes its own JSON access log, with request ids and no secrets.
    uvicorn.run(APP, host=host, port=port, workers=workers, log_level=log_level, access_log=False,
                **uvicorn_options())
