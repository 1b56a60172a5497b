"""`mediacheck serve --help` lists every route the service answers, so an operator sees the whole surface."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import redirect_stdout
from typing import Any

from starlette.routing import Mount

from mediacheck._cli_serve import ENDPOINTS
from mediacheck.cli import main
from mediacheck.service.app import create_app
from tests.service.conftest import make_settings


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of the app, those of included routers too (FastAPI keeps an included router whole)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else [route]


def _app_endpoints() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; a mounted folder of files is `GET /folder/...`."""
    endpoints = set()
    for route in _routes(create_app(make_settings()).routes):
        if isinstance(route, Mount):
            endpoints.add(("GET", f"{route.path}/..."))
        else:
            endpoints |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return endpoints


def _help() -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["serve", "--help"]) == 0
    return out.getvalue()


def test_the_help_lists_exactly_the_apps_routes() -> None:
    """The endpoint list of --help names each route of the app (docs and metrics on), and no route it lacks."""
    listed = {(method, path) for method, path, _ in ENDPOINTS}
    assert listed == _app_endpoints()


def test_every_endpoint_is_printed_with_what_it_answers() -> None:
    """Each endpoint appears in `mediacheck serve --help` as one line: method, path and what it is for."""
    lines = [line.split() for line in _help().splitlines()]
    for method, path, what in ENDPOINTS:
        assert [method, path, *what.split()] in lines, (method, path)
