"""The public surface does what the docs and the service need, and a caller's mistake is always a UsageError."""

from __future__ import annotations

import ast
import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import mediacheck
from mediacheck import (
    Limits,
    SafeFetcher,
    UsageError,
    acheck_bytes,
    acheck_chunks,
    acheck_file,
    acheck_url,
    adownload_to_file,
    alint_dialin_config,
    avet_host,
    check_bytes,
    check_chunks,
    check_file,
    check_url,
    download_to_file,
    lint_dialin_config,
    parse_config_json,
    vet_host,
)
from tests.support.servers import LoopbackServer, Static

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = ("127.0.0.0/8",)


class _Dns:
    """A stub resolver: every name is on loopback; it records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return ["127.0.0.1"]


@pytest.fixture(scope="module")
def mp3(fixtures_dir: Path) -> bytes:
    """The committed 30-second example hold music."""
    return (fixtures_dir / "example-hold-music.mp3").read_bytes()


@pytest.fixture(scope="module")
def media(mp3: bytes) -> Iterator[LoopbackServer]:
    """A loopback server with the example hold music."""
    with LoopbackServer({"/hold.mp3": Static(mp3)}) as server:
        yield server


class TestServiceUsesThePublicApi:
    def test_service_imports_no_private_module(self) -> None:
        """No module of the service imports a private mediacheck module: it is a client of the public API."""
        private = []
        for path in sorted((ROOT / "service").rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mediacheck._"):
                    private.append(f"{path.relative_to(ROOT)}: {node.module}")
        assert private == []

    @pytest.mark.parametrize("name", ["vet_host", "avet_host", "Resolver", "download_to_file", "adownload_to_file",
                                      "check_chunks", "acheck_chunks", "acheck_file", "SafeFetcher"])
    def test_documented_names_are_public(self, name: str) -> None:
        """Every name the docs send users to is exported from `mediacheck` itself."""
        assert name in mediacheck.__all__
        assert getattr(mediacheck, name) is not None


class TestResolverAndFetcherArguments:
    def test_check_url_resolves_through_the_given_resolver(self, media: LoopbackServer) -> None:
        """check_url(resolver=...) asks the stub, not the system, and fetches from the address it gave."""
        dns = _Dns()
        report = check_url(f"http://hold.example:{media.port}/hold.mp3", allow_networks=LOOPBACK, resolver=dns)
        assert report.ok, report.findings
        assert dns.asked == ["hold.example"]

    def test_check_url_uses_the_given_fetcher(self, media: LoopbackServer) -> None:
        """check_url(fetcher=...) uses that fetcher's networks, resolver and limits (none given to the call)."""
        dns = _Dns()
        with SafeFetcher(allow_networks=LOOPBACK, resolver=dns, limits=Limits(duration_limit_s=10)) as fetcher:
            report = check_url(f"http://hold.example:{media.port}/hold.mp3", fetcher=fetcher)
        assert [f.code for f in report.errors] == ["duration.too-long"]
        assert dns.asked == ["hold.example"]

    def test_acheck_url_uses_the_given_fetcher(self, media: LoopbackServer) -> None:
        """acheck_url(fetcher=...) does the same without blocking the event loop."""
        dns = _Dns()

        async def run() -> mediacheck.Report:
            async with SafeFetcher(allow_networks=LOOPBACK, resolver=dns) as fetcher:
                return await acheck_url(f"http://hold.example:{media.port}/hold.mp3", fetcher=fetcher)

        assert asyncio.run(run()).ok
        assert dns.asked == ["hold.example"]

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_lint_resolves_the_hold_music_through_its_resolver(self, media: LoopbackServer, mode: str) -> None:
        """lint_dialin_config(resolver=...) vets the webhook and fetches the hold music through the same stub."""
        dns = _Dns()
        body = {"type": "pinless_dialin", "room_creation_api": "https://hooks.example/dial",
                "hold_music_url": f"http://hold.example:{media.port}/hold.mp3"}
        if mode == "sync":
            report = lint_dialin_config(body, allow_networks=LOOPBACK, resolver=dns)
        else:
            report = asyncio.run(alint_dialin_config(body, allow_networks=LOOPBACK, resolver=dns))
        assert report.ok, report.to_dict()
        assert sorted(dns.asked) == ["hold.example", "hooks.example"]

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_lint_uses_the_given_fetcher(self, media: LoopbackServer, mode: str) -> None:
        """lint_dialin_config(fetcher=...) vets and fetches with the fetcher's policy, resolver and wording."""
        dns = _Dns()
        body = b'{"type": "pinless_dialin", "hold_music_url": "http://hold.example:%d/hold.mp3"}' % media.port

        async def lint_async() -> mediacheck.DialinReport:
            async with SafeFetcher(allow_networks=LOOPBACK, resolver=dns) as fetcher:
                return await alint_dialin_config(body, fetcher=fetcher)

        if mode == "sync":
            with SafeFetcher(allow_networks=LOOPBACK, resolver=dns) as fetcher:
                report = lint_dialin_config(body, fetcher=fetcher)
        else:
            report = asyncio.run(lint_async())
        assert report.ok, report.to_dict()
        assert dns.asked == ["hold.example"]

    def test_vet_host_starts_no_thread_for_a_literal(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An IP literal is judged at once: no DNS thread is started (that cost the dial-in lint 0.1-0.3 ms)."""

        def no_threads(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("a thread was started for an IP literal")

        monkeypatch.setattr(threading.Thread, "start", no_threads)
        assert vet_host("93.184.215.14") is None
        finding = vet_host("10.1.2.3")
        assert finding is not None
        assert finding.code == "access.blocked-address"
        assert asyncio.run(avet_host("[::1]")) is not None


def _chunks() -> Iterator[bytes]:
    yield b"\xff\xfb"


async def _achunks() -> Any:
    yield b"\xff\xfb"


Call = Callable[[], Any]
_MISUSE: dict[str, Call] = {
    "check_bytes(str)": lambda: check_bytes("ID3"),  # type: ignore[arg-type]
    "check_bytes(int)": lambda: check_bytes(3),  # type: ignore[arg-type]
    "check_bytes(limits=dict)": lambda: check_bytes(b"", limits={"size_limit_bytes": 1}),  # type: ignore[arg-type]
    "check_bytes(deep='yes')": lambda: check_bytes(b"", deep="yes"),  # type: ignore[arg-type]
    "check_bytes(target=1)": lambda: check_bytes(b"", target=1),  # type: ignore[arg-type]
    "check_file(int)": lambda: check_file(3),  # type: ignore[arg-type]
    "check_file(bytes path)": lambda: check_file(b"/tmp/x.mp3"),  # type: ignore[arg-type]
    "check_file(None)": lambda: check_file(None),  # type: ignore[arg-type]
    "check_file(limits=None)": lambda: check_file("x.mp3", limits=None),  # type: ignore[arg-type]
    "check_chunks(bytes)": lambda: check_chunks(b"abc"),  # type: ignore[arg-type]
    "check_chunks(int)": lambda: check_chunks(3),  # type: ignore[arg-type]
    "check_chunks(str chunks)": lambda: check_chunks(["abc"]),  # type: ignore[list-item]
    "check_chunks(declared_size=-1)": lambda: check_chunks(_chunks(), declared_size=-1),
    "acheck_chunks(list)": lambda: asyncio.run(acheck_chunks([b""])),  # type: ignore[arg-type]
    "acheck_chunks(limits=1)": lambda: asyncio.run(acheck_chunks(_achunks(), limits=1)),  # type: ignore[arg-type]
    "acheck_file(int)": lambda: asyncio.run(acheck_file(3)),  # type: ignore[arg-type]
    "acheck_bytes(str)": lambda: asyncio.run(acheck_bytes("x")),  # type: ignore[arg-type]
    "check_url(bytes)": lambda: check_url(b"http://x.example/"),  # type: ignore[arg-type]
    "check_url(deep=1)": lambda: check_url("http://x.example/", deep=1),  # type: ignore[arg-type]
    "check_url(resolver=str)": lambda: check_url("http://x.example/", resolver="8.8.8.8"),  # type: ignore[arg-type]
    "check_url(fetcher=str)": lambda: check_url("http://x.example/", fetcher="f"),  # type: ignore[arg-type]
    "check_url(fetcher and networks)": lambda: check_url("http://x.example/", fetcher=SafeFetcher(),
                                                         allow_networks=["10.0.0.0/8"]),
    "check_url(one string network)": lambda: check_url("http://x.example/", allow_networks="10.0.0.0/8"),
    "check_url(networks=None)": lambda: check_url("http://x.example/", allow_networks=None),  # type: ignore[arg-type]
    "lint(networks=3)": lambda: lint_dialin_config({}, allow_networks=3),  # type: ignore[arg-type]
    "parse_config_json(int)": lambda: parse_config_json(123),  # type: ignore[arg-type]
    "parse_config_json(dict)": lambda: parse_config_json({"type": "pin_dialin"}),  # type: ignore[arg-type]
    "acheck_url(limits=1)": lambda: asyncio.run(acheck_url("http://x.example/", limits=1)),  # type: ignore[arg-type]
    "SafeFetcher(verify=True)": lambda: SafeFetcher(verify=True),  # type: ignore[arg-type]
    "SafeFetcher(reveal_addresses=0)": lambda: SafeFetcher(reveal_addresses=0),  # type: ignore[arg-type]
    "download_to_file(dst=1)": lambda: download_to_file("http://x.example/", 1, max_bytes=10),  # type: ignore[arg-type]
    "download_to_file(max_bytes=0)": lambda: download_to_file("http://x.example/", "x", max_bytes=0),
    "adownload_to_file(dst=None)": lambda: asyncio.run(
        adownload_to_file("http://x.example/", None, max_bytes=10)),  # type: ignore[arg-type]
    "vet_host(int)": lambda: vet_host(2130706433),  # type: ignore[arg-type]
    "vet_host(port=0)": lambda: vet_host("a.example", port=0),
    "vet_host(resolver=list)": lambda: vet_host("a.example", resolver=["1.2.3.4"]),  # type: ignore[arg-type]
    "avet_host(bytes)": lambda: asyncio.run(avet_host(b"a.example")),  # type: ignore[arg-type]
    "lint(limits=dict)": lambda: lint_dialin_config({}, limits={}),  # type: ignore[arg-type]
    "lint(check_hold_music='no')": lambda: lint_dialin_config({}, check_hold_music="no"),  # type: ignore[arg-type]
    "lint(fetcher=1)": lambda: lint_dialin_config({}, fetcher=1),  # type: ignore[arg-type]
    "lint(fetcher and resolver)": lambda: lint_dialin_config({}, fetcher=SafeFetcher(), resolver=_Dns()),
    "alint(allow_networks=bad)": lambda: asyncio.run(alint_dialin_config({}, allow_networks=["10.0.0.0/40"])),
}


@pytest.mark.parametrize("call", list(_MISUSE))
def test_misuse_is_a_usage_error(call: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An argument of the wrong type or value raises UsageError (never TypeError, AttributeError or ValueError
    from deep inside), before any network or file activity."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError):
        _MISUSE[call]()
    assert list(tmp_path.iterdir()) == []
