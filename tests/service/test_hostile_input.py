"""Inputs that once crashed the fetch below the service: each is a 200 report with a url. finding, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.servers import LoopbackServer, Redirect


@pytest.mark.parametrize("url", ["http://example.com:\u00b2/a.mp3", "http://[::1]:\u00b9/a.mp3"])
def test_port_of_a_digit_int_cannot_read_is_a_url_finding(client: TestClient, url: str) -> None:
    """A port written with a superscript digit (str.isdigit() says yes, int() raises) is refused as a URL."""
    response = client.post("/v1/checks", json={"url": url})
    assert response.status_code == 200
    assert response.json()["findings"][0]["code"] == "url.invalid"


def test_redirect_to_a_location_urllib_cannot_split_is_a_url_finding(client: TestClient) -> None:
    """A server redirecting to http://a]b/ gets a report refusing the hop, not a 500."""
    with LoopbackServer({"/a.mp3": Redirect("http://a]b/x.mp3")}) as server:
        response = client.post("/v1/checks", json={"url": server.url("/a.mp3")})
    assert response.status_code == 200
    assert response.json()["findings"][0]["code"] == "url.invalid"
