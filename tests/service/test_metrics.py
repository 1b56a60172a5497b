"""GET /metrics: Prometheus counters that move by exactly what the service did, per app, behind the key if set."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mediacheck.service.routes.dialin import PINLESS_EXAMPLE
from tests.support.servers import LoopbackServer, RawServer, Static, drip

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(get: Callable[..., httpx.Response], **headers: str) -> Samples:
    """Every sample of one scrape, keyed by (sample name, labels)."""
    response = get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist yet (Prometheus' view of an unseen counter)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def _upload(client: TestClient, data: bytes, name: str = "hold.mp3") -> httpx.Response:
    return client.post("/v1/checks/upload", files={"file": (name, data, "audio/mpeg")})


class TestCheckCounters:
    """Checks are counted by kind and verdict, findings by code, fetched bytes from the reports."""

    def test_counters_move_by_exactly_the_checks_made(self, client: TestClient, good_mp3: bytes, long_mp3: bytes,
                                                      wav_bytes: bytes) -> None:
        """Two passing and two failing URL checks, and one failing upload, show up as exactly those numbers."""
        routes = {"/good.mp3": Static(good_mp3), "/long.mp3": Static(long_mp3),
                  "/tone.wav": Static(wav_bytes, content_type="audio/wav")}
        with LoopbackServer(routes) as server:
            before = scrape(client.get)
            answers = [client.post("/v1/checks", json={"url": server.url(path)}).json()
                       for path in ("/good.mp3", "/good.mp3", "/long.mp3", "/tone.wav")]
            upload = _upload(client, wav_bytes, "tone.wav").json()
            after = scrape(client.get)
        assert [answer["ok"] for answer in answers] == [True, True, False, False]
        assert upload["ok"] is False

        def moved(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert moved("mediacheck_checks_total", kind="url", verdict="pass") == 2
        assert moved("mediacheck_checks_total", kind="url", verdict="fail") == 2
        assert moved("mediacheck_checks_total", kind="upload", verdict="fail") == 1
        assert moved("mediacheck_checks_total", kind="upload", verdict="pass") == 0
        assert moved("mediacheck_findings_total", code="duration.too-long", severity="error") == 1
        assert moved("mediacheck_findings_total", code="format.not-mp3", severity="error") == 2  # wav by URL and upload
        codes_reported = sum(len(answer["findings"]) for answer in [*answers, upload])
        assert sum(v for (name, _), v in after.items() if name == "mediacheck_findings_total") - sum(
            v for (name, _), v in before.items() if name == "mediacheck_findings_total") == codes_reported
        # The fetch counter is the sum of every report's fetch.bytes_read; the good file is read whole.
        assert answers[0]["fetch"]["bytes_read"] == len(good_mp3)
        assert moved("mediacheck_fetch_bytes_total") == sum(answer["fetch"]["bytes_read"] for answer in answers)
        assert moved("mediacheck_check_duration_seconds_count", kind="url") == 4
        assert moved("mediacheck_check_duration_seconds_count", kind="upload") == 1
        assert moved("mediacheck_check_duration_seconds_bucket", kind="url", le="+Inf") == 4
        assert moved("mediacheck_check_duration_seconds_sum", kind="url") > 0

    def test_dialin_hold_music_counts_as_a_check(self, client: TestClient, good_mp3: bytes) -> None:
        """A dial-in validation that fetches hold music counts one ``dialin`` check and its fetched bytes."""
        with LoopbackServer({"/hold.mp3": Static(good_mp3)}) as server:
            # IP literals only: the webhook's host is vetted, never requested, and nothing asks DNS.
            body = {**PINLESS_EXAMPLE, "room_creation_api": "https://127.0.0.1:9/dial",
                    "hold_music_url": server.url("/hold.mp3")}
            before = scrape(client.get)
            answer = client.post("/v1/dialin-configs/validate", json=body).json()
            after = scrape(client.get)
        assert answer["hold_music"]["ok"] is True
        assert value(after, "mediacheck_checks_total", kind="dialin", verdict="pass") - value(
            before, "mediacheck_checks_total", kind="dialin", verdict="pass") == 1
        assert value(after, "mediacheck_fetch_bytes_total") - value(before, "mediacheck_fetch_bytes_total") == len(
            good_mp3)

    def test_each_app_counts_only_its_own_checks(self, client_for: Callable[..., TestClient], good_mp3: bytes) -> None:
        """Two apps in one process keep separate registries: a check on one leaves the other's counters at 0."""
        first, second = client_for(), client_for()
        assert _upload(first, good_mp3).json()["ok"] is True
        assert value(scrape(first.get), "mediacheck_checks_total", kind="upload", verdict="pass") == 1
        assert value(scrape(second.get), "mediacheck_checks_total", kind="upload", verdict="pass") == 0


