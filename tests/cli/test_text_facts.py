"""The text output's key facts say `>=` only where a number really is a lower bound."""

from __future__ import annotations

import json
from pathlib import Path

from mediacheck import FetchInfo, MediaInfo, Report, check_file
from mediacheck._cli_output import describe_media
from tests.cli.conftest import RunCli
from tests.conftest import FIXTURES
from tests.support.servers import LoopbackServer, Static


def _stopped_early(size: int) -> MediaInfo:
    return MediaInfo(format="mp3", bytes=size, complete=False, duration_s=60.01)


def test_a_file_stopped_early_keeps_its_exact_size() -> None:
    """A local file's size is known before the scan, so only its duration is a lower bound."""
    facts = describe_media(check_file(FIXTURES / "too-long-75s.mp3"))
    assert facts.startswith("mp3 · >= ")
    assert f" · {(FIXTURES / 'too-long-75s.mp3').stat().st_size:,} bytes" in facts
    assert ">= 300" not in facts


def test_a_download_cut_short_without_a_length_is_a_lower_bound() -> None:
    """A chunked body stopped at the verdict has no known size: the bytes read are a lower bound."""
    fetch = FetchInfo(final_url="https://x.test/a.mp3", status=200, content_type="audio/mpeg", bytes_read=65_536)
    facts = describe_media(Report("https://x.test/a.mp3", media=_stopped_early(65_536), fetch=fetch))
    assert ">= 65,536 bytes" in facts


def test_a_download_with_a_content_length_keeps_the_announced_size() -> None:
    """A body stopped early under a Content-Length reports the announced size as is."""
    fetch = FetchInfo(final_url="https://x.test/a.mp3", status=200, content_type="audio/mpeg", bytes_read=65_536)
    facts = describe_media(Report("https://x.test/a.mp3", media=_stopped_early(9_000_000), fetch=fetch))
    assert " · 9,000,000 bytes" in facts
    assert ">= 9,000,000" not in facts


def test_a_fully_read_body_with_a_content_length_is_exact(run_cli: RunCli, fixtures_dir: Path) -> None:
    """A 208-byte page served with its Content-Length is read whole: `208 bytes`, not `>= 208 bytes`."""
    page = (fixtures_dir / "share-page.html").read_bytes()
    assert len(page) == 208
    with LoopbackServer({"/share": Static(page, content_type="text/html")}) as server:
        result = run_cli("check", "--allow-network", "127.0.0.0/8", server.url("/share"))
        document = json.loads(run_cli("check", "--format", "json", "--allow-network", "127.0.0.0/8",
                                      server.url("/share")).out)
    assert " · html · 208 bytes\n" in result.out
    assert ">=" not in result.out
    assert document["results"][0]["fetch"]["content_length"] == 208


def test_a_chunked_body_cut_short_stays_a_lower_bound(run_cli: RunCli, fixtures_dir: Path) -> None:
    """The same page sent chunked, with no length, and followed by more: the scan stops, so `>=` stays."""
    page = (fixtures_dir / "share-page.html").read_bytes() * 2000
    with LoopbackServer({"/share": Static(page, content_type="text/html", chunked=True)}) as server:
        result = run_cli("check", "--allow-network", "127.0.0.0/8", server.url("/share"))
    assert " · html · >= " in result.out
