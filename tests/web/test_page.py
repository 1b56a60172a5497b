"""The web page in a real browser: drop a file or paste a URL, read the verdict and its picture, fix it, download it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Request, expect

from mediacheck import check_file
from mediacheck.service.app import create_app
from tests.service.conftest import make_settings, run_uvicorn
from tests.support.servers import LoopbackServer, Static
from tests.web.conftest import FIXTURES, PHONE, OpenPage, WatchedPage, wait_for_verdict

pytestmark = pytest.mark.ffmpeg

HOSTILE_NAME = "<img src=x onerror=alert(1)><script>alert(2)</script>.mp3"


def _facts(watched: WatchedPage) -> dict[str, str]:
    verdict = watched.page.locator("#check-result .verdict")
    labels = verdict.locator(".facts dt").all_inner_texts()
    return dict(zip(labels, verdict.locator(".facts dd").all_inner_texts(), strict=True))


def _fix_and_download(watched: WatchedPage, folder: Path) -> tuple[Path, str]:
    """Click Fix it, wait for the fixed copy, download it; return its path and the suggested file name."""
    page = watched.page
    page.click("[data-action=fix]")
    page.wait_for_selector("[data-fix-result] .fixed, [data-fix-result] .problem", timeout=60_000)
    expect(page.locator("[data-fix-result] .problem")).to_have_count(0)
    with page.expect_download() as info:
        page.click("[data-fix-result] a[download]")
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path, download.suggested_filename


class TestCheckAFile:
    """Dropping a file shows PASS or FAIL in words, the findings, the facts and a picture of the whole file."""

    def test_a_passing_file_reads_pass_with_its_facts_and_picture(self, open_page: OpenPage, service: str) -> None:
        """example-hold-music.mp3: PASS, 30.000 s, its size and MPEG shape, a waveform, and no Fix button."""
        watched = open_page(service)
        watched.page.set_input_files("#file", FIXTURES / "example-hold-music.mp3")
        verdict = wait_for_verdict(watched)
        expect(verdict.locator(".badge")).to_have_text("PASS")
        expect(verdict.locator(".verdict__headline")).to_contain_text("It will be accepted")
        facts = _facts(watched)
        assert facts["Plays for"] == "30.000 s"
        assert facts["Size"] == "240,639 bytes (0.24 MB)"
        assert facts["Audio"] == "MPEG-1 Layer III, 64 kbps CBR, 44.1 kHz, mono"
        assert facts["Format"] == "MP3"
        # 30 s against the 60 s limit: the time axis runs to 60 s, so the limit line is the right edge.
        picture = verdict.locator("svg.waveform")
        expect(picture).to_be_visible()
        assert float(picture.locator(".wf-limit").get_attribute("x1") or "nan") == 1000.0
        assert picture.locator(".wf-peak").get_attribute("points")
        expect(verdict.locator("[data-action=fix]")).to_have_count(0)
        watched.shot("pass-desktop")

    def test_a_long_file_fails_is_fixed_and_the_download_passes(self, open_page: OpenPage, service: str,
                                                                tmp_path: Path) -> None:
        """too-long-75s.mp3: FAIL on duration, the limit line at 60 of 75 s; Fix gives an MP3 under 60 s that passes."""
        watched = open_page(service)
        watched.page.set_input_files("#file", FIXTURES / "too-long-75s.mp3")
        verdict = wait_for_verdict(watched)
        expect(verdict.locator(".badge")).to_have_text("FAIL")
        expect(verdict.locator(".finding--error .finding__code")).to_have_text(["duration.too-long"])
        expect(verdict.locator(".finding--error .finding__message")).to_contain_text("it must be less than 60 s")
        assert "whole file decodes to 75.0 s" in _facts(watched)["Plays for"]
        picture = verdict.locator("svg.waveform")
        assert float(picture.locator(".wf-limit").get_attribute("x1") or "nan") == 800.0  # 60 s of 75 s
        assert float(picture.locator(".wf-over").get_attribute("x") or "nan") == 800.0
        watched.shot("fail-desktop")

        path, name = _fix_and_download(watched, tmp_path)
        assert name == "too-long-75s-fixed.mp3"
        expect(watched.page.locator(".fixed__changes li").first).to_have_text("cut from 75.0 s to 59.0 s")
        fixed = check_file(path)
        assert fixed.ok, fixed.codes()
        assert fixed.media is not None
        assert fixed.media.format == "mp3"
        assert fixed.media.stream_duration_s is not None
        assert fixed.media.stream_duration_s < 60
        watched.shot("fixed-desktop")

    def test_the_picture_marks_silent_edges_clipping_and_loudness(self, open_page: OpenPage, service: str,
                                                                  rough_edges_mp3: Path) -> None:
        """3 s silence, 4 s clipped tone, 3 s silence: shaded edges where the silence is, clip marks, "too loud"."""
        watched = open_page(service)
        watched.page.set_input_files("#file", rough_edges_mp3)
        verdict = wait_for_verdict(watched)
        expect(verdict.locator(".badge")).to_have_text("PASS")
        codes = set(verdict.locator(".finding__code").all_inner_texts())
        assert {"audio.silence-leading", "audio.silence-trailing", "audio.clipping", "audio.too-loud"} <= codes
        picture = verdict.locator("svg.waveform")
        # 10 s against a 60 s limit would be a sliver: the axis spans the file, and the limit is named at the edge.
        expect(picture.locator(".wf-limit")).to_have_count(0)
        expect(picture).to_contain_text("60 s limit →")
        lead, tail = picture.locator(".wf-silence--flagged").all()
        assert float(lead.get_attribute("x") or "nan") == 0.0
        assert float(lead.get_attribute("width") or "nan") == pytest.approx(300, abs=10)
        assert float(tail.get_attribute("x") or "nan") == pytest.approx(700, abs=10)
        clip = picture.locator(".wf-clip--flagged rect").first
        assert float(clip.get_attribute("x") or "nan") == pytest.approx(300, abs=10)
        assert float(clip.get_attribute("width") or "nan") == pytest.approx(400, abs=15)
        expect(picture.locator(".wf-label--flagged")).to_contain_text("LUFS (too loud)")
        watched.page.locator("#check-result .picture").screenshot(
            path=str(watched.shot("rough-edges-desktop").with_name("rough-edges-picture.png")))


class TestCheckAUrl:
    """Pasting a URL checks it through the service's guarded fetcher, and Fix works from the URL too."""

    def test_a_wav_url_fails_and_fixes_to_an_mp3(self, open_page: OpenPage, service: str, tmp_path: Path) -> None:
        """A WAV served from loopback: FAIL format.not-mp3 with the fetch facts; Fix downloads it and makes an MP3."""
        wav = (FIXTURES / "not-mp3-pcm.wav").read_bytes()
        with LoopbackServer({"/prompt.wav": Static(wav, content_type="audio/wav")}) as media:
            watched = open_page(service)
            watched.page.fill("#url", media.url("/prompt.wav"))
            watched.page.click("#url-form button[type=submit]")
            verdict = wait_for_verdict(watched)
            expect(verdict.locator(".badge")).to_have_text("FAIL")
            expect(verdict.locator(".finding--error .finding__code")).to_have_text(["format.not-mp3"])
            fetched = _facts(watched)["Fetched"]
            assert fetched.startswith("HTTP 200 · audio/wav · ")
            # The verdict was certain from the first bytes, so the check read only part of the 529,278.
            assert int(fetched.split(" · ")[2].split(" bytes")[0].replace(",", "")) < len(wav)
            expect(verdict.locator("svg.waveform")).to_be_visible()
            path, name = _fix_and_download(watched, tmp_path)
        assert name == "prompt-fixed.mp3"
        fixed = check_file(path)
        assert fixed.ok
        assert fixed.media is not None
        assert fixed.media.format == "mp3"
        expect(watched.page.locator(".fixed__changes")).to_contain_text("converted WAV")


