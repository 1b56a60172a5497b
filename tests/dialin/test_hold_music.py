"""`hold_music_url`: fetched and checked in full, its findings on the field and its Report under `hold_music`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from mediacheck import Limits, alint_dialin_config, lint_dialin_config
from mediacheck.cli import main
from mediacheck.service.app import create_app
from mediacheck.service.settings import Settings
from tests.dialin.conftest import LOOPBACK, PUBLIC_ADDRESS, StubResolver
from tests.support.media import MediaFactory
from tests.support.servers import LoopbackServer, Static

pytestmark = pytest.mark.ffmpeg

# The spec's example body, verbatim; tests substitute hold_music_url (and sometimes room_creation_api).
SPEC_EXAMPLE: dict[str, Any] = json.loads(
    '{"type":"pinless_dialin","name_prefix":"Customer1","phone_number":"+18058700061",'
    '"room_creation_api":"https://your-app.example.com/api/dial",'
    '"hold_music_url":"https://example.com/static/ringtone.mp3",'
    '"timeout_config":{"message":"No agent is available right now"}}'
)
MUSIC = "/static/ringtone.mp3"
WEBHOOK = "/api/dial"


@pytest.fixture(scope="module")
def music_server(short_mp3: bytes) -> Iterator[LoopbackServer]:
    """A loopback server with the hold music, a webhook path, an HTML page, a WAV-ish file and a 404."""
    routes = {
        MUSIC: Static(short_mp3),
        WEBHOOK: Static(b"{}", content_type="application/json"),
        "/share/ringtone.mp3": Static(b"<!doctype html><html><body>Download</body></html>", content_type="text/html"),
        "/ringtone.wav": Static(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28), content_type="audio/wav"),
    }
    with LoopbackServer(routes) as running:
        yield running


@pytest.fixture
def server(music_server: LoopbackServer) -> LoopbackServer:
    """The module's loopback server with its hit counts reset (stopping a server costs half a second)."""
    music_server.hits.clear()
    return music_server


def example(server: LoopbackServer, **changes: Any) -> dict[str, Any]:
    """The spec's example body with its hold music served from ``server``."""
    return {**SPEC_EXAMPLE, "hold_music_url": server.url(MUSIC), **changes}


class TestSpecExample:
    def test_spec_example_passes(self, server: LoopbackServer,
                                 public_resolver: tuple[StubResolver, list[str]]) -> None:
        """The spec's example body passes: hold music fetched from loopback, the webhook host only resolved."""
        resolve, asked = public_resolver
        report = lint_dialin_config(example(server), allow_networks=LOOPBACK, resolver=resolve)
        assert report.ok, report.to_dict()
        assert report.errors == ()
        assert asked == ["your-app.example.com"]
        assert report.hold_music is not None
        assert report.hold_music.ok
        assert report.hold_music.media is not None
        assert report.hold_music.media.format == "mp3"
        assert server.hits[MUSIC] == 1
        data = report.to_dict()
        assert data["hold_music"]["target"] == server.url(MUSIC)
        assert data["hold_music"]["media"]["format"] == "mp3"

    def test_async_twin_passes_the_same(self, server: LoopbackServer,
                                        public_resolver: tuple[StubResolver, list[str]]) -> None:
        """alint_dialin_config gives the same verdict and findings as the sync call."""
        resolve, _ = public_resolver
        sync_report = lint_dialin_config(example(server), allow_networks=LOOPBACK, resolver=resolve)
        async_report = anyio.run(lambda: alint_dialin_config(example(server), allow_networks=LOOPBACK,
                                                             resolver=resolve))
        assert async_report.ok
        assert async_report.codes() == sync_report.codes()

    def test_webhook_is_never_requested(self, server: LoopbackServer) -> None:
        """With the webhook on the same loopback server as the music, the music is fetched and the webhook is not."""
        body = example(server, room_creation_api=server.url(WEBHOOK).replace("http://", "https://"))
        report = lint_dialin_config(body, allow_networks=LOOPBACK)
        anyio.run(lambda: alint_dialin_config(body, allow_networks=LOOPBACK))
        assert report.ok, report.to_dict()
        assert server.hits[MUSIC] == 2
        assert server.hits[WEBHOOK] == 0


