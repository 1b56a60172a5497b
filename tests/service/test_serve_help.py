"""`mediacheck serve --help` lists every route the service answers, so an operator sees the whole surface."""

from __future__ import annotations

from mediacheck._cli_serve import ENDPOINTS
from tests.support.app_routes import app_endpoints, serve_help


def test_the_help_lists_exactly_the_apps_routes() -> None:
    """The endpoint list of --help names each route of the app (docs and metrics on), and no route it lacks."""
    listed = {(method, path) for method, path, _ in ENDPOINTS}
    assert listed == app_endpoints()


def test_every_endpoint_is_printed_with_what_it_answers() -> None:
    """Each endpoint appears in `mediacheck serve --help` as one line: method, path and what it is for."""
    lines = [line.split() for line in serve_help().splitlines()]
    for method, path, what in ENDPOINTS:
        assert [method, path, *what.split()] in lines, (method, path)
