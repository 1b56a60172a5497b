"""The routes the service's app serves, as (method, path), and `serve --help`, for the tests that hold the docs and
--help to them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import redirect_stdout
from typing import Any

from starlette.routing import Mount

from mediacheck.cli import main
from mediacheck.service.app import create_app
from tests.service.conftest import make_settings


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of the app, those of included routers too (FastAPI keeps an included router whole)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else [route]


def app_endpoints() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (docs and metrics on); a mounted folder is `GET /folder/...`."""
    endpoints = set()
    for route in _routes(create_app(make_settings()).routes):
        if isinstance(route, Mount):
            endpoints.add(("GET", f"{route.path}/..."))
        else:
            endpoints |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return endpoints


def serve_help() -> str:
    """What `mediacheck serve --help` prints."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["serve", "--help"]) == 0
    return out.getvalue()