class TestHostileInput:
    """Whatever a file name or URL holds is shown as text: nothing in it runs or becomes markup."""

    def test_a_script_in_a_file_name_is_shown_not_run(self, open_page: OpenPage, service: str) -> None:
        """A file named like markup: the name reads back literally, the page has only its own script, no dialog."""
        watched = open_page(service)
        data = (FIXTURES / "too-long-75s.mp3").read_bytes()
        named: FilePayload = {"name": HOSTILE_NAME, "mimeType": "audio/mpeg", "buffer": data}
        watched.page.set_input_files("#file", files=[named])
        verdict = wait_for_verdict(watched)
        expect(verdict.locator(".verdict__name")).to_have_text(f"Checked: {HOSTILE_NAME}")
        page = watched.page
        assert page.locator("script").count() == 1  # app.js, nothing else
        assert page.locator("img[onerror], [onload], [onerror]").count() == 0
        assert page.locator("svg.waveform title").first.text_content() == f"Waveform of {HOSTILE_NAME}"
        page.wait_for_timeout(300)  # a handler, had one been planted, would have fired by now
        assert watched.dialogs == []

    def test_a_script_in_a_url_is_shown_not_run(self, open_page: OpenPage, service: str) -> None:
        """A URL carrying markup in its path and query: refused or fetched, it is only ever text on the page."""
        with LoopbackServer({}) as media:
            url = media.url("/<script>alert(1)</script>.mp3?x=\"><svg/onload=alert(2)>")
            watched = open_page(service)
            watched.page.fill("#url", url)
            watched.page.click("#url-form button[type=submit]")
            verdict = wait_for_verdict(watched)
        expect(verdict.locator(".verdict__name")).to_have_text(f"Checked: {url}")
        assert watched.page.locator("script").count() == 1
        assert watched.page.locator("svg [onload], [onload], [onerror]").count() == 0
        watched.page.wait_for_timeout(300)
        assert watched.dialogs == []

    def test_the_policy_stops_script_the_page_did_not_ship(self, open_page: OpenPage, service: str) -> None:
        """The Content-Security-Policy is in force: inserted markup and inline script are refused by the browser."""
        watched = open_page(service)
        outcome = watched.page.evaluate("""() => {
            const results = {};
            try { document.body.insertAdjacentHTML("beforeend", "<img src=x onerror='window.ran=1'>");
                  results.html = "inserted"; } catch (error) { results.html = error.name; }
            const script = document.createElement("script");
            try { script.textContent = "window.ran = 2"; document.body.append(script); results.script = "appended"; }
            catch (error) { results.script = error.name; }
            try { trustedTypes.createPolicy("another", { createHTML: (s) => s }); results.policy = "created"; }
            catch (error) { results.policy = error.name; }
            results.ran = window.ran || 0;
            return results;
        }""")
        assert outcome == {"html": "TypeError", "script": "TypeError", "policy": "TypeError", "ran": 0}


