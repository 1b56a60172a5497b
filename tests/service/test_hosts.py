"""MEDIACHECK_ALLOWED_HOSTS: requests naming another host are refused with a JSON 400 (DNS rebinding)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mediacheck.service.hosts import AllowedHostsMiddleware, serve_host_names

ALLOWED = ("api.example.com", "*.hold.example.net", "127.0.0.1", "::1")


class TestAllowedHosts:
    """Only listed names are served; /healthz answers whatever the Host."""

    def test_any_host_by_default(self, client: TestClient) -> None:
        """Without MEDIACHECK_ALLOWED_HOSTS every Host is served (a service behind a proxy that renames hosts)."""
        response = client.post("/v1/checks", json={"url": "ftp://x"}, headers={"Host": "whatever.example"})
        assert response.status_code == 200

    @pytest.mark.parametrize("host", ["api.example.com", "API.Example.com:8443", "api.example.com.",
                                      "a.hold.example.net", "b.a.hold.example.net:80", "127.0.0.1:8000", "[::1]:8000"])
    def test_listed_hosts_are_served(self, client_for: Callable[..., TestClient], host: str) -> None:
        """A listed name, in any case, with any port or a trailing dot, and subdomains of a *. entry, are served."""
        response = client_for(allowed_hosts=ALLOWED).post("/v1/checks", json={"url": "ftp://x"},
                                                          headers={"Host": host})
        assert response.status_code == 200

    @pytest.mark.parametrize("host", ["evil.example", "api.example.com.evil.example", "hold.example.net",
                                      "xapi.example.com", "127.0.0.2", "[::2]:8000", "localhost", ""])
    def test_other_hosts_get_a_json_400(self, client_for: Callable[..., TestClient], host: str) -> None:
        """Any other name (a *. entry does not cover its own apex) is refused with 400 and a JSON detail."""
        response = client_for(allowed_hosts=ALLOWED).post("/v1/checks", json={"url": "ftp://x"},
                                                          headers={"Host": host})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json"
        assert "host" in response.json()["detail"].lower()

    def test_probes_answer_any_host(self, client_for: Callable[..., TestClient]) -> None:
        """Load balancers probe /healthz by instance address: it answers whatever the Host."""
        response = client_for(allowed_hosts=ALLOWED).get("/healthz", headers={"Host": "10.1.2.3:8000"})
        assert response.json() == {"status": "ok"}

    def test_request_without_host_is_refused(self, live_for: Callable[..., str]) -> None:
        """An HTTP/1.0 request with no Host header cannot name an allowed host: 400 with a JSON detail."""
        base = live_for(allowed_hosts=ALLOWED)
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /openapi.json HTTP/1.0\r\n\r\n")
            answer = b""
            while part := sock.recv(65536):
                answer += part
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b'{"detail":"The request has no Host header' in answer

    def test_star_allows_any_host_even_none(self) -> None:
        """`*` among the entries allows every request, including one without a Host."""
        middleware = AllowedHostsMiddleware(lambda *_: None, allowed_hosts=("api.example.com", "*"))  # type: ignore[arg-type]
        assert middleware.allows(None)
        assert middleware.allows("anything.example")


class TestServeHostNames:
    """What `mediacheck serve` allows by default, from the address it listens on."""

    @pytest.mark.parametrize(("listen", "names"), [
        ("127.0.0.1", "localhost,127.0.0.1,[::1]"),
        ("localhost", "localhost,127.0.0.1,[::1]"),
        ("::1", "localhost,127.0.0.1,[::1]"),
        ("127.0.0.2", "localhost,127.0.0.1,[::1],127.0.0.2"),
        ("0.0.0.0", None),
        ("::", None),
        ("192.0.2.10", None),
        ("my-host.internal", None),
    ])
    def test_loopback_listeners_allow_loopback_names_only(self, listen: str, names: str | None) -> None:
        """On a loopback address only loopback names (and the address itself); on any other, any host."""
        assert serve_host_names(listen) == names