class TestFailures:
    @pytest.mark.parametrize(("path", "code"), [
        ("/share/ringtone.mp3", "format.not-mp3"), ("/ringtone.wav", "format.not-mp3"),
        ("/missing.mp3", "access.http-status"),
    ])
    def test_failures_are_reported_on_the_field(self, server: LoopbackServer,
                                                public_resolver: tuple[StubResolver, list[str]],
                                                path: str, code: str) -> None:
        """A hold music that fails makes the config fail, with its findings on `hold_music_url`."""
        resolve, _ = public_resolver
        report = lint_dialin_config(example(server, hold_music_url=server.url(path)), allow_networks=LOOPBACK,
                                    resolver=resolve)
        assert not report.ok
        assert report.hold_music is not None
        assert not report.hold_music.ok
        assert code in [f.code for f in report.for_field("hold_music_url") if f.severity.value == "error"]
        assert {f.field for f in report.errors} == {"hold_music_url"}
        assert report.to_dict()["hold_music"]["ok"] is False

    def test_private_address_is_refused_without_allow_networks(self, server: LoopbackServer,
                                                               public_resolver: tuple[StubResolver, list[str]],
                                                               ) -> None:
        """Without the loopback exemption the guard refuses the hold music, and nothing reaches the server."""
        resolve, _ = public_resolver
        report = lint_dialin_config(example(server), resolver=resolve)
        assert not report.ok
        assert "access.blocked-address" in [f.code for f in report.for_field("hold_music_url")]
        assert server.hits[MUSIC] == 0

    def test_pin_config_does_not_fetch_hold_music(self, server: LoopbackServer) -> None:
        """On a pin config `hold_music_url` is a wrong-kind error and is never fetched."""
        body = {"type": "pin_dialin", "phone_number": "+18058700061", "hold_music_url": server.url(MUSIC)}
        report = lint_dialin_config(body, allow_networks=LOOPBACK)
        assert report.codes() == ["field.wrong-kind"]
        assert report.hold_music is None
        assert server.hits[MUSIC] == 0


class TestDecisions:
    def test_phone_number_required_for_pin_only(self) -> None:
        """Decision 1: `phone_number` is required for pin_dialin and optional for pinless_dialin (the prose)."""
        assert lint_dialin_config({"type": "pinless_dialin"}).ok
        report = lint_dialin_config({"type": "pin_dialin"})
        assert not report.ok
        assert [(f.field, f.code) for f in report.errors] == [("phone_number", "field.required")]

    def test_ten_megabytes_means_ten_million_bytes(self, short_mp3: bytes,
                                                   public_resolver: tuple[StubResolver, list[str]]) -> None:
        """Decision 2: a 10,200,000-byte hold music fails by default (10,000,000) and passes with 10 MiB allowed."""
        # A large ID3v2 tag of padding makes a short, valid MP3 weigh 10.2 MB.
        padding = 10_200_000 - len(short_mp3)
        size = bytes(((padding - 10) >> shift) & 0x7F for shift in (21, 14, 7, 0))
        big = b"ID3\x04\x00\x00" + size + bytes(padding - 10) + short_mp3
        resolve, _ = public_resolver
        with LoopbackServer({MUSIC: Static(big)}) as server:
            strict = lint_dialin_config(example(server), allow_networks=LOOPBACK, resolver=resolve)
            lenient = lint_dialin_config(example(server), allow_networks=LOOPBACK, resolver=resolve,
                                         limits=Limits(size_limit_bytes=10_485_760))
        assert "size.too-large" in [f.code for f in strict.for_field("hold_music_url")]
        assert not strict.ok
        assert lenient.ok, lenient.to_dict()

    def test_duration_fails_when_either_duration_reaches_the_limit(
            self, make_media: MediaFactory, public_resolver: tuple[StubResolver, list[str]]) -> None:
        """Decision 3: playback 1.99 s but all frames ≥ 2.0 s fails a 2-second limit, and reports both durations."""
        out = make_media.tone_mp3(1.99, "32k")
        resolve, _ = public_resolver
        with LoopbackServer({MUSIC: Static(out.read_bytes())}) as server:
            report = lint_dialin_config(example(server), allow_networks=LOOPBACK, resolver=resolve,
                                        limits=Limits(duration_limit_s=2.0))
        assert report.hold_music is not None
        media = report.hold_music.media
        assert media is not None
        assert media.duration_s is not None
        assert media.stream_duration_s is not None
        assert media.duration_s < 2.0 <= media.stream_duration_s
        assert not report.ok
        assert "duration.too-long" in [f.code for f in report.errors if f.field == "hold_music_url"]


