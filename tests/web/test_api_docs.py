"""The service's docs page and `mediacheck serve --help` name every route the app serves, the web page's too."""

from __future__ import annotations

import re

import pytest

from tests.support.app_routes import app_endpoints, serve_help
from tests.support.docs import read_doc

ENDPOINTS = sorted(app_endpoints())



def test_the_app_serves_the_web_pages_routes() -> None:
    """The list below is the app's real surface: the API, the web page and its static files, the docs pages."""
    assert {("POST", "/v1/checks"), ("GET", "/"), ("POST", "/web/fix"), ("GET", "/web/static/...")} <= set(ENDPOINTS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_service_page_names_the_route(method: str, path: str) -> None:
    """docs/service.md names the route as `METHOD /path` (a query string or body may follow it)."""
    assert re.search(rf"`{method} {re.escape(path)}[`?\s]", read_doc("service")), f"{method} {path}"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_serve_help_lists_the_route(method: str, path: str) -> None:
    """`mediacheck serve --help` has a line that starts with the route's method and path."""
    assert [method, path] in [line.split()[:2] for line in serve_help().splitlines()], f"{method} {path}"
