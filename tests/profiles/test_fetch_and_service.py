"""Profiles over the network: the Content-Type rule of fetched URLs, and the service's profile field and query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from mediacheck import check_url
from mediacheck._profiles import BUILTIN_PROFILES
from mediacheck.service.app import create_app
from mediacheck.service.profiles import ProfileName
from mediacheck.service.schemas import CheckRequest
from tests.core.conftest import FIXTURES
from tests.service.conftest import make_settings
from tests.support.servers import LoopbackServer, Static

ULAW = (FIXTURES / "wav" / "connect-ulaw-8k-mono-6s.wav").read_bytes()
MP3 = (FIXTURES / "example-hold-music.mp3").read_bytes()
LOOPBACK = ("127.0.0.0/8",)


@pytest.fixture(scope="module")
def media() -> Iterator[LoopbackServer]:
    """The µ-law WAV and the example MP3, served with right, wrong and missing Content-Types."""
    routes: dict[str, Any] = {
        "/prompt.wav": Static(ULAW, content_type="audio/wav"),
        "/prompt-octets.wav": Static(ULAW, content_type="application/octet-stream"),
        "/hold.mp3": Static(MP3, content_type="audio/mpeg"),
        "/hold-text.mp3": Static(MP3, content_type="text/plain"),
        "/hold-untyped.mp3": Static(MP3, content_type=None),
    }
    with LoopbackServer(routes) as server:
        yield server


def _codes(url: str, profile: str | None = None) -> list[str]:
    return check_url(url, allow_networks=LOOPBACK, profile=profile).codes()


class TestContentType:
    """Each profile's Content-Type rule replaces Daily's warning."""

    def test_twilio_requires_an_audio_type(self, media: LoopbackServer) -> None:
        """Twilio's "Play requires an audio Content-Type": text/plain or none is an error; audio/mpeg passes."""
        assert _codes(media.url("/hold.mp3"), "twilio") == ["url.plain-http"]
        assert _codes(media.url("/hold-text.mp3"), "twilio") == ["access.content-type", "url.plain-http"]
        report = check_url(media.url("/hold-untyped.mp3"), allow_networks=LOOPBACK, profile="twilio")
        assert [f.code for f in report.errors] == ["access.content-type"]
        assert report.errors[0].message.startswith("The server sends no Content-Type header; for Twilio <Play>")

    def test_connect_has_no_content_type_rule(self, media: LoopbackServer) -> None:
        """Amazon Connect publishes none: an octet-stream WAV passes with only the plain-http warning."""
        assert _codes(media.url("/prompt-octets.wav"), "connect") == ["url.plain-http"]
        assert _codes(media.url("/prompt.wav"), "connect") == ["url.plain-http"]

    def test_daily_keeps_its_warning(self, media: LoopbackServer) -> None:
        """Under daily a text/plain MP3 still gets today's access.content-type warning and passes."""
        report = check_url(media.url("/hold-text.mp3"), allow_networks=LOOPBACK)
        assert report.ok
        assert "access.content-type" in report.codes()
        assert report.codes() == check_url(media.url("/hold-text.mp3"), allow_networks=LOOPBACK,
                                           profile="daily").codes()


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The service with default settings and loopback allowed."""
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client


class TestService:
    """POST /v1/checks takes a profile field; uploads take ?profile=."""

    def test_profile_names_are_the_builtins(self) -> None:
        """The service offers exactly the built-in profiles."""
        assert set(get_args(ProfileName)) == set(BUILTIN_PROFILES)
        assert set(get_args(get_args(CheckRequest.model_fields["profile"].annotation)[0])) == set(BUILTIN_PROFILES)

    def test_url_check_with_connect(self, client: TestClient, media: LoopbackServer) -> None:
        """The µ-law WAV passes under connect and fails under the default, as a 200 either way."""
        passed = client.post("/v1/checks", json={"url": media.url("/prompt.wav"), "profile": "connect"}).json()
        assert passed["ok"] is True
        assert passed["media"]["wav"]["codec"] == "pcm_mulaw"
        failed = client.post("/v1/checks", json={"url": media.url("/prompt.wav")}).json()
        assert [f["code"] for f in failed["findings"] if f["severity"] == "error"] == ["format.not-mp3"]

    def test_max_seconds_still_overrides(self, client: TestClient, media: LoopbackServer) -> None:
        """max_seconds replaces the profile's duration bound."""
        body = {"url": media.url("/prompt.wav"), "profile": "connect", "max_seconds": 5}
        report = client.post("/v1/checks", json=body).json()
        assert "duration.too-long" in [f["code"] for f in report["findings"]]

    def test_profile_bounds_never_pass_the_operators(self, media: LoopbackServer) -> None:
        """connect allows 5 min, but an operator who caps checks at 4 s gets a 6 s prompt failed at 4 s."""
        with TestClient(create_app(make_settings(duration_limit_s=4.0))) as capped:
            report = capped.post("/v1/checks", json={"url": media.url("/prompt.wav"), "profile": "connect"}).json()
        assert report["ok"] is False
        assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == ["duration.too-long"]
        assert report["media"]["complete"] is False

    def test_unknown_profile_is_422(self, client: TestClient, media: LoopbackServer) -> None:
        """A profile name the service does not offer is refused before anything is fetched."""
        before = media.hits["/prompt.wav"]
        response = client.post("/v1/checks", json={"url": media.url("/prompt.wav"), "profile": "zoom"})
        assert response.status_code == 422
        assert media.hits["/prompt.wav"] == before

    def test_upload_with_profile_query(self, client: TestClient) -> None:
        """?profile=connect judges the uploaded WAV by Amazon Connect's rules; a bad name is 422."""
        files = {"file": ("prompt.wav", ULAW, "audio/wav")}
        report = client.post("/v1/checks/upload?profile=connect", files=files).json()
        assert report["ok"] is True
        assert report["target"] == "prompt.wav"
        assert report["media"]["duration_s"] == 6.0
        assert client.post("/v1/checks/upload?profile=zoom", files=files).status_code == 422
        assert client.post("/v1/checks/upload?profil=connect", files=files).status_code == 422
