"""The outermost layer of every request: a request id in and out, keys in query strings refused, one JSON log line.

:class:`RequestLogMiddleware` wraps the whole app, Starlette's error middleware included, so every answer
gets ``X-Request-ID`` and a log line: 2xx, the 4xx other middleware sends (413), and a 500.

What a line holds is chosen so that it carries no secret: the path without its query string (the service
takes no query parameters; presigned URLs travel in request bodies, which are never logged), no header
at all (so never ``Authorization``), and the client's address. A request that puts an API key in the
query string is refused with 400 before anything else sees it.

The JSON formatter is the few lines below rather than a library: a log line is ``json.dumps`` of a dict,
and owning it keeps the field names and order exactly as documented.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediacheck.service.metrics import ServiceMetrics

__all__ = ["ACCESS_LOGGER", "JsonLogFormatter", "RequestLogMiddleware", "install_access_log_handler",
           "query_key_names"]

ACCESS_LOGGER = "mediacheck.access"
REQUEST_ID_HEADER = b"x-request-id"
# Trace ids in the wild (UUIDs, W3C trace ids, AWS's "Root=1-..."): letters, digits and a few separators, at
# most 128 characters. Anything else (spaces, quotes, newlines, a megabyte) is replaced, never logged.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
# Query parameters that carry credentials by convention; compared case-insensitively after percent-decoding.
_KEY_PARAMETERS = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token"})
# A path can be anything a client sends; the log keeps enough of it to recognise the request.
_MAX_LOGGED_PATH = 512

_log = logging.getLogger(ACCESS_LOGGER)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, then the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time of each line (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def install_access_log_handler() -> None:
    """Send access lines to stdout as JSON, unless the operator's logging config already handles that logger."""
    if _log.handlers:
        return
    handler = _StdoutHandler()
    handler.setFormatter(JsonLogFormatter())
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new random one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def query_key_names(query_string: bytes) -> list[str]:
    """The credential-looking parameter names in a raw query string (decoded, lower-cased), in order."""
    if not query_string:
        return []
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    return [name.strip().lower() for name, _ in pairs if name.strip().lower() in _KEY_PARAMETERS]


def _key_in_query_response(names: list[str]) -> JSONResponse:
    return JSONResponse(
        {"detail": f"API keys are refused in the query string (found `{names[0]}`): URLs end up in logs, proxies "
                   "and browser history. Send `Authorization: Bearer <key>` instead, and treat this key as exposed."},
        status_code=400,
    )


class RequestLogMiddleware:
    """Give every request an id, refuse keys in its query string, count and log its answer."""

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics | None = None,
                 route_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.metrics = metrics
        # Answers sent before routing (a 413 from the body cap) have no matched route; their path still names
        # one when it is one of these, and anything else counts as "unmatched" so labels stay a bounded set.
        self.route_paths = route_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        scope["mediacheck.request_id"] = request_id
        binding = self.metrics.bind_request(started) if self.metrics is not None else None
        status: int | None = None
        bytes_in = 0
        bytes_out = 0

        async def counting_receive() -> Message:
            nonlocal bytes_in
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status, bytes_out
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(name, value) for name, value in message.get("headers", [])
                           if name.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                bytes_out += len(message.get("body", b""))
            await send(message)

        try:
            key_names = query_key_names(scope.get("query_string", b""))
            if key_names:
                await _key_in_query_response(key_names)(scope, counting_receive, tagging_send)
            else:
                await self.app(scope, counting_receive, tagging_send)
        except Exception:
            # Starlette's error middleware inside has answered 500 already, unless the answer had begun.
            status = status if status is not None else 500
            raise
        finally:
            if binding is not None:
                ServiceMetrics.unbind_request(binding)
            self._record(scope, request_id, status, started, bytes_in, bytes_out)

    def _record(self, scope: Scope, request_id: str, status: int | None, started: float, bytes_in: int,
                bytes_out: int) -> None:
        route = getattr(scope.get("route"), "path", None)
        if route is None:
            route = scope["path"] if scope.get("path") in self.route_paths else "unmatched"
        method = str(scope.get("method", ""))
        if self.metrics is not None and status is not None:
            self.metrics.record_response(method, route, status)
        if not _log.isEnabledFor(logging.INFO):
            return
        path = str(scope.get("path", ""))[:_MAX_LOGGED_PATH]
        client = scope.get("client")
        fields = {
            "request_id": request_id,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "client": client[0] if client else None,
            "bytes_in": bytes_in,
            "bytes_out": bytes_out,
        }
        _log.info("%s %s %s", method, path, status if status is not None else "-", extra={"fields": fields})
