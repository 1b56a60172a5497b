"""The browser the web tests drive resolves no name but localhost, so no page or phone-home reaches DNS."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from tests.support.servers import LoopbackServer, Static

PAGE = Static(b"<!doctype html><title>here</title>", content_type="text/html")


def test_chromium_resolves_only_localhost_and_loopback_literals(browser: Browser) -> None:
    """``hold.localhost`` is loopback to Chromium without any DNS, so only the resolver rule can refuse it."""
    with LoopbackServer({"/": PAGE}) as server:
        context = browser.new_context()
        try:
            page = context.new_page()
            for base in (server.origin, f"http://localhost:{server.port}"):
                page.goto(base + "/")
                assert page.title() == "here"
            with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
                page.goto(f"http://hold.localhost:{server.port}/")
            assert server.hits["/"] == 2
        finally:
            context.close()
