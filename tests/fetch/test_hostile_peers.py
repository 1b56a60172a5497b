"""Hostile servers and resolvers: every trick ends in a finding, never an exception or a forbidden connection."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx2
import pytest

from mediacheck import Limits, Report, acheck_url, check_url
from mediacheck._fetch import SafeFetcher
from mediacheck._fetch_run import FetchRun, InspectSink
from mediacheck._netguard import Resolver
from tests.fetch.conftest import LOOPBACK, StubResolver, fetch_all_with, fetch_with
from tests.support.servers import LoopbackServer, RawResponder, RawServer, Static, TcpProbe, response_head


def _answers(data: bytes) -> RawResponder:
    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.sendall(data)

    return respond


def _check(url: str, mode: str, **kwargs: object) -> Report:
    if mode == "sync":
        return check_url(url, allow_networks=LOOPBACK, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(acheck_url(url, allow_networks=LOOPBACK, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("location", ["http://a]b/x.mp3", "//a]b/x.mp3", "http://x]:80/"])
def test_location_urllib_cannot_split_is_a_finding(mode: str, location: str) -> None:
    """A Location header httpx2 accepts but urllib cannot split (a stray ']') is refused as a URL, not a crash."""
    head = response_head(302, [("Location", location), ("Content-Length", "0")])
    with RawServer(_answers(head)) as server:
        report = _check(server.url("/a.mp3"), mode)
    assert [f.code for f in report.errors] == ["url.invalid"]
    assert report.errors[0].message.endswith(f"redirects to a URL that cannot be fetched: {location!r} is not a "
                                             "usable URL: Invalid IPv6 URL.")
    assert report.fetch is not None
    assert report.fetch.status == 302


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_allowing_all_ipv6_does_not_open_mapped_ipv4_loopback(mode: str) -> None:
    """With allow_networks=["::/0"], http://[::ffff:127.0.0.1]/ is refused before the kernel connects to 127.0.0.1."""
    with TcpProbe("127.0.0.1") as probe:
        url = f"http://[::ffff:7f00:1]:{probe.port}/a.mp3"
        limits = Limits(timeout_s=2.0)  # the probe never answers: a regression should fail fast, not in 30 s
        if mode == "sync":
            report = check_url(url, limits=limits, allow_networks=["::/0"])
        else:
            report = asyncio.run(acheck_url(url, limits=limits, allow_networks=["::/0"]))
        assert probe.connections() == 0
    assert [f.code for f in report.errors] == ["access.blocked-address"]
    assert "127.0.0.1" in report.errors[0].message


def _raises(host: str, port: int) -> list[str]:
    raise RuntimeError("resolver bug")


def _returns_none(host: str, port: int) -> list[str]:
    return None  # type: ignore[return-value]


def _returns_int(host: str, port: int) -> list[str]:
    return [2130706433]  # type: ignore[list-item]


def _returns_bytes(host: str, port: int) -> list[str]:
    return [b"127.0.0.1"]  # type: ignore[list-item]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("resolver", [_raises, _returns_none, _returns_int, _returns_bytes])
