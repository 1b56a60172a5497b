"""The page's routes over HTTP: the same keys, slots and caps as /v1, strict headers, escaped answers, nothing kept."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from mediacheck import DialinReport, check_bytes
from mediacheck._dialin_json import MAX_NESTING
from mediacheck.service.app import create_app
from mediacheck.service.routes.dialin import PINLESS_EXAMPLE
from mediacheck.service.web import dialin_view
from mediacheck.service.web.security import CONTENT_SECURITY_POLICY
from tests.service.conftest import make_settings, run_uvicorn
from tests.service.inflight import Callers, StalledUpstream, client_from, wait_until
from tests.service.test_upload import BOUNDARY, _head
from tests.support.servers import LoopbackServer, Static
from tests.web.conftest import FIXTURES, clear_service_env

HOSTILE_NAME = "<script>alert(1)</script>&'.mp3"
SONG = (FIXTURES / "example-hold-music.mp3").read_bytes()
LONG = (FIXTURES / "too-long-75s.mp3").read_bytes()
WAV = (FIXTURES / "not-mp3-pcm.wav").read_bytes()
ATTACKER, HONEST = "127.0.0.2", ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")
ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


@pytest.fixture
def client_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., TestClient]]:
    """TestClients over apps built from settings overrides (loopback allowed); all closed after the test."""
    clear_service_env(monkeypatch)
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_for: Callable[..., TestClient]) -> TestClient:
    """A client over an app with default settings (no keys)."""
    return client_for()


def _upload(client: TestClient, path: str, data: bytes, name: str = "hold.mp3", *,
            headers: dict[str, str] | None = None, profile: str | None = None) -> httpx.Response:
    form = {"profile": profile} if profile is not None else {}
    return client.post(path, files={"file": (name, data, "audio/mpeg")}, data=form, headers=headers)


class TestPage:
    """GET / is the page: local assets only, strict headers, no inline script or style, no key needed."""

    def test_page_and_assets_carry_the_strict_headers(self, client: TestClient) -> None:
        """The page, its script and a fragment all carry the CSP (self only, no framing), nosniff and no-referrer."""
        answers = [client.get("/"), client.get("/web/static/app.js"),
                   _upload(client, "/web/check", SONG)]
        for answer in answers:
            assert answer.status_code == 200
            assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["referrer-policy"] == "no-referrer"
        policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
        assert policy["default-src"] == "'none'"
        assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert answers[2].headers["cache-control"] == "no-store"

    def test_the_api_keeps_its_own_headers(self, client: TestClient) -> None:
        """The page's policy does not reach /docs (Swagger UI runs an inline script) or the JSON API."""
        assert "content-security-policy" not in client.get("/docs").headers
        assert "content-security-policy" not in client.get("/healthz").headers

    def test_every_asset_is_local_and_served(self, client: TestClient) -> None:
        """Every src/href on the page names this service's own path, and each is served with its type."""
        html = client.get("/").text
        references = ASSET.findall(html)
        assert {"/web/static/app.js", "/web/static/app.css", "/web/static/favicon.svg"} <= set(references)
        for reference in references:
            assert reference.startswith("/"), reference
            assert not reference.startswith("//"), reference
            answer = client.get(reference)
            assert answer.status_code == 200, reference
        assert client.get("/web/static/app.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/web/static/app.css").headers["content-type"].startswith("text/css")

    def test_a_path_prefix_carries_into_the_links(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Behind a proxy that serves the app under /mc, the page names its assets and the docs under /mc (the
        script's routes are relative to the page)."""
        clear_service_env(monkeypatch)
        with TestClient(create_app(make_settings()), root_path="/mc") as prefixed:
            html = prefixed.get("/").text
        assert set(ASSET.findall(html)) == {"/mc/web/static/favicon.svg", "/mc/web/static/app.css",
                                            "/mc/web/static/app.js", "/mc/docs"}

    def test_no_inline_script_style_or_handler(self, client: TestClient, rough_edges_mp3: Path) -> None:
        """The page and a rich fragment hold no inline script, style attribute or on* handler (the CSP forbids them)."""
        for html in (client.get("/").text,
                     _upload(client, "/web/check", rough_edges_mp3.read_bytes()).text):
            assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
            assert re.findall(r"\sstyle=", html) == []
            assert re.findall(r"\son[a-z]+=", html) == []
            assert "<style" not in html

    def test_the_page_asks_for_a_key_only_when_one_is_needed(self, client_for: Callable[..., TestClient]) -> None:
        """With keys configured the page (which holds no data) is served without one and shows the key field."""
        assert 'id="api-key"' not in client_for().get("/").text
        keyed = client_for(api_keys=("k1",)).get("/")
        assert keyed.status_code == 200
        assert 'id="api-key"' in keyed.text


class TestSameAuthAndLimitsAsTheApi:
    """The page's routes take the API's key, body caps and check slots."""

    @pytest.mark.parametrize("path", ["/web/check", pytest.param("/web/fix", marks=pytest.mark.ffmpeg), "/web/dialin"])
    def test_without_the_key_nothing_runs(self, client_for: Callable[..., TestClient], path: str) -> None:
        """With keys configured each route answers 401 without one and works with one."""
        client = client_for(api_keys=("k1",))
        body: dict[str, Any] = ({"content": b'{"type": "pin_dialin"}'} if path.endswith("dialin")
                                else {"files": {"file": ("hold.mp3", LONG, "audio/mpeg")}})
        refused = client.post(path, **body)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert client.post(path, **body, headers={"Authorization": "Bearer k2"}).status_code == 401
        assert client.post(path, **body, headers={"Authorization": "Bearer k1"}).status_code == 200

    @pytest.mark.parametrize("path", ["/web/check", "/web/fix"])
    def test_uploads_over_the_cap_are_refused_unread(self, client_for: Callable[..., TestClient], path: str) -> None:
        """MEDIACHECK_MAX_UPLOAD_BYTES caps the page's uploads as it caps /v1/checks/upload: 413 with a JSON detail."""
        answer = _upload(client_for(max_upload_bytes=100_000), path, SONG)
        assert answer.status_code == 413
        assert "at most 100,000" in answer.json()["detail"]

    def test_a_busy_service_answers_503_with_retry_after(self, live_for: Callable[..., str]) -> None:
        """With every upload slot taken by an unfinished page upload, another page upload is 503 with Retry-After.

        (A busy check slot no longer refuses a page upload at once: it has arrived, and waits for one.)
        """
        base = live_for(max_uploads=1, max_uploads_per_client=0, retry_after_s=3)
        trickle = _trickling_form(base, "/web/check", ATTACKER)
        try:
            def refused() -> bool:
                with client_from(HONEST[0]) as other:
                    probe = other.post(f"{base}/web/check", files={"file": ("hold.mp3", SONG, "audio/mpeg")})
                if probe.status_code != 503:
                    return False
                assert probe.headers["retry-after"] == "3"
                assert "upload slots are busy" in probe.json()["detail"]
                return True

            wait_until(refused, "the unfinished upload holds the only upload slot")
        finally:
            trickle.close()

    def test_a_received_page_upload_waits_for_a_check_slot(self, live_for: Callable[..., str]) -> None:
        """A page upload that has arrived while every check slot is busy waits for one, then gets its verdict."""
        base = live_for(max_concurrency=1)
        with StalledUpstream(SONG) as upstream, Callers() as callers:
            held = callers.post(ATTACKER, f"{base}/v1/checks", json={"url": upstream.url()})
            wait_until(lambda: upstream.waiting == 1, "the URL check holds the only slot")
            upload = callers.post(HONEST[0], f"{base}/web/check", files={"file": ("hold.mp3", SONG, "audio/mpeg")})
            time.sleep(0.5)
            assert not upload.done()  # received, and waiting for the slot
            upstream.release()
            assert held.result().status_code == 200
            assert upload.result().status_code == 200
            assert "verdict--pass" in upload.result().text

    def test_unfinished_page_uploads_hold_leases_not_check_slots(self, live_for: Callable[..., str]) -> None:
        """A client with unfinished page uploads at its per-client limit gets 429 for more; others are served.

        Both check slots would be the trickler's if its forms held one while arriving; per-client check limits
        are off, so what keeps the slots free is the page receiving forms like /v1/checks/upload.
        """
        base = live_for(max_concurrency=2, max_uploads_per_client=2, max_checks_per_client=0, retry_after_s=3)
        trickles = [_trickling_form(base, path, ATTACKER) for path in ("/web/check", "/web/fix")]
        try:
            def third_is_refused() -> bool:
                with client_from(ATTACKER) as attacker:
                    answer = attacker.post(f"{base}/web/check", files={"file": ("a.mp3", SONG, "audio/mpeg")})
                if answer.status_code != 429:
                    return False
                assert answer.headers["retry-after"] == "3"
                assert "2 uploads in flight" in answer.json()["detail"]
                return True

            wait_until(third_is_refused, "the client's third page upload was refused")
            with Callers() as callers:
                answers = [callers.post(HONEST[i], f"{base}/web/check",
                                        files={"file": ("hold.mp3", SONG, "audio/mpeg")}) for i in range(3)]
                answers.append(callers.post(HONEST[3], f"{base}/v1/checks/upload",
                                            files={"file": ("hold.mp3", SONG, "audio/mpeg")}))
                statuses = [answer.result().status_code for answer in answers]
            assert statuses == [200] * 4
        finally:
            for conn in trickles:
                conn.close()

    def test_a_page_upload_cut_off_is_a_400_not_a_500(self, live_for: Callable[..., str]) -> None:
        """A client that goes away mid-form is answered (and counted) 400, like /v1/checks/upload, never a 500."""
        base = live_for()
        _trickling_form(base, "/web/check", ATTACKER).close()
        pattern = re.compile(r'mediacheck_http_requests_total\{method="POST",route="/web/check",status="(\d+)"\}')

        def answered() -> list[str]:
            return pattern.findall(httpx.get(f"{base}/metrics", timeout=30).text)

        wait_until(lambda: bool(answered()), "the cut-off upload was answered")
        assert answered() == ["400"]


class TestHangUps:
    """A browser that goes away (a tab closed mid-check) cancels the page's work, as the API's routes do."""

    @pytest.mark.parametrize("path", ["/web/check", "/web/fix", "/web/dialin"])
    def test_hung_up_page_request_stops_fetching_and_frees_its_slot(self, live_for: Callable[..., str],
                                                                     path: str) -> None:
        """The fetch of an endless upstream stops when the client hangs up, and the only check slot is free again.

        The fetch deadline is 30 s; without the cancel the next check gets 503 until then.
        """
        base = live_for(max_concurrency=1)
        port = int(base.rsplit(":", 1)[1])
        with StalledUpstream(SONG, head_first=True) as endless:
            if path == "/web/dialin":
                body = json.dumps({**PINLESS_EXAMPLE, "room_creation_api": "https://127.0.0.1/api/dial",
                                   "hold_music_url": endless.url()}).encode()
                kind = b"application/json"
            else:
                body = urlencode({"url": endless.url()}).encode()
                kind = b"application/x-www-form-urlencoded"
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
                         % (path.encode(), kind, len(body), body))
            wait_until(lambda: endless.waiting == 1, "the page's fetch reached the endless upstream")
            assert httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=30).status_code == 503
            conn.close()
            assert endless.closed_early.wait(5), "the fetch of the endless upstream went on after the hang-up"
            wait_until(lambda: httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=30).status_code == 200,
                       "the hung-up page request's slot was free again", timeout_s=5)


