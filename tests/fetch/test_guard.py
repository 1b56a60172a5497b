"""The network guard on the wire: refused addresses are never connected to, vetted ones are used as vetted."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
import trustme

from mediacheck import acheck_url, check_url
from mediacheck._fetch import SafeFetcher
from tests.fetch.conftest import LOOPBACK, StubResolver, fetch_with
from tests.support.servers import LoopbackServer, Redirect, Static, TcpProbe

ONLY_127_0_0_1 = ("127.0.0.1/32",)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


class TestRefusedBeforeConnecting:
    """A denied address gets no TCP connection at all, however the fetch was steered there."""

    def test_loopback_is_denied_by_default(self) -> None:
        """Without allow_networks, 127.0.0.1 is refused and nothing connects to it."""
        with TcpProbe() as probe:
            report = check_url(f"http://127.0.0.1:{probe.port}/a.mp3")
            assert probe.connections() == 0
        assert [f.code for f in report.errors] == ["access.blocked-address"]
        assert "loopback (127.0.0.0/8)" in report.errors[0].message

    def test_async_loopback_is_denied_by_default(self) -> None:
        """The async fetch refuses the same way."""
        with TcpProbe() as probe:
            report = asyncio.run(acheck_url(f"http://127.0.0.1:{probe.port}/a.mp3"))
            assert probe.connections() == 0
        assert [f.code for f in report.errors] == ["access.blocked-address"]

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_redirect_from_allowed_origin_to_other_loopback_is_refused(self, mode: str) -> None:
        """127.0.0.1 is allowed, its redirect to 127.0.0.2 is refused and 127.0.0.2 sees no connection."""
        with TcpProbe("127.0.0.2") as probe, \
                LoopbackServer({"/a": Redirect(f"http://127.0.0.2:{probe.port}/a.mp3")}) as server:
            if mode == "sync":
                report = check_url(server.url("/a"), allow_networks=ONLY_127_0_0_1)
            else:
                report = asyncio.run(acheck_url(server.url("/a"), allow_networks=ONLY_127_0_0_1))
            assert probe.connections() == 0
        assert [f.code for f in report.errors] == ["access.blocked-address"]
        assert f"a redirect from {server.url('/a')} led there" in report.errors[0].message
        assert report.fetch is not None
        assert len(report.fetch.redirects) == 1

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_host_name_resolving_to_a_denied_address_is_refused(self, mode: str) -> None:
        """A public-looking name whose DNS answer is a denied address is refused without a connection."""
        with TcpProbe("127.0.0.2") as probe:
            resolver = StubResolver({"media.example": [["127.0.0.2"]]})
            url = f"http://media.example:{probe.port}/a.mp3"
            with SafeFetcher(allow_networks=ONLY_127_0_0_1, resolver=resolver) as fetcher:
                report = fetch_with(fetcher, url, mode)
            assert probe.connections() == 0
        assert [f.code for f in report.errors] == ["access.blocked-address"]
        assert "media.example: 127.0.0.2 is loopback" in report.errors[0].message

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_one_denied_answer_spoils_all(self, mode: str, short_mp3: bytes) -> None:
        """Allowed answer first, denied answer next: refused, and not even the allowed one is contacted."""
        with LoopbackServer({"/a.mp3": Static(short_mp3)}, host="127.0.0.1") as server:
            resolver = StubResolver({"media.example": [["127.0.0.1", "127.0.0.2"]]})
            with SafeFetcher(allow_networks=ONLY_127_0_0_1, resolver=resolver) as fetcher:
                url = f"http://media.example:{server.port}/a.mp3"
                report = fetch_with(fetcher, url, mode)
            assert server.hits == {}
        assert [f.code for f in report.errors] == ["access.blocked-address"]
        assert "127.0.0.2" in report.errors[0].message

    def test_redirect_to_a_name_resolving_to_a_denied_address(self, short_mp3: bytes) -> None:
        """A hop to a host name is vetted on its own DNS answer, before connecting."""
        with TcpProbe("127.0.0.2") as probe, \
                LoopbackServer({"/a": Redirect(f"http://internal.example:{probe.port}/a.mp3")}) as server:
            resolver = StubResolver({"internal.example": [["127.0.0.2"]]})
            with SafeFetcher(allow_networks=ONLY_127_0_0_1, resolver=resolver) as fetcher:
                report = fetcher.check(server.url("/a"))
            assert probe.connections() == 0
        assert [f.code for f in report.errors] == ["access.blocked-address"]
        assert resolver.calls == ["internal.example"]

    @pytest.mark.parametrize("host", ["2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.1"])
    def test_odd_notation_never_connects(self, host: str) -> None:
        """An odd IPv4 notation of an allowed address is still refused, with no connection."""
        with TcpProbe() as probe:
            report = check_url(f"http://{host}:{probe.port}/a.mp3", allow_networks=LOOPBACK)
            assert probe.connections() == 0
        assert [f.code for f in report.errors] == ["url.invalid"]


class TestVettedAddressIsUsed:
    """The fetch connects to the address it vetted, once resolved, and keeps the host name for HTTP."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_rebinding_cannot_redirect_the_connection(self, mode: str, short_mp3: bytes) -> None:
        """DNS answers an allowed address, then a denied one: the fetch resolves once and uses the first."""
        hosts: list[str] = []

        def recording(handler: Any) -> None:
            hosts.append(handler.headers["Host"])
            handler.send_response(200)
            handler.send_header("Content-Type", "audio/mpeg")
            handler.send_header("Content-Length", str(len(short_mp3)))
            handler.end_headers()
            handler.wfile.write(short_mp3)

        with LoopbackServer({"/a.mp3": recording}, host="127.0.0.2") as server, TcpProbe("127.0.0.3") as probe:
            resolver = StubResolver({"media.example": [["127.0.0.2"], ["127.0.0.3"]]})
            with SafeFetcher(allow_networks=("127.0.0.2/32",), resolver=resolver) as fetcher:
                url = f"http://media.example:{server.port}/a.mp3"
                report = fetch_with(fetcher, url, mode)
            assert probe.connections() == 0
        assert report.ok, report.findings
        assert resolver.calls == ["media.example"]
        assert hosts == [f"media.example:{server.port}"]

    @pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
    def test_ipv6_loopback_when_allowed(self, short_mp3: bytes) -> None:
        """[::1] is denied by default and fetched when ::1/128 is allowed."""
        with LoopbackServer({"/a.mp3": Static(short_mp3)}, host="::1") as server:
            denied = check_url(server.url("/a.mp3"))
            allowed = check_url(server.url("/a.mp3"), allow_networks=("::1/128",))
        assert [f.code for f in denied.errors] == ["access.blocked-address"]
        assert allowed.ok, allowed.findings