def test_a_broken_resolver_is_unreachable_and_never_connects(mode: str, resolver: Resolver) -> None:
    """A resolver that raises, or answers what is not an IP string (an int is 127.0.0.1 to ipaddress), is a finding."""
    with TcpProbe("127.0.0.1") as probe, SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
        report = fetch_with(fetcher, f"http://media.example:{probe.port}/a.mp3", mode)
        assert probe.connections() == 0
    assert [f.code for f in report.errors] == ["access.unreachable"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_pooled_connection_serves_only_its_own_host_name(mode: str, short_mp3: bytes) -> None:
    """Two names for one vetted IP in a shared fetcher: each is resolved and vetted, none rides the other's socket."""
    resolver = StubResolver({"a.example": [["127.0.0.1"]], "b.example": [["127.0.0.1"]]})
    with LoopbackServer({"/a.mp3": Static(short_mp3)}) as server, \
            SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
        urls = [f"http://{name}:{server.port}/a.mp3" for name in ("a.example", "a.example", "b.example")]
        reports = fetch_all_with(fetcher, urls, mode)
    assert all(report.ok for report in reports)
    # The second a.example check reuses the pooled, already vetted connection; b.example gets its own lookup.
    assert resolver.calls == ["a.example", "b.example"]


@pytest.mark.parametrize("length", ["\u00b2", "\u0668", "5, 5", "-1", ""])
def test_unreadable_content_length_is_ignored_not_fatal(length: str) -> None:
    """A Content-Length that is no plain ASCII number is left out (the body is counted anyway), never a crash."""
    limits = Limits()
    run = FetchRun("https://media.example/a.mp3", limits, InspectSink(limits))
    assert run.first_hop() is not None
    response = httpx2.Response(200, headers=[(b"content-length", length.encode()), (b"content-type", b"audio/mpeg")])
    assert run.on_headers(response) is True
    assert run.content_length is None


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("listen", "literal", "allowed"), [
    ("127.0.0.1", "0.0.0.0", "127.0.0.0/8"),
    ("::1", "[::]", "::1/128"),
])
def test_the_unspecified_address_never_connects(mode: str, listen: str, literal: str, allowed: str) -> None:
    """Linux connects 0.0.0.0 and :: to this host; they stay refused even with loopback allowed."""
    with TcpProbe(listen) as probe:
        url = f"http://{literal}:{probe.port}/a.mp3"
        limits = Limits(timeout_s=2.0)
        if mode == "sync":
            report = check_url(url, limits=limits, allow_networks=[allowed])
        else:
            report = asyncio.run(acheck_url(url, limits=limits, allow_networks=[allowed]))
        assert probe.connections() == 0
    assert [f.code for f in report.errors] == ["access.blocked-address"]


_ODD_ANSWERS = {
    "101 without asking": (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nxx",
                           "access.unreachable"),
    "HTTP/0.9-ish garbage": (b"ID3\x04\x00garbage with no status line\r\n\r\n", "access.unreachable"),
    "identity, gzip": (response_head(headers=[("Content-Encoding", "identity, gzip"), ("Content-Length", "3")])
                       + b"abc", "access.content-encoding"),
    "two encodings headers": (response_head(headers=[("Content-Encoding", "identity"), ("Content-Encoding", "br"),
                                                     ("Content-Length", "3")]) + b"abc", "access.content-encoding"),
    "zstd": (response_head(headers=[("Content-Encoding", "zstd"), ("Content-Length", "3")]) + b"abc",
             "access.content-encoding"),
    "Transfer-Encoding and Content-Length": (response_head(headers=[("Content-Length", "3"),
                                                                     ("Transfer-Encoding", "chunked")])
                                             + b"3\r\nabc\r\n0\r\n\r\n", "format.not-mp3"),
    "two different Content-Lengths": (response_head(headers=[("Content-Length", "3"), ("Content-Length", "4")])
                                      + b"abcd", "access.unreachable"),
    "Location with a vertical tab": (response_head(302, [("Location", "/x\x0bhttp://10.0.0.1/")]),
                                     "access.unreachable"),
}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", list(_ODD_ANSWERS))
def test_odd_answers_get_a_finding(mode: str, name: str) -> None:
    """Protocol oddities (101, no status line, compressed or doubly framed bodies) end in a finding, not a crash."""
    data, code = _ODD_ANSWERS[name]
    with RawServer(_answers(data)) as server:
        report = _check(server.url("/a.mp3"), mode)
    assert not report.ok
    assert report.errors[0].code == code


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tls_handshake_stall_ends_at_the_deadline(mode: str) -> None:
    """A server that takes the ClientHello and answers nothing (it waits 5 s for an HTTP head) times out at 0.5 s."""
    with RawServer(_answers(b"")) as server, \
            SafeFetcher(limits=Limits(timeout_s=0.5), allow_networks=LOOPBACK) as fetcher:
        report = fetch_with(fetcher, f"https://127.0.0.1:{server.port}/a.mp3", mode)
    # Had nothing bounded the handshake, the server's own 5 s give-up would have ended it as a TLS error.
    assert [f.code for f in report.errors] == ["access.timeout"]
