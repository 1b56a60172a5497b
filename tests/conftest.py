"""Fixtures every test package shares: a loopback-only network fence, a clean network environment, the committed
media and media ffmpeg makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import loopback_only
from tests.support.media import MediaFactory

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# What an unmarked test sees as MEDIACHECK_FFMPEG: a path that is no executable, so one that reaches ffmpeg fails.
NO_FFMPEG = "/nonexistent/ffmpeg-for-a-test-not-marked-ffmpeg"

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
               "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")


def pytest_configure(config: pytest.Config) -> None:
    """Fence the whole test process in: sockets reach only loopback, no name goes to the DNS resolver."""
    loopback_only.install()
    config.pluginmanager.register(loopback_only.LoopbackOnlyPlugin(), "loopback-only")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Take the fence down when the session ends."""
    loopback_only.uninstall()


@pytest.fixture(autouse=True)
def _clean_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may depend on (or leak into) proxies or CA settings from the developer's shell."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for ffmpeg through a fixture (``ffmpeg_exe``, ``make_media`` and any built on them) is an
    ``ffmpeg`` test: ``-m "not ffmpeg"`` deselects it with no marker to forget."""
    for item in items:
        if "ffmpeg_exe" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ffmpeg)


@pytest.fixture(autouse=True)
def _ffmpeg_only_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked ``ffmpeg`` runs as on a machine without one: MEDIACHECK_FFMPEG names no executable, so a
    deep check, a fix or a subprocess that needs ffmpeg fails it in every run, not only where ffmpeg is missing.
    That keeps the marker truthful: ``MEDIACHECK_FFMPEG=/nonexistent pytest -m "not ffmpeg"`` passes."""
    if request.node.get_closest_marker("ffmpeg") is None:
        monkeypatch.setenv("MEDIACHECK_FFMPEG", NO_FFMPEG)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The folder of committed media fixtures."""
    return FIXTURES


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    """The ffmpeg binary the package itself would run (MEDIACHECK_FFMPEG, PATH, then the imageio-ffmpeg wheel)."""
    from mediacheck._ffmpeg import find_ffmpeg
    from mediacheck.exceptions import AudioToolsMissingError

    try:
        return find_ffmpeg()
    except AudioToolsMissingError as exc:
        pytest.fail(f"no ffmpeg for the tests: {exc}")


@pytest.fixture(scope="session")
def make_media(ffmpeg_exe: str, tmp_path_factory: pytest.TempPathFactory) -> MediaFactory:
    """The one maker of test media: each distinct file is encoded by ffmpeg once per session, then shared."""
    return MediaFactory(ffmpeg_exe, tmp_path_factory.mktemp("media"))