class TestNothingFromTheEnvironment:
    """Proxies and netrc credentials in the environment are ignored (trust_env=False)."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_proxy_variables_are_ignored(self, mode: str, short_mp3: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
        """With HTTP_PROXY and ALL_PROXY pointing at a listener, the fetch still goes direct."""
        with TcpProbe() as proxy, LoopbackServer({"/a.mp3": Static(short_mp3)}) as server:
            for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"):
                monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
            url = server.url("/a.mp3")
            report = (check_url(url, allow_networks=LOOPBACK) if mode == "sync"
                      else asyncio.run(acheck_url(url, allow_networks=LOOPBACK)))
            assert proxy.connections() == 0
        assert report.ok, report.findings

    def test_netrc_credentials_are_not_sent(self, short_mp3: bytes, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """A netrc entry for the host does not turn into an Authorization header."""
        seen: list[str | None] = []

        def recording(handler: Any) -> None:
            seen.append(handler.headers.get("Authorization"))
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(short_mp3)))
            handler.end_headers()
            handler.wfile.write(short_mp3)

        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        with LoopbackServer({"/a.mp3": recording}) as server:
            check_url(server.url("/a.mp3"), allow_networks=LOOPBACK)
        assert seen == [None]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority for the TLS tests."""
    return trustme.CA()


def _tls_server(ca: trustme.CA, name: str, body: bytes, sni_seen: list[str | None]) -> LoopbackServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)

    def remember(sock: Any, server_name: str | None, ctx: Any) -> None:
        sni_seen.append(server_name)

    context.sni_callback = remember
    return LoopbackServer({"/a.mp3": Static(body)}, ssl_context=context)


