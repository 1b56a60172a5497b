"""The app factory: settings read here, shared resources opened in the lifespan, one handler for library errors.

``uvicorn mediacheck.service.app:app`` serves the module-level ``app`` (settings from the environment);
tests and embedders call :func:`create_app` with their own :class:`~mediacheck.service.settings.Settings`.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mediacheck import MediacheckError, Resolver, UsageError, __version__
from mediacheck.service.hosts import AllowedHostsMiddleware
from mediacheck.service.metrics import METRICS_STATE
from mediacheck.service.middleware import BodySizeLimitMiddleware
from mediacheck.service.operations import install_operations_kit
from mediacheck.service.resources import open_resources
from mediacheck.service.responses import SafeJSONResponse, validation_error
from mediacheck.service.routes import checks, dialin, health
from mediacheck.service.schemas import ErrorOut, document_limits
from mediacheck.service.settings import Settings
from mediacheck.service.web import UPLOAD_PATHS as PAGE_UPLOAD_PATHS
from mediacheck.service.web import install_web

DESCRIPTION = """\
Pre-flight for `hold_music_url`: will this URL (or file) be accepted as
"a publicly accessible URL in MP3 format, less than 10MB in size and less than 60 seconds in duration"?
A failing verdict is a 200 with `ok: false` and findings that say why and how to fix it.
"""


def create_app(settings: Settings | None = None, *, resolver: Resolver | None = None,
               verify: ssl.SSLContext | None = None) -> FastAPI:
    """Build the service from ``settings`` (default: the environment).

    ``resolver(host, port)`` replaces the system DNS lookup and ``verify`` the CA bundle of the guarded
    fetcher: tests play public DNS answers and trust their own TLS certificates with them.
    """
    settings = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_resources(settings, resolver=resolver, verify=verify) as resources:
            # The lifespan state reaches the server's protocol too (uvicorn's app_state): its refusals below the
            # app count in the app's metrics through it.
            yield {"resources": resources, METRICS_STATE: getattr(app.state, "metrics", None)}

    app = FastAPI(title="mediacheck", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  default_response_class=SafeJSONResponse, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json" if settings.docs else None)
    app.add_middleware(
        BodySizeLimitMiddleware,
        default_limit=settings.max_json_bytes,
        limits_by_path={checks.UPLOAD_PATH: settings.max_upload_bytes,
                        **dict.fromkeys(PAGE_UPLOAD_PATHS, settings.max_upload_bytes)},
    )
    app.add_middleware(AllowedHostsMiddleware, allowed_hosts=settings.allowed_hosts)  # outermost: before any work
    app.add_exception_handler(MediacheckError, _library_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.include_router(health.router)
    if settings.metrics:
        app.include_router(health.metrics_router)
    app.include_router(checks.router)
    # FastAPI answers a JSON body it cannot decode (not UTF-8) with 400; say so for every JSON endpoint.
    app.include_router(dialin.router, responses={
        status.HTTP_400_BAD_REQUEST: {"model": ErrorOut, "description": "The body cannot be read (not UTF-8, say)."},
    })
    document_limits(app, settings)
    install_web(app)  # the page for people at /, under the same keys, slots and caps as the API
    if not settings.api_keys:
        _drop_auth_from_document(app)
    install_operations_kit(app, settings)
    return app


def _drop_auth_from_document(app: FastAPI) -> None:
    # Without configured keys nothing asks for a bearer token, so the document must not claim it does
    # (clients and schemathesis read `security` as "send a key or get 401").
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                operation.pop("security", None)
        document.get("components", {}).pop("securitySchemes", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    # A UsageError is the caller's mistake (limits the library cannot accept); anything else the library
    # raises on purpose is a fault on our side, reported plainly rather than as a traceback.
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if isinstance(exc, UsageError) else 500
    return JSONResponse({"detail": str(exc)}, status_code=code)


app = create_app()
