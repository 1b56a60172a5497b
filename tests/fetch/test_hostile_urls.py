"""Hostile URL and Location strings through the real fetcher: always a Report with coded findings, never a raise.

Every connection attempt is recorded below the guard (``socket.create_connection`` for the sync pool,
``anyio.connect_tcp`` for the async one) and only the test's own loopback server is really connected to; the
property is that the guard never even tries an address outside loopback. DNS answers come from a stub: names
asked about with the server's port are on loopback, any other port gets a private address (refused), so no
request ever reaches another process on this machine.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mediacheck import Limits, Report
from mediacheck._fetch import SafeFetcher
from tests.fetch.conftest import LOOPBACK, fetch_with
from tests.support.servers import RawServer, response_head

CATEGORIES = ("url.", "access.", "size.", "format.", "duration.")

SCHEMES = ["http://", "https://", "HTTP://", "http:", "https:", "http:/", "http:\\\\", "//", "\\\\", "", "mailto:",
           "javascript:", "ftp://", "file:///", "data:audio/mpeg,", "ws://", "h\ttp://", "0://", "http://user:pw@"]
HOSTS = ["media.example", "xn--a", "xn--a.test", "xn--", "bücher.example", "localhost", "private.example",
         "127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
         "10.0.0.1", "169.254.169.254", "[fe80::1%25eth0]", "0.0.0.0", "[::]", "127。0。0。1", "[::1", "a]b", "",
         "%31%32%37.0.0.1", "media.example.", "MEDIA.EXAMPLE", "a" * 70 + ".example", "media..example"]
PORTS = ["{port}", "", ":", ":0", ":65536", ":\u00b2", ":\u0668\u0660", ":-1", ":80x", ":{port}:{port}"]
# Junk without digits, so no random text can spell a public IP literal the guard would rightly connect to.
JUNK = st.text(st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="\r\n"), max_size=12)
PATHS = st.one_of(st.sampled_from(["/a.mp3", "", "/", "?x=1", "#f", "/%00", "/a b", "/\x00", "/..", "/é.mp3",
                                   "/a.mp3?X-Amz-Expires=99999999999999&X-Amz-Date=20250101T000000Z"]), JUNK)


@st.composite
def hostile_urls(draw: st.DrawFn, port: int) -> str:
    """A URL-ish string assembled from hostile pieces (scheme, host, port, path), or plain junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JUNK)
    scheme = draw(st.sampled_from(SCHEMES))
    host = draw(st.one_of(st.sampled_from(HOSTS), JUNK))
    port_part = draw(st.sampled_from(PORTS)).replace("{port}", str(port))
    if port_part and not port_part.startswith(":"):
        port_part = ":" + port_part
    return scheme + host + port_part + draw(PATHS)


def _stub_resolver(server_port: int) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        if host == "private.example":
            return ["10.0.0.1"]
        if host.endswith(".invalid"):
            raise OSError(-2, "Name or service not known")
        return ["127.0.0.1"] if port == server_port else ["10.9.9.9"]

    return resolve


class ConnectionLog:
    """Records every address the fetcher tries; lets only the test server's own address through."""

    def __init__(self, server_port: int) -> None:
        self.server = ("127.0.0.1", server_port)
        self.tried: list[tuple[str, int]] = []

    def admit(self, host: str, port: int) -> bool:
        self.tried.append((host, port))
        return (host, port) == self.server

    def outside_loopback(self) -> list[tuple[str, int]]:
        return [(host, port) for host, port in self.tried if not ipaddress.ip_address(host).is_loopback]


@contextlib.contextmanager
def recorded_connections(server_port: int) -> Iterator[ConnectionLog]:
    """Patch the two connect calls below the guard so every attempt is logged and only the server is reached."""
    log = ConnectionLog(server_port)
    real_create, real_connect = socket.create_connection, anyio.connect_tcp

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if not log.admit(str(address[0]), int(address[1])):
            raise ConnectionRefusedError(111, "Connection refused (by the test)")
        return real_create(address, *args, **kwargs)

    async def connect_tcp(remote_host: str, remote_port: int, **kwargs: Any) -> Any:
        if not log.admit(str(remote_host), int(remote_port)):
            raise ConnectionRefusedError(111, "Connection refused (by the test)")
        return await real_connect(remote_host, remote_port, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "create_connection", create_connection)
        patch.setattr(anyio, "connect_tcp", connect_tcp)
        yield log


def _redirect_to(location: list[bytes]) -> Any:
    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.sendall(response_head(302, [("Content-Length", "0")]).replace(
            b"\r\n\r\n", b"\r\nLocation: " + location[0] + b"\r\n\r\n", 1))

    return respond


def _known_examples(test: Any) -> Any:
    for text in reversed(KNOWN):
        test = example(text)(test)
    return test


def _assert_answered(report: Report, log: ConnectionLog) -> None:
    assert isinstance(report, Report)
    assert not report.ok
    assert report.findings
    assert all(f.code.startswith(CATEGORIES) for f in report.findings), report.codes()
    assert all(f.message for f in report.findings)
    assert log.outside_loopback() == []
    report.to_dict()


LIMITS = Limits(timeout_s=2.0)
# Strings that once raised (or answered a 500 in the service): replayed on every run, before the random ones.
KNOWN = ["//:1", "//:0#f", "mailto:x", "http:127.0.0.1/x", "https:x", "//xn--a/", "http://xn--a.test/",
         "http://a]b/x.mp3", "//a]b/x.mp3", "http://x]:80/", "\x0b", "http://[::1/", "http://example.com:\u00b2/"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_hostile_locations_end_in_a_report(mode: str) -> None:
    """A server redirecting to any hostile Location gets a failing Report with coded findings, never a raise."""
    location = [b"/"]
    with RawServer(_redirect_to(location)) as server, recorded_connections(server.port) as log:
        fetcher = SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK, resolver=_stub_resolver(server.port))

        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(st.one_of(hostile_urls(server.port), JUNK))
        @_known_examples
        def check(text: str) -> None:
            location[0] = text.encode("utf-8", "surrogateescape")
            log.tried.clear()
            _assert_answered(fetch_with(fetcher, server.url("/start.mp3"), mode), log)

        try:
            check()
        finally:
            fetcher.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_hostile_urls_end_in_a_report(mode: str) -> None:
    """Any hostile URL string given to the fetcher gets a failing Report with coded findings, never a raise."""
    location = [b"/"]
    with RawServer(_redirect_to(location)) as server, recorded_connections(server.port) as log:
        fetcher = SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK, resolver=_stub_resolver(server.port))

        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(hostile_urls(server.port))
        @_known_examples
        def check(url: str) -> None:
            log.tried.clear()
            _assert_answered(fetch_with(fetcher, url, mode), log)

        try:
            check()
        finally:
            fetcher.close()



@pytest.mark.parametrize("url", ["http://xn--a.test/", "http:127.0.0.1/x", "https:x", "//xn--a/", "http://[::1/"])
def test_cli_answers_odd_urls_with_findings(url: str, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`mediacheck check TARGET` on the odd forms exits 1 with a coded finding in its JSON (no DNS: a stub)."""
    import json

    from mediacheck.cli import main

    def no_dns(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    monkeypatch.setattr("mediacheck._netguard.system_resolver", no_dns)
    assert main(["check", "--format", "json", url]) == 1
    results = json.loads(capsys.readouterr().out)["results"]
    assert [result["target"] for result in results] == [url]
    assert results[0]["findings"][0]["code"].startswith(("url.", "access."))