class TestDialinTab:
    """The dial-in tab lints a pasted config body and puts each finding beside the field it is about."""

    def test_findings_sit_beside_their_fields(self, open_page: OpenPage, service: str) -> None:
        """Spaces in the number, a typo'd field and a too-long hold music: each row flagged with its own finding."""
        long_mp3 = (FIXTURES / "too-long-75s.mp3").read_bytes()
        with LoopbackServer({"/hold.mp3": Static(long_mp3)}) as media:
            body = {"type": "pinless_dialin", "name_prefix": "Support", "phone_number": "+1 805 870 0062",
                    "room_creation_api": "https://127.0.0.1:9/api/dial", "hold_music_url": media.url("/hold.mp3"),
                    "ivr_greting": {"message": "Welcome"}}
            watched = open_page(service)
            page = watched.page
            page.click("#tab-dialin")
            expect(page.locator("#panel-dialin")).to_be_visible()
            expect(page.locator("#panel-music")).to_be_hidden()
            page.fill("#dialin-body", json.dumps(body, indent=2))
            page.click("#dialin-form button[type=submit]")
            verdict = wait_for_verdict(watched, "#dialin-result")
        expect(verdict.locator(".badge").first).to_have_text("FAIL")
        phone = page.locator(".config-field[data-field='phone_number']")
        expect(phone).to_have_class("config-field config-field--error")
        expect(phone.locator(".finding__code")).to_have_text(["phone_number.spaces"])
        expect(phone.locator(".config-field__value")).to_have_text('"+1 805 870 0062"')
        typo = page.locator(".config-field[data-field='ivr_greting.message']")
        expect(typo).to_have_class("config-field config-field--warning")
        expect(typo.locator(".finding__code")).to_have_text(["field.unknown"])
        music = page.locator(".config-field[data-field='hold_music_url']")
        expect(music.locator(".finding--error .finding__code")).to_have_text(["duration.too-long"])
        expect(page.locator(".hold-music .badge")).to_have_text("FAIL")
        expect(page.locator(".config-field[data-field='name_prefix']")).to_have_class("config-field")
        watched.shot("dialin-desktop")

    def test_text_that_is_not_json_says_where(self, open_page: OpenPage, service: str) -> None:
        """A missing comma is answered with the line and column, next to the form."""
        watched = open_page(service)
        watched.page.click("#tab-dialin")
        watched.page.fill("#dialin-body", '{\n  "type": "pin_dialin"\n  "phone_number": "+18058700061"\n}')
        watched.page.click("#dialin-form button[type=submit]")
        expect(watched.page.locator("#dialin-result .problem")).to_contain_text(
            "This is not valid JSON: Expecting ',' delimiter at line 3, column 3.")


