"""The service's JSON for a hold music the scan stopped early: both durations at least the limit, as everywhere."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import FIXTURES


def test_an_upload_over_the_limit_reads_at_least_the_limit(client: TestClient) -> None:
    """A 75 s upload: complete false, duration_s and stream_duration_s at least 60, and the message says so."""
    data = (FIXTURES / "too-long-75s.mp3").read_bytes()
    response = client.post("/v1/checks/upload", files={"file": ("hold.mp3", data, "audio/mpeg")})
    assert response.status_code == 200
    report = response.json()
    media = report["media"]
    assert media["complete"] is False
    assert 60.0 <= media["duration_s"] <= media["stream_duration_s"]
    too_long = next(f for f in report["findings"] if f["code"] == "duration.too-long")
    assert too_long["message"].startswith(f"It plays for at least {media['duration_s']:.3f} s (all frames: at least "
                                          f"{media['stream_duration_s']:.3f} s;")
