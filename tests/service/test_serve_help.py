"""`mediacheck serve --help` lists every route the service answers, so an operator sees the whole surface."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from mediacheck._cli_serve import ENDPOINTS
from mediacheck.cli import main
from tests.support.app_routes import app_endpoints


def _help() -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["serve", "--help"]) == 0
    return out.getvalue()


def test_the_help_lists_exactly_the_apps_routes() -> None:
    """The endpoint list of --help names each route of the app (docs and metrics on), and no route it lacks."""
    listed = {(method, path) for method, path, _ in ENDPOINTS}
    assert listed == app_endpoints()


def test_every_endpoint_is_printed_with_what_it_answers() -> None:
    """Each endpoint appears in `mediacheck serve --help` as one line: method, path and what it is for."""
    lines = [line.split() for line in _help().splitlines()]
    for method, path, what in ENDPOINTS:
        assert [method, path, *what.split()] in lines, (method, path)