@pytest.fixture
def keyed_service() -> Iterator[str]:
    """The app with an API key configured."""
    with run_uvicorn(create_app(make_settings(api_keys=("k-web",)))) as base:
        yield base


class TestApiKey:
    """With keys configured the page asks for one, keeps it in this tab's session only, and sends it as a header."""

    def test_key_is_asked_for_kept_per_tab_and_sent_as_a_header(self, open_page: OpenPage,
                                                                keyed_service: str) -> None:
        """No key: a clear message and the key field focused; with it: the check runs, no cookie is ever set."""
        watched = open_page(keyed_service)
        page = watched.page
        sent: list[str | None] = []

        def remember(request: Request) -> None:
            if request.url.endswith("/web/check"):
                sent.append(request.headers.get("authorization"))

        page.on("request", remember)
        song = FIXTURES / "example-hold-music.mp3"
        page.set_input_files("#file", song)
        expect(page.locator("#check-result .problem")).to_have_text("Enter the API key first (above).")
        expect(page.locator("#api-key")).to_be_focused()
        page.fill("#api-key", "k-web")
        page.set_input_files("#file", [])
        page.set_input_files("#file", song)
        expect(wait_for_verdict(watched).locator(".badge")).to_have_text("PASS")
        assert sent == [None, "Bearer k-web"]
        assert page.evaluate("sessionStorage.getItem('mediacheck.apiKey')") == "k-web"
        assert page.evaluate("document.cookie") == ""
        assert page.context.cookies() == []
        other_tab = page.context.new_page()
        other_tab.goto(keyed_service + "/")
        other_tab.wait_for_selector("html[data-ready='true']")
        assert other_tab.evaluate("sessionStorage.getItem('mediacheck.apiKey')") is None
        expect(other_tab.locator("#api-key")).to_have_value("")


class TestLayoutAndOrigin:
    """The page fits a phone, and everything it loads comes from the service itself."""

    def test_a_phone_sees_the_whole_answer_without_scrolling_sideways(self, open_page: OpenPage, service: str,
                                                                      tmp_path: Path) -> None:
        """At 375 px a failing verdict, its picture and the fixed copy fit the width."""
        watched = open_page(service, viewport=PHONE)
        watched.page.set_input_files("#file", FIXTURES / "too-long-75s.mp3")
        expect(wait_for_verdict(watched).locator(".badge")).to_have_text("FAIL")
        _fix_and_download(watched, tmp_path)
        assert watched.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
        box = watched.page.locator("svg.waveform").bounding_box()
        assert box is not None
        assert box["width"] <= PHONE["width"]
        assert box["height"] > 80
        watched.shot("fixed-phone")

    def test_every_request_goes_to_the_service(self, open_page: OpenPage, service: str) -> None:
        """Loading the page and checking a file asks only this origin: its page, script, styles, icon and routes."""
        watched = open_page(service)
        watched.page.set_input_files("#file", FIXTURES / "example-hold-music.mp3")
        wait_for_verdict(watched)
        paths = {request.removeprefix(service) for request in watched.requests}
        assert {"/", "/web/static/app.js", "/web/static/app.css", "/web/static/favicon.svg", "/web/check"} <= paths
        assert all(request.startswith(service + "/") for request in watched.requests), watched.requests
        assert watched.foreign == []