class TestHttpCounters:
    """Every answer is counted by method, route template and status, refusals included."""

    def test_refusals_are_counted_by_status(self, client_for: Callable[..., TestClient], good_mp3: bytes) -> None:
        """A 401, a 413, a 422 and a 404 each add one to their status; the route label is the template."""
        client = client_for(api_keys=("k",), max_json_bytes=100)
        auth = {"Authorization": "Bearer k"}
        before = scrape(client.get, **auth)
        assert client.post("/v1/checks", json={"url": "https://example.com/a.mp3"}).status_code == 401
        assert client.post("/v1/checks", content=b"x" * 200, headers=auth).status_code == 413
        assert client.post("/v1/checks", json={"nope": 1}, headers=auth).status_code == 422
        assert client.get("/no/such/page/with/a/secret-looking-id-1234").status_code == 404
        after = scrape(client.get, **auth)
        for status, route in (("401", "/v1/checks"), ("413", "/v1/checks"), ("422", "/v1/checks"),
                              ("404", "unmatched")):
            labels = {"method": "POST" if route != "unmatched" else "GET", "route": route, "status": status}
            assert value(after, "mediacheck_http_requests_total", **labels) - value(
                before, "mediacheck_http_requests_total", **labels) == 1, labels
        assert not any("secret-looking" in dict(labels).get("route", "") for _, labels in after)


    def test_refusals_below_the_app_are_counted(self, live_for: Callable[..., str]) -> None:
        """The server's own 431 (a header block over the cap, refused before the app runs) counts in the app's
        metrics as an unmatched route."""
        base = live_for()
        port = int(base.rsplit(":", 1)[1])
        labels = {"method": "other", "route": "unmatched", "status": "431"}
        before = value(scrape(lambda path, **kw: httpx.get(base + path, **kw)), "mediacheck_http_requests_total",
                       **labels)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 431 ")
        after = value(scrape(lambda path, **kw: httpx.get(base + path, **kw)), "mediacheck_http_requests_total",
                      **labels)
        assert after - before == 1

class TestSlotsAndBusy:
    """The slot gauges are read at scrape time; a 503 for busy slots is counted."""

    def test_slot_in_use_and_503_while_a_check_is_in_flight(self, live_for: Callable[..., str],
                                                             good_mp3: bytes) -> None:
        """With one slot held by a slow fetch: 1 of 1 in use, another check is a counted 503; then 0 in use."""
        base = live_for(max_concurrency=1)
        with httpx.Client(base_url=base, timeout=30) as http, RawServer(drip(good_mp3, 0.05)) as slow:
            before = scrape(http.get)
            assert value(before, "mediacheck_check_slots") == 1
            assert value(before, "mediacheck_check_slots_in_use") == 0
            held: list[httpx.Response] = []
            holder = threading.Thread(target=lambda: held.append(
                httpx.post(f"{base}/v1/checks", json={"url": slow.url("/slow.mp3")}, timeout=30)))
            holder.start()
            deadline = time.monotonic() + 20
            while value(during := scrape(http.get), "mediacheck_check_slots_in_use") != 1:
                assert time.monotonic() < deadline, "the slow check never took its slot"
                time.sleep(0.02)
            assert value(during, "mediacheck_check_slots") == 1
            assert http.post("/v1/checks", json={"url": slow.url("/other.mp3")}).status_code == 503
        holder.join(timeout=30)  # the drip server's exit cut the slow fetch short
        assert held
        assert held[0].status_code == 200
        with httpx.Client(base_url=base) as http:
            after = scrape(http.get)
        assert value(after, "mediacheck_check_slots_in_use") == 0
        busy = {"method": "POST", "route": "/v1/checks", "status": "503"}
        assert value(after, "mediacheck_http_requests_total", **busy) - value(
            before, "mediacheck_http_requests_total", **busy) == 1


class TestAccess:
    """/metrics follows the API key and can be turned off."""

    def test_needs_the_key_when_keys_are_configured(self, client_for: Callable[..., TestClient]) -> None:
        """Without the bearer key /metrics is 401; with it, 200."""
        client = client_for(api_keys=("k",))
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer k"}).status_code == 200

    def test_metrics_off_removes_the_endpoint(self, client_for: Callable[..., TestClient],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """MEDIACHECK_METRICS=0 answers /metrics with 404 and leaves it out of the OpenAPI document."""
        monkeypatch.setenv("MEDIACHECK_METRICS", "0")
        from mediacheck.service.settings import Settings

        assert Settings().metrics is False
        client = client_for(metrics=False)
        assert client.get("/metrics").status_code == 404
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]

    def test_openmetrics_on_request(self, client: TestClient) -> None:
        """A scraper that asks for OpenMetrics gets it (Prometheus negotiates with Accept)."""
        response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        assert response.headers["content-type"].startswith("application/openmetrics-text")
        assert response.text.rstrip().endswith("# EOF")