class TestFrontDoors:
    def test_cli_checks_the_hold_music(self, server: LoopbackServer, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        """The CLI fetches the hold music with --allow-network, prints its verdict, and never calls the webhook."""
        body = example(server, room_creation_api=server.url(WEBHOOK).replace("http://", "https://"))
        path = tmp_path / "config.json"
        path.write_text(json.dumps(body), encoding="utf-8")
        assert main(["dialin-config", str(path), "--allow-network", "127.0.0.0/8"]) == 0
        out = capsys.readouterr().out
        assert "hold music: ok (mp3, " in out
        assert main(["dialin-config", str(path), "--allow-network", "127.0.0.0/8", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["hold_music"]["media"]["format"] == "mp3"
        assert main(["dialin-config", str(path), "--allow-network", "127.0.0.0/8", "--no-hold-music"]) == 0
        capsys.readouterr()
        assert server.hits[MUSIC] == 2
        assert server.hits[WEBHOOK] == 0

    def test_cli_limits_and_environment(self, server: LoopbackServer, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        """--max-seconds and --max-bytes tighten the hold-music limits; MEDIACHECK_ALLOW_NETWORKS exempts loopback."""
        monkeypatch.setenv("MEDIACHECK_ALLOW_NETWORKS", "127.0.0.0/8")
        path = tmp_path / "config.json"
        path.write_text(json.dumps(example(server, room_creation_api="https://127.0.0.1/api/dial")),
                        encoding="utf-8")
        assert main(["dialin-config", str(path)]) == 0
        assert main(["dialin-config", str(path), "--max-seconds", "1"]) == 1
        assert "[duration.too-long]" in capsys.readouterr().out
        assert main(["dialin-config", str(path), "--max-bytes", "1000"]) == 1
        assert "[size.too-large]" in capsys.readouterr().out
        assert main(["dialin-config", str(path), "--timeout", "5", "--format", "json"]) == 0

    def test_cli_without_allow_network_fails_on_loopback(self, server: LoopbackServer, tmp_path: Path) -> None:
        """Without --allow-network a loopback hold music is refused: exit 1."""
        path = tmp_path / "config.json"
        path.write_text(json.dumps(example(server, room_creation_api="https://127.0.0.1/api/dial")),
                        encoding="utf-8")
        assert main(["dialin-config", str(path)]) == 1
        assert server.hits[MUSIC] == 0

    def test_service_checks_the_hold_music(self, server: LoopbackServer) -> None:
        """The service answers the DialinReport with the hold music's Report, vetting the webhook by its resolver."""
        asked: list[str] = []

        def resolve(host: str, port: int) -> list[str]:
            asked.append(host)
            return [PUBLIC_ADDRESS]

        app = create_app(Settings(allow_networks=LOOPBACK, api_keys=()), resolver=resolve)
        with TestClient(app) as client:
            response = client.post("/v1/dialin-configs/validate", json=example(server))
            failing = client.post("/v1/dialin-configs/validate",
                                  json=example(server, hold_music_url=server.url("/share/ringtone.mp3")))
        assert response.status_code == 200
        data = response.json()
        assert data["ok"] is True, data
        assert data["hold_music"]["media"]["format"] == "mp3"
        assert asked == ["your-app.example.com", "your-app.example.com"]
        assert failing.json()["ok"] is False
        assert "format.not-mp3" in [f["code"] for f in failing.json()["findings"] if f["field"] == "hold_music_url"]
