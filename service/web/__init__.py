"""The web page for people: ``GET /``, its fragments and its static files (see :mod:`.routes`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mediacheck.service.web.pages import STATIC
from mediacheck.service.web.routes import PREFIX, STATIC_PATH, UPLOAD_PATHS, router
from mediacheck.service.web.security import PageHeadersMiddleware

__all__ = ["UPLOAD_PATHS", "install_web"]


def install_web(app: FastAPI) -> None:
    """Serve the page at ``/``, its routes under ``/web``, and its headers (CSP and friends) on all of them."""
    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="web-static")
    app.add_middleware(PageHeadersMiddleware, prefix=f"{PREFIX}/")