@pytest.fixture
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    """A client SSL context that trusts the throwaway CA."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


class TestTLS:
    """TLS runs on the host name even though the connection goes to the vetted IP."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_certificate_and_sni_use_the_host_name(self, mode: str, ca: trustme.CA, client_context: ssl.SSLContext,
                                                   short_mp3: bytes) -> None:
        """A certificate for media.test verifies, and the server saw SNI media.test, not an IP."""
        sni: list[str | None] = []
        with _tls_server(ca, "media.test", short_mp3, sni) as server:
            resolver = StubResolver({"media.test": [["127.0.0.1"]]})
            with SafeFetcher(allow_networks=LOOPBACK, resolver=resolver, verify=client_context) as fetcher:
                url = f"https://media.test:{server.port}/a.mp3"
                report = fetch_with(fetcher, url, mode)
        assert report.ok, report.findings
        assert "url.plain-http" not in report.codes()
        assert sni == ["media.test"]

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_certificate_for_another_name_fails(self, mode: str, ca: trustme.CA, client_context: ssl.SSLContext,
                                                short_mp3: bytes) -> None:
        """A certificate that does not cover the host name is access.tls, saying so."""
        with _tls_server(ca, "other.test", short_mp3, []) as server:
            resolver = StubResolver({"media.test": [["127.0.0.1"]]})
            with SafeFetcher(allow_networks=LOOPBACK, resolver=resolver, verify=client_context) as fetcher:
                url = f"https://media.test:{server.port}/a.mp3"
                report = fetch_with(fetcher, url, mode)
            assert server.hits == {}
        assert [f.code for f in report.errors] == ["access.tls"]
        assert "mismatch" in report.errors[0].message or "match" in report.errors[0].message

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize(("cert_for", "ok"), [("127.0.0.1", True), ("media.test", False), ("127.0.0.2", False)])
    def test_ip_literal_is_checked_against_the_certificate(self, mode: str, ca: trustme.CA,
                                                           client_context: ssl.SSLContext, short_mp3: bytes,
                                                           cert_for: str, ok: bool) -> None:
        """https://127.0.0.1/ verifies only with a certificate naming that IP address; others are access.tls."""
        with _tls_server(ca, cert_for, short_mp3, []) as server, \
                SafeFetcher(allow_networks=LOOPBACK, verify=client_context) as fetcher:
            report = fetch_with(fetcher, f"https://127.0.0.1:{server.port}/a.mp3", mode)
        assert report.ok is ok, report.findings
        assert [f.code for f in report.errors] == ([] if ok else ["access.tls"])

    def test_unknown_authority_fails(self, ca: trustme.CA, short_mp3: bytes) -> None:
        """The default trust store (certifi) does not trust a private CA: access.tls."""
        with _tls_server(ca, "media.test", short_mp3, []) as server:
            resolver = StubResolver({"media.test": [["127.0.0.1"]]})
            with SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
                report = fetcher.check(f"https://media.test:{server.port}/a.mp3")
        assert [f.code for f in report.errors] == ["access.tls"]
        assert "certificate" in report.errors[0].message

    def test_ssl_cert_file_in_the_environment_does_not_widen_trust(self, ca: trustme.CA, short_mp3: bytes,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """SSL_CERT_FILE naming a private CA is ignored: the default trust store still refuses its certificate."""
        bundle = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        monkeypatch.setattr("mediacheck._fetch._DEFAULT_SSL_CONTEXT", None)
        with _tls_server(ca, "media.test", short_mp3, []) as server:
            resolver = StubResolver({"media.test": [["127.0.0.1"]]})
            with SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
                report = fetcher.check(f"https://media.test:{server.port}/a.mp3")
        assert [f.code for f in report.errors] == ["access.tls"]


def test_international_host_names_are_resolved_in_punycode(short_mp3: bytes) -> None:
    """A Unicode host name is looked up in its IDNA form and fetched like any other."""
    with LoopbackServer({"/a.mp3": Static(short_mp3)}) as server:
        resolver = StubResolver({"xn--bcher-kva.example": [["127.0.0.1"]]})
        with SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
            report = fetcher.check(f"http://bücher.example:{server.port}/a.mp3")
    assert report.ok, report.findings
    assert resolver.calls == ["xn--bcher-kva.example"]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"url": b"http://example.com/a.mp3"}, "url must be a string"),
    ({"url": "http://example.com/a.mp3", "limits": {"size_limit_bytes": 1}}, "limits must be"),
    ({"url": "http://example.com/a.mp3", "allow_networks": ["10.0.0.0/40"]}, "allow_networks"),
])
def test_misuse_is_a_usage_error(kwargs: dict[str, Any], words: str) -> None:
    """Arguments of the wrong type are the caller's mistake: UsageError, before any network activity."""
    from mediacheck import UsageError

    with pytest.raises(UsageError, match=words):
        check_url(**kwargs)
