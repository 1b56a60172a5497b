"""The text output's key facts say `>=` only where a number really is a lower bound."""

from __future__ import annotations

from mediacheck import FetchInfo, MediaInfo, Report, check_file
from mediacheck._cli_output import describe_media
from tests.conftest import FIXTURES


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
