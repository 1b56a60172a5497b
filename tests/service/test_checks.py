"""POST /v1/checks: a URL is fetched through the library's guard and judged; refusals are reports too."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx2 as httpx
import pytest
import trustme
from fastapi.testclient import TestClient

from tests.support.servers import LoopbackServer, Redirect, Static


@pytest.fixture(scope="module")
def media(good_mp3: bytes, long_mp3: bytes, wav_bytes: bytes) -> Iterator[LoopbackServer]:
    """A loopback server with a good MP3, a too-long MP3, a WAV, redirects and a missing file.

    ``/guarded.mp3`` is requested only by tests that expect the guard to refuse it: its hit count stays 0.
    """
    routes: dict[str, Any] = {
        "/good.mp3": Static(good_mp3),
        "/guarded.mp3": Static(good_mp3),
        "/long.mp3": Static(long_mp3),
        "/tone.mp3": Static(wav_bytes, content_type="audio/wav"),
        "/to-good": Redirect("/good.mp3"),
        "/to-private": Redirect("http://10.0.0.1/hold.mp3"),
        "/to-metadata": Redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    }
    with LoopbackServer(routes) as server:
        yield server


def _codes(report: dict[str, Any]) -> list[str]:
    return [finding["code"] for finding in report["findings"]]


def _check(test_client: TestClient, url: str, **limits: Any) -> dict[str, Any]:
    response = test_client.post("/v1/checks", json={"url": url, **limits})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


class TestVerdicts:
    """Each verdict of the library comes back as a 200 Report, whether the media passes or not."""

    def test_good_mp3_passes(self, client: TestClient, media: LoopbackServer, good_mp3: bytes) -> None:
        """An MP3 under both limits is ok, with its media facts and fetch facts."""
        report = _check(client, media.url("/good.mp3"))
        assert report["ok"] is True, report["findings"]
        assert report["target"] == media.url("/good.mp3")
        assert report["media"]["format"] == "mp3"
        assert report["fetch"]["status"] == 200
        assert report["fetch"]["bytes_read"] == len(good_mp3)

    def test_wav_is_not_mp3(self, client: TestClient, media: LoopbackServer) -> None:
        """A WAV behind a .mp3 name fails with format.not-mp3."""
        report = _check(client, media.url("/tone.mp3"))
        assert report["ok"] is False
        assert "format.not-mp3" in _codes(report)

    def test_too_long_mp3_fails(self, client: TestClient, media: LoopbackServer) -> None:
        """A 75-second MP3 fails with duration.too-long."""
        report = _check(client, media.url("/long.mp3"))
        assert report["ok"] is False
        assert "duration.too-long" in _codes(report)

    def test_missing_file_is_an_http_status_finding(self, client: TestClient, media: LoopbackServer) -> None:
        """A 404 is access.http-status, not an error of the service."""
        report = _check(client, media.url("/nothing.mp3"))
        assert report["ok"] is False
        assert "access.http-status" in _codes(report)
        assert report["fetch"]["status"] == 404

    def test_redirect_is_followed_and_recorded(self, client: TestClient, media: LoopbackServer) -> None:
        """A redirect within the allowed origin is followed, and the hop is in the report."""
        report = _check(client, media.url("/to-good"))
        assert report["ok"] is True, report["findings"]
        assert report["fetch"]["final_url"] == media.url("/good.mp3")
        assert [hop["status"] for hop in report["fetch"]["redirects"]] == [302]

    def test_request_limits_replace_the_defaults(self, client: TestClient, media: LoopbackServer) -> None:
        """max_seconds and max_bytes in the body tighten the check of an otherwise good file."""
        assert "duration.too-long" in _codes(_check(client, media.url("/good.mp3"), max_seconds=1.5))
        assert "size.too-large" in _codes(_check(client, media.url("/good.mp3"), max_bytes=1000))

    def test_bad_url_is_a_url_finding(self, client: TestClient) -> None:
        """A URL that is not http(s) is answered by the URL policy, without a fetch."""
        report = _check(client, "ftp://example.com/hold.mp3")
        assert report["ok"] is False
        assert report["findings"][0]["code"].startswith("url.")

    def test_over_real_http(self, live_for: Callable[..., str], media: LoopbackServer) -> None:
        """Through a real uvicorn, a good and a failing URL get their verdicts."""
        base = live_for()
        good = httpx.post(f"{base}/v1/checks", json={"url": media.url("/good.mp3")}, timeout=30)
        bad = httpx.post(f"{base}/v1/checks", json={"url": media.url("/tone.mp3")}, timeout=30)
        assert good.status_code == bad.status_code == 200
        assert good.json()["ok"] is True
        assert "format.not-mp3" in _codes(bad.json())


class TestGuard:
    """The service never fetches for strangers from addresses outside MEDIACHECK_ALLOW_NETWORKS."""

    def test_loopback_is_refused_unless_allowed(self, client_for: Callable[..., TestClient],
                                                media: LoopbackServer) -> None:
        """Without the exemption, the loopback media server is a blocked address and is never contacted."""
        report = _check(client_for(allow_networks=()), media.url("/guarded.mp3"))
        assert "access.blocked-address" in _codes(report)
        assert media.hits["/guarded.mp3"] == 0

    @pytest.mark.parametrize(("url", "code"), [
        ("http://169.254.169.254/latest/meta-data/", "access.blocked-address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "access.blocked-address"),
        # The URL policy already refuses an IPv4-mapped literal as ambiguous, before the address guard.
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "url.invalid"),
    ])
    def test_metadata_address_is_refused_before_connecting(self, client: TestClient, url: str, code: str) -> None:
        """The cloud metadata address (and its IPv6 disguises) is refused with no connection made."""
        report = _check(client, url)
        assert report["ok"] is False
        assert code in _codes(report)
        assert report["media"] is None
        if report["fetch"] is not None:
            assert report["fetch"]["status"] is None
            assert report["fetch"]["bytes_read"] == 0

    @pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
    def test_redirect_out_of_the_allowed_range_is_refused(self, client: TestClient, media: LoopbackServer,
                                                          path: str) -> None:
        """An allowed loopback origin cannot redirect the fetch into a private or link-local address."""
        report = _check(client, media.url(path))
        assert report["ok"] is False
        assert "access.blocked-address" in _codes(report)
        assert report["media"] is None
        assert media.hits[path] == 1  # the origin was asked once; the redirect target never


class _StubDns:
    """Public DNS played back from a table; every lookup is recorded."""

    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        return self.answers[host]


class TestStubResolver:
    """Hostnames are judged by the addresses they resolve to (injected DNS: no real lookups)."""

    def test_name_resolving_to_allowed_address_is_fetched(self, client_for: Callable[..., TestClient],
                                                          media: LoopbackServer) -> None:
        """A hostname answered with the (allowed) loopback address is fetched and judged."""
        dns = _StubDns({"hold-music.test": ["127.0.0.1"]})
        report = _check(client_for(resolver=dns), f"http://hold-music.test:{media.port}/good.mp3")
        assert report["ok"] is True, report["findings"]
        assert dns.asked == ["hold-music.test"]

    @pytest.mark.parametrize("answers", [["10.0.0.7"], ["127.0.0.1", "169.254.169.254"], ["::ffff:10.1.2.3"]])
    def test_name_resolving_to_any_private_address_is_refused(self, client_for: Callable[..., TestClient],
                                                              media: LoopbackServer, answers: list[str]) -> None:
        """If any DNS answer is outside the allowed ranges the fetch is refused, and nothing is contacted."""
        dns = _StubDns({"hold-music.test": answers})
        report = _check(client_for(resolver=dns), f"http://hold-music.test:{media.port}/guarded.mp3")
        assert "access.blocked-address" in _codes(report)
        assert media.hits["/guarded.mp3"] == 0

    def test_redirect_to_a_name_resolving_privately_is_refused(self, client_for: Callable[..., TestClient],
                                                               good_mp3: bytes) -> None:
        """A redirect to a hostname whose DNS answer is private is refused at that hop."""
        dns = _StubDns({"cdn.test": ["192.168.1.20"]})
        with LoopbackServer({"/start": Redirect("http://cdn.test/hold.mp3")}) as server:
            report = _check(client_for(resolver=dns), server.url("/start"))
        assert "access.blocked-address" in _codes(report)
        assert dns.asked == ["cdn.test"]


@pytest.fixture(scope="module")
def tls_media(good_mp3: bytes) -> Iterator[tuple[LoopbackServer, ssl.SSLContext]]:
    """An HTTPS loopback server with a certificate for media.test, and a client context trusting its CA."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("media.test").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with LoopbackServer({"/hold.mp3": Static(good_mp3)}, ssl_context=server_context) as server:
        yield server, client_context


class TestTls:
    """The app's fetcher checks certificates against the CA context it was created with (certifi by default)."""

    def test_trusted_certificate_passes(self, client_for: Callable[..., TestClient],
                                        tls_media: tuple[LoopbackServer, ssl.SSLContext]) -> None:
        """With the test CA injected, https://media.test (stub DNS to loopback) is fetched and passes."""
        server, client_context = tls_media
        test_client = client_for(resolver=_StubDns({"media.test": ["127.0.0.1"]}), verify=client_context)
        report = _check(test_client, f"https://media.test:{server.port}/hold.mp3")
        assert report["ok"] is True, report["findings"]
        assert "url.plain-http" not in _codes(report)

    def test_untrusted_certificate_is_an_access_tls_finding(self, client_for: Callable[..., TestClient],
                                                             tls_media: tuple[LoopbackServer, ssl.SSLContext]) -> None:
        """With the default CAs the self-made certificate is refused: access.tls, still a 200 answer."""
        server, _ = tls_media
        test_client = client_for(resolver=_StubDns({"media.test": ["127.0.0.1"]}))
        report = _check(test_client, f"https://media.test:{server.port}/hold.mp3")
        assert report["ok"] is False
        assert "access.tls" in _codes(report)
