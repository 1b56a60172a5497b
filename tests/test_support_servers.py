"""The loopback test server answers as its routes say (the other tests lean on it)."""

from __future__ import annotations

import urllib.request

import pytest

from tests.support.loopback_only import take_refusals
from tests.support.servers import LoopbackServer, Redirect, Route, Static, Stream


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_starting_a_server_asks_no_resolver(host: str) -> None:
    """http.server's bind would look the address up in reverse (getfqdn), a DNS query the fence refuses."""
    with LoopbackServer({"/a": Static(b"a")}, host=host) as server, urllib.request.urlopen(server.url("/a")) as answer:
        assert answer.read() == b"a"
    assert take_refusals() == []


def test_static_redirect_and_stream_routes() -> None:
    """A static body, a redirect to it and a chunked stream all arrive intact, and hits are counted."""
    routes: dict[str, Route] = {
        "/a.mp3": Static(b"abc" * 1000),
        "/go": Redirect("/a.mp3"),
        "/s": Stream(lambda: (b"x" * 10 for _ in range(3))),
    }
    with LoopbackServer(routes) as server:
        with urllib.request.urlopen(server.url("/go")) as response:
            assert response.read() == b"abc" * 1000
            assert response.headers["Content-Type"] == "audio/mpeg"
        with urllib.request.urlopen(server.url("/s")) as response:
            assert response.read() == b"x" * 30
        assert server.hits == {"/go": 1, "/a.mp3": 1, "/s": 1}
        assert server.bytes_sent["/s"] == 30
