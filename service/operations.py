"""Wires the operations kit into an app: per-app metrics, offline docs, and the request id / access-log layer."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from mediacheck.service.access_log import RequestLogMiddleware, install_access_log_handler
from mediacheck.service.docs import install_docs
from mediacheck.service.metrics import ServiceMetrics
from mediacheck.service.settings import Settings

__all__ = ["install_operations_kit"]


def install_operations_kit(app: FastAPI, settings: Settings) -> None:
    """Give ``app`` its own metrics registry, the docs pages (unless MEDIACHECK_DOCS=0) and the request layer."""
    app.state.metrics = ServiceMetrics()
    if settings.docs:
        install_docs(app)
    install_access_log_handler()
    # The request layer wraps the whole stack, Starlette's error middleware included (add_middleware would put
    # it inside), so even a 500 carries X-Request-ID and gets its log line and its count.
    build_stack = app.build_middleware_stack

    def build_stack_with_request_log() -> ASGIApp:
        # Built at start-up (the lifespan's first call), when every route is in place; the document lists them.
        paths = frozenset(app.openapi().get("paths", {}))
        return RequestLogMiddleware(build_stack(), metrics=app.state.metrics, route_paths=paths)

    app.build_middleware_stack = build_stack_with_request_log  # type: ignore[method-assign]
