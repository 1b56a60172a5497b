"""GET /readyz: 200 with what was checked when the instance can take checks, 503 saying what is wrong when not."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mediacheck.service.app import create_app
from mediacheck.service.settings import Settings
from tests.service.conftest import make_settings


class TestReady:
    """A started instance with valid settings is ready, ffmpeg or not."""

    def test_ready_with_every_check_listed(self, client_for: Callable[..., TestClient], ffmpeg_exe: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
        """With an ffmpeg configured: 200, status ready, resources, settings and ffmpeg all ok."""
        monkeypatch.setenv("MEDIACHECK_FFMPEG", ffmpeg_exe)
        response = client_for().get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "detail": None, "checks": {
            "resources": {"ok": True, "detail": None}, "settings": {"ok": True, "detail": None},
            "ffmpeg": {"ok": True, "detail": None}}}

    def test_no_ffmpeg_at_all_is_ready_but_says_deep_decoding_is_off(
            self, client_for: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
        """Verdicts never need ffmpeg: with none on PATH and no imageio-ffmpeg, still 200, ffmpeg reported missing."""
        monkeypatch.delenv("MEDIACHECK_FFMPEG", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if the audio extra were not installed
        response = client_for().get("/readyz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ready"
        assert body["checks"]["ffmpeg"]["ok"] is False
        assert "deep decoding is unavailable" in body["checks"]["ffmpeg"]["detail"]

    def test_needs_no_api_key(self, client_for: Callable[..., TestClient], ffmpeg_exe: str,
                              monkeypatch: pytest.MonkeyPatch) -> None:
        """Orchestrators probe without credentials: /readyz answers 200 even when keys are configured."""
        monkeypatch.setenv("MEDIACHECK_FFMPEG", ffmpeg_exe)
        client = client_for(api_keys=("k",))
        assert client.get("/readyz").status_code == 200
        closed = client.post("/v1/checks", json={"url": "http://127.0.0.1/a.mp3"})  # the API itself stays closed
        assert closed.status_code == 401
        assert closed.json() == {"detail": "Missing or wrong API key: send `Authorization: Bearer <key>`."}


class TestNotReady:
    """What makes an instance not ready is named in the 503, without echoing configured values."""

    def test_ffmpeg_setting_that_names_no_binary(self, client_for: Callable[..., TestClient],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """MEDIACHECK_FFMPEG=/nonexistent is an operator's mistake: 503 naming the variable, not the path."""
        monkeypatch.setenv("MEDIACHECK_FFMPEG", "/nonexistent/ffmpeg")
        response = client_for().get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not-ready"
        assert body["checks"]["ffmpeg"]["ok"] is False
        assert body["detail"].startswith("MEDIACHECK_FFMPEG does not name an executable ffmpeg")
        assert "nonexistent" not in response.text

    def test_invalid_settings(self) -> None:
        """Settings built without validation (an embedder's model_construct) that are invalid: 503 naming them."""
        values = make_settings().model_dump() | {"retry_after_s": -1}
        with TestClient(create_app(Settings.model_construct(**values))) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["settings"] == {"ok": False,
                                                         "detail": "Invalid settings: MEDIACHECK_RETRY_AFTER_S."}
        assert response.json()["detail"] == "Invalid settings: MEDIACHECK_RETRY_AFTER_S."

    def test_not_started(self) -> None:
        """Before the lifespan has opened the shared resources (served without lifespan), 503."""
        client = TestClient(create_app(make_settings()))  # not entered: the lifespan never runs
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["detail"] == "The service has not finished starting."
        assert client.get("/healthz").status_code == 200  # alive, though not ready