def _trickling_form(base: str, path: str, source: str) -> socket.socket:
    """A page form upload from ``source`` that sends its head and 3 bytes of the file, then nothing (left open)."""
    port = int(base.rsplit(":", 1)[1])
    conn = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    conn.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
                 + b"Content-Type: multipart/form-data; boundary=" + BOUNDARY.encode() + b"\r\n"
                 b"Content-Length: 1000000\r\n\r\n" + _head() + b"ID3")
    return conn


@pytest.fixture
def live_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """Start real uvicorn servers over apps built from settings overrides (loopback allowed); returns base URLs."""
    clear_service_env(monkeypatch)
    with contextlib.ExitStack() as stack:
        yield lambda **overrides: stack.enter_context(run_uvicorn(create_app(make_settings(**overrides))))


class TestOtherSitesAreRefused:
    """A page on another site cannot make a visitor's browser use the service (no cookies, and this gate)."""

    @pytest.mark.parametrize("site", ["cross-site", "same-site", "none"])
    def test_fetch_metadata_from_elsewhere_is_403(self, client: TestClient, site: str) -> None:
        """Sec-Fetch-Site other than same-origin (another port on the same host is same-site) is refused."""
        answer = _upload(client, "/web/check", SONG, headers={"Sec-Fetch-Site": site})
        assert answer.status_code == 403
        assert "another web page" in answer.json()["detail"]

    def test_a_foreign_origin_without_fetch_metadata_is_403(self, client: TestClient) -> None:
        """An older browser's Origin naming another host is refused; the service's own origin is served."""
        assert client.post("/web/dialin", content=b"{}", headers={"Origin": "http://evil.test"}).status_code == 403
        assert client.post("/web/dialin", content=b"{}", headers={"Origin": "null"}).status_code == 403
        own = client.post("/web/dialin", content=b'{"type": "pin_dialin"}', headers={"Origin": "http://testserver"})
        assert own.status_code == 200

    def test_same_origin_and_scripts_are_served(self, client: TestClient) -> None:
        """The page's own requests (same-origin) and non-browser clients (no such headers) are served."""
        assert _upload(client, "/web/check", SONG, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
        assert _upload(client, "/web/check", SONG).status_code == 200


class TestCheckFragment:
    """POST /web/check answers with the verdict as HTML: escaped, with a picture for audio and none for the rest."""

    @pytest.mark.ffmpeg
    def test_a_hostile_file_name_is_escaped(self, client: TestClient) -> None:
        """Markup in a file name comes back as text in the heading and in the picture's title."""
        html = _upload(client, "/web/check", LONG, HOSTILE_NAME).text
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;.mp3" in html
        assert html.count("&lt;script&gt;alert(1)") >= 3  # the name, its tooltip, the picture's title

    def test_not_audio_gets_its_verdict_and_no_picture_or_fix(self, client: TestClient) -> None:
        """An HTML page uploaded as hold music: FAIL with format.not-mp3; nothing to draw, nothing to fix."""
        html = _upload(client, "/web/check", (FIXTURES / "share-page.html").read_bytes(), "share.mp3").text
        assert "FAIL" in html
        assert "format.not-mp3" in html
        assert "<svg" not in html
        assert 'data-action="fix"' not in html

    def test_fix_is_offered_only_for_what_fix_repairs(self, client: TestClient) -> None:
        """Too long and WAV: Fix it; a passing file: none."""
        assert 'data-action="fix"' in _upload(client, "/web/check", LONG).text
        assert 'data-action="fix"' in _upload(client, "/web/check", WAV, "prompt.wav").text
        assert 'data-action="fix"' not in _upload(client, "/web/check", SONG).text

    def test_a_profile_judges_by_its_platforms_rules(self, client: TestClient) -> None:
        """Under connect an MP3 fails (WAV only) and is fixable into the platform's format; the rules shown are
        connect's, within the operator's limits (10 MB, 60 s by default), which no profile passes."""
        html = _upload(client, "/web/check", SONG, profile="connect").text
        assert "format.not-allowed" in html
        assert 'data-action="fix"' in html
        assert "Amazon Connect prompts: WAV, under 10,000,000 bytes and 60 s" in html

    @pytest.mark.parametrize(("form", "said"), [
        ({"profile": "zoom"}, "Unknown platform 'zoom'"),
        ({}, "Send an audio file"),
        ({"url": "https://example.com/" + "a" * 2100}, "at most 2,048"),
    ])
    def test_bad_forms_get_a_clear_422(self, client: TestClient, form: dict[str, str], said: str) -> None:
        """An unknown platform, neither file nor URL, or an overlong URL: 422 with a sentence, nothing fetched."""
        answer = client.post("/web/check", data=form)
        assert answer.status_code == 422
        assert said in answer.json()["detail"]

    @pytest.mark.ffmpeg
    def test_without_pydub_the_verdict_still_comes(self, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
        """No pydub on the server: the verdict and facts are there and the picture says what it needs; Fix, which
        needs only ffmpeg, still works."""
        monkeypatch.setitem(sys.modules, "pydub", None)
        html = _upload(client, "/web/check", LONG).text
        assert "FAIL" in html
        assert "duration.too-long" in html
        assert "<svg" not in html
        assert "pip install &#39;mediacheck[audio]&#39;" in html
        assert _upload(client, "/web/fix", LONG).status_code == 200

    def test_without_ffmpeg_fix_says_what_it_needs(self, client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
        """An ffmpeg that is not there: the check still answers (no picture), and Fix is a 501 that says why."""
        monkeypatch.setenv("MEDIACHECK_FFMPEG", str(tmp_path / "no-ffmpeg"))
        html = _upload(client, "/web/check", LONG).text
        assert "duration.too-long" in html
        assert "<svg" not in html
        answer = _upload(client, "/web/fix", LONG)
        assert answer.status_code == 501
        assert "mediacheck[audio]" in answer.json()["detail"]

    def test_page_checks_are_counted(self, client: TestClient) -> None:
        """Each answered page check shows in /metrics under kind="page"."""
        _upload(client, "/web/check", LONG)
        metrics = client.get("/metrics").text
        assert 'mediacheck_checks_total{kind="page",verdict="fail"} 1.0' in metrics


@pytest.mark.ffmpeg
class TestFix:
    """POST /web/fix answers with the fixed file itself and what changed; nothing it received is kept."""

    def test_the_answer_is_a_passing_mp3_with_what_changed(self, client: TestClient) -> None:
        """75 s in: an MP3 attachment that passes, named after the upload, and the changes in X-Mediacheck-Fix."""
        answer = _upload(client, "/web/fix", LONG, "Hold Music (v2).mp3")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "audio/mpeg"
        assert answer.headers["content-disposition"] == 'attachment; filename="Hold-Music-v2-fixed.mp3"'
        assert answer.headers["cache-control"] == "no-store"
        summary = json.loads(answer.headers["x-mediacheck-fix"])
        assert summary["ok"] is True
        assert summary["changes"][0] == "cut from 75.0 s to 59.0 s"
        report = check_bytes(answer.content)
        assert report.ok
        assert report.media is not None
        assert report.media.duration_s is not None
        assert report.media.duration_s < 60
        assert summary["facts"].startswith(f"MP3 · {report.media.duration_s:.3f} s · {len(answer.content):,} bytes")

    def test_a_profile_fix_writes_the_platforms_format(self, client: TestClient) -> None:
        """Under connect the fix is an 8 kHz mono µ-law WAV that passes connect."""
        answer = _upload(client, "/web/fix", SONG, "song.mp3", profile="connect")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "audio/wav"
        assert answer.headers["content-disposition"] == 'attachment; filename="song-fixed.wav"'
        assert check_bytes(answer.content, profile="connect").ok

    def test_a_url_is_fixed_from_its_download(self, client: TestClient) -> None:
        """A URL form: the file is downloaded through the guard, fixed, and handed back."""
        with LoopbackServer({"/music/intro.wav": Static(WAV, content_type="audio/wav")}) as media:
            answer = client.post("/web/fix", data={"url": media.url("/music/intro.wav")})
        assert answer.status_code == 200
        assert answer.headers["content-disposition"] == 'attachment; filename="intro-fixed.mp3"'
        assert check_bytes(answer.content).ok

    def test_what_cannot_be_fixed_says_why_without_server_paths(self, client: TestClient) -> None:
        """An HTML page: 422 naming the upload, never the temporary path it sat at; a 404 URL: 422 with the status."""
        answer = _upload(client, "/web/fix", (FIXTURES / "share-page.html").read_bytes(), "intro.mp3")
        assert answer.status_code == 422
        detail = answer.json()["detail"]
        assert detail.startswith("Cannot fix it: intro.mp3 is not audio")
        assert tempfile.gettempdir() not in detail
        assert "mediacheck-page-" not in detail
        with LoopbackServer({}) as media:
            missing = client.post("/web/fix", data={"url": media.url("/gone.mp3")})
        assert missing.status_code == 422
        assert "HTTP 404" in missing.json()["detail"]

    def test_nothing_received_stays_on_disk(self, client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
        """After checks and fixes of uploads and URLs, the temporary folder they used is empty again."""
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        seen: list[str] = []
        original = tempfile.TemporaryDirectory

        def recording(*args: Any, **kwargs: Any) -> Any:
            folder = original(*args, **kwargs)
            seen.append(folder.name)
            return folder

        monkeypatch.setattr(tempfile, "TemporaryDirectory", recording)
        with LoopbackServer({"/hold.mp3": Static(LONG)}) as media:
            assert _upload(client, "/web/check", LONG).status_code == 200
            assert _upload(client, "/web/fix", LONG).status_code == 200
            assert client.post("/web/check", data={"url": media.url("/hold.mp3")}).status_code == 200
            assert client.post("/web/fix", data={"url": media.url("/hold.mp3")}).status_code == 200
        assert [Path(name).parent for name in seen if "mediacheck-page-" in name] == [scratch] * 4
        assert list(scratch.iterdir()) == []


class TestDialinFragment:
    """POST /web/dialin lints a pasted body like /v1/dialin-configs/validate and shows each field's findings."""

    def test_findings_land_on_their_fields_and_absent_ones_get_a_row(self, client: TestClient) -> None:
        """A spaced phone number is flagged on its row; a missing required field gets a row saying it is not given."""
        text = '{"type": "pin_dialin", "phone_number": "+1 805 870 0062", "phone_number": "+1 805 870 0062"}'
        html = client.post("/web/dialin", content=text.encode()).text
        assert re.search(r'class="config-field config-field--error" data-field="phone_number"', html)
        assert "phone_number.spaces" in html
        assert "field.duplicate" in html
        api = client.post("/v1/dialin-configs/validate", content=text.encode(),
                          headers={"Content-Type": "application/json"}).json()
        for finding in api["findings"]:
            assert finding["code"] in html  # the page shows every finding the API gives

    def test_values_are_escaped(self, client: TestClient) -> None:
        """Markup in a config value or key is text."""
        html = client.post("/web/dialin", content=json.dumps(
            {"type": "pin_dialin", "name_prefix": "<img src=x onerror=alert(1)>", "<b>": 1}).encode()).text
        assert "<img src=x" not in html
        assert "<b>" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html

    @pytest.mark.parametrize(("text", "said"), [
        ("[1, 2]", "A dial-in config is a JSON object"),
        ('{"type": }', "This is not valid JSON: Expecting value at line 1, column 10."),
        ("[" * 60_000, "nested too deeply"),
        ('{"type": "pin_dialin", "x": ' + "9" * 5_000 + "}", "an integer of more than 4,300 digits"),
    ])
    def test_what_is_not_a_config_gets_a_sentence(self, client: TestClient, text: str, said: str) -> None:
        """Not an object, not JSON, or absurdly nested: a 422 fragment that says so."""
        answer = client.post("/web/dialin", content=text.encode())
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("text/html")
        assert said in answer.text

    def test_fields_nested_past_the_stack_are_laid_out_in_order(self) -> None:
        """The field walk is not recursive: a body nested 100,000 deep lays out, depth first with keys in order."""
        deep: object = 1
        for _ in range(100_000):
            deep = {"a": deep}
        body = {"type": "pin_dialin", "x": {"b": 1, "c": {"d": [2], "e": {}}}, "deep": deep, "z": None}
        _general, rows = dialin_view.field_rows(body, DialinReport())
        paths = [row.path for row in rows]
        assert paths[:5] == ["type", "x.b", "x.c.d", "x.c.e", "deep" + ".a" * 100_000]
        assert paths[5:] == ["z"]
        assert rows[4].value == "1"

    @pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a": ', "}")])
    def test_bodies_nested_up_to_the_parse_limit_never_fail(self, client: TestClient, open_: str,
                                                            close: str) -> None:
        """Around the nesting cap and the depth where json.loads gives up, a body is a fragment (200) up to the cap
        and a sentence (422) past it, never a 500.

        Just under that depth, laying the fields out (a recursive walk, or printing a nested value) used to
        overflow the stack the parse had just fitted in.
        """
        limit = sys.getrecursionlimit()
        answers = {}
        for depth in [*range(MAX_NESTING - 3, MAX_NESTING + 2), *range(limit - 100, limit + 1)]:
            text = '{"type": "pin_dialin", "x": ' + open_ * depth + "1e400" + close * depth + "}"
            answers[depth] = client.post("/web/dialin", content=text.encode()).status_code
        # The body itself is one level: up to MAX_NESTING in all it is laid out, past it refused, as the lint does.
        assert answers == {depth: 200 if depth + 1 <= MAX_NESTING else 422 for depth in answers}

    @pytest.mark.parametrize("text", ['{"x":' * 100_000 + "1" + "}" * 100_000, "[" * 100_000 + "]" * 100_000])
    def test_bodies_nested_100000_deep_are_refused_before_parsing(self, client: TestClient, text: str) -> None:
        """A body nested 100,000 deep is over the JSON body cap: a 413 JSON answer, not a parse."""
        answer = client.post("/web/dialin", content=text.encode())
        assert answer.status_code == 413
        assert "takes at most" in answer.json()["detail"]

    @pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a": ', "}")])
    def test_extra_field_nested_600_deep_holding_infinity(self, client: TestClient, open_: str, close: str) -> None:
        """An extra field nested 600 deep around 1e400 is one field.unknown warning on its row, like the API says."""
        text = ('{"type": "pin_dialin", "phone_number": "+18058700061", "x": ' + open_ * 600 + "1e400"
                + close * 600 + "}")
        answer = client.post("/web/dialin", content=text.encode())
        assert answer.status_code == 200
        assert re.search(r'data-field="x[."]', answer.text)
        assert "field.unknown" in answer.text
