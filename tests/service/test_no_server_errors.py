"""Hostile URLs, redirects and bodies sent to /v1/checks: a 200 report or a JSON 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support.servers import LoopbackServer, Redirect


def _no_dns(host: str, port: int) -> list[str]:
    """A resolver for which no name exists (no test may ask the machine's DNS)."""
    raise OSError(-2, "Name or service not known")


@pytest.mark.parametrize(("url", "code"), [
    ("http://xn--a.test/", "access.unreachable"),
    ("http:127.0.0.1/x", "url.invalid"),
    ("https:x", "url.invalid"),
    ("//xn--a/", "url.scheme"),
    ("http://xn--a/", "access.unreachable"),
])
def test_odd_urls_are_reports(client_for: Callable[..., TestClient], url: str, code: str) -> None:
    """URLs of the forms that once gave 500s answer 200 with a failing report and a coded finding."""
    response = client_for(resolver=_no_dns).post("/v1/checks", json={"url": url})
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is False
    assert data["findings"][0]["code"] == code


@pytest.mark.parametrize(("location", "code"), [
    ("mailto:x", "url.scheme"), ("//:1", "url.invalid"), ("https:x", "url.invalid"),
    ("http://xn--a.test/", "access.unreachable"), ("//xn--a/", "access.unreachable"),
])
def test_odd_redirects_are_reports(client_for: Callable[..., TestClient], location: str, code: str) -> None:
    """A redirect to an odd Location answers 200 with a failing report naming the hop's problem."""
    with LoopbackServer({"/a.mp3": Redirect(location)}) as server:
        response = client_for(resolver=_no_dns).post("/v1/checks", json={"url": server.url("/a.mp3")})
    assert response.status_code == 200
    assert response.json()["findings"][0]["code"] == code


@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a": ', "}")])
@pytest.mark.parametrize("depth", [600, 900])
def test_deep_invalid_field_is_a_422(client: TestClient, open_: str, close: str, depth: int) -> None:
    """A limit field nested hundreds deep around 1e400 is a 422 whose echoed input is cut short, not a 500."""
    raw = '{"url": "https://x.example/a.mp3", "max_bytes": ' + open_ * depth + "1e400" + close * depth + "}"
    response = client.post("/v1/checks", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "max_bytes"]
