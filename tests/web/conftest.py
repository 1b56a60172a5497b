"""A real Chromium (Debian's), driven by Playwright, against a real uvicorn serving the app, plus media to give it.

Playwright's own browser download cannot run here, so the tests launch the system Chromium that `.ci/run`
installs; a machine without one fails these tests rather than skipping them. Every page a test opens is
watched: each request it makes is recorded and any that leaves the service's origin is refused and listed,
and dialogs and uncaught script errors are collected, so a test can assert that nothing ran that should not.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Playwright,
    Route,
    ViewportSize,
    sync_playwright,
)

from mediacheck.service.app import create_app
from tests.service.conftest import make_settings, run_uvicorn
from tests.support.media import MediaFactory

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
ARTIFACTS = ROOT / "tests" / "_artifacts" / "web"
# Without the background-networking switches Chromium phones home at start-up; this closed network refuses
# those connections, and CI has no display or GPU. The resolver rule answers every name but localhost "not
# found" inside Chromium, so nothing it does (a page, a prefetch, a phone-home) asks the machine's DNS; rules are
# comma-separated and EXCLUDE wins over MAP whatever their order.
NO_DNS_RULES = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--host-resolver-rules={NO_DNS_RULES}"]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 812}


def chromium_executable() -> str:
    """The Chromium to drive: MEDIACHECK_CHROMIUM, else `chromium` on PATH (Debian's package)."""
    path = os.environ.get("MEDIACHECK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no Chromium for the browser tests: `apt-get install chromium` (.ci/run installs it)")
    return path


def clear_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's MEDIACHECK_* variables must not change the apps these tests start."""
    for name in list(os.environ):
        if name.startswith("MEDIACHECK_") and name not in ("MEDIACHECK_FFMPEG", "MEDIACHECK_CHROMIUM"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _no_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_service_env(monkeypatch)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for one module at a time: while it runs, the sync API holds an asyncio loop on the
    main thread, and other tests on the same worker that run their own loop (asyncio.run) would fail."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium per module; each test gets fresh contexts (no shared storage) from it."""
    launched = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    """The app (no keys, loopback allowed for the test servers) on a real uvicorn; yields its base URL."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_service_env(monkeypatch)
        app = create_app(make_settings())
    with run_uvicorn(app) as base:
        yield base


@dataclass
class WatchedPage:
    """A page on the service, with what it did: requests, requests refused for leaving the origin, dialogs,
    uncaught script errors and console errors."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot under tests/_artifacts/web/ (git-ignored) and return its path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


OpenPage = Callable[..., WatchedPage]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """Open the page of a service (``base``) in a fresh context; after the test, assert no request left its origin,
    no dialog opened and no script error was thrown."""
    contexts: list[BrowserContext] = []
    watched_pages: list[WatchedPage] = []

    def open_(base: str, viewport: ViewportSize | None = None) -> WatchedPage:
        context = browser.new_context(viewport=viewport or DESKTOP, accept_downloads=True, service_workers="block")
        contexts.append(context)
        page = context.new_page()
        watched = WatchedPage(page, base)
        watched_pages.append(watched)

        def only_this_origin(route: Route) -> None:
            url = route.request.url
            if url == base or url.startswith(base + "/"):
                route.continue_()
            else:
                watched.foreign.append(url)
                route.abort()

        context.route("**/*", only_this_origin)
        def on_dialog(dialog: Dialog) -> None:
            watched.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.console_errors.append(message.text)

        page.on("request", lambda request: watched.requests.append(request.url))
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: watched.script_errors.append(str(error)))
        page.on("console", on_console)
        page.goto(base + "/")
        page.wait_for_selector("html[data-ready='true']")
        return watched

    yield open_
    for context in contexts:
        context.close()
    for watched in watched_pages:
        assert watched.foreign == [], f"the page asked for other origins: {watched.foreign}"
        assert watched.dialogs == [], f"a dialog opened: {watched.dialogs}"
        assert watched.script_errors == [], f"a script error was thrown: {watched.script_errors}"


def wait_for_verdict(watched: WatchedPage, where: str = "#check-result") -> Locator:
    """Wait until the answer (a verdict or a refusal) is on the page; return the verdict's locator."""
    watched.page.wait_for_selector(f"{where} .verdict, {where} .problem", timeout=60_000)
    return watched.page.locator(f"{where} .verdict").first


@pytest.fixture(scope="session")
def rough_edges_mp3(make_media: MediaFactory) -> Path:
    """10 s: 3 s of silence, 4 s of a hard-clipped tone, 3 s of silence. Passes, with listening warnings."""
    graph = ("sine=frequency=440:sample_rate=44100:duration=4,volume=20dB,aformat=sample_fmts=s16,"
             "adelay=3s:all=1,apad=pad_dur=3")
    return make_media.encode(graph, "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k")
