"""Every committed fixture gets the verdict, codes and (ffmpeg-decoded) durations its manifest entry records."""

from __future__ import annotations

from typing import Any

import pytest

from mediacheck import DEFAULT_LIMITS, check_file
from tests.core.conftest import FIXTURES, MANIFEST

AUDIO = [e for e in MANIFEST if e["format"] == "mp3"]


def _id(entry: dict[str, Any]) -> str:
    return str(entry["file"])


@pytest.mark.parametrize("entry", MANIFEST, ids=_id)
def test_verdict_and_codes(entry: dict[str, Any]) -> None:
    """The format, pass/fail and the error and warning codes are exactly what the fixture was made to show."""
    report = check_file(FIXTURES / entry["path"])
    assert report.media is not None
    assert report.media.format == entry["format"]
    assert report.ok is entry["ok"]
    assert [f.code for f in report.errors] == entry["errors"]
    assert [f.code for f in report.warnings] == entry["warnings"]
    assert report.media.bytes == entry["bytes"]


@pytest.mark.parametrize("entry", [e for e in AUDIO if e["exact"]], ids=_id)
def test_playback_duration_matches_ffmpeg_decode(entry: dict[str, Any]) -> None:
    """A completely scanned file plays exactly as long as ffmpeg's full decode (within 2 ms; in practice 0)."""
    media = check_file(FIXTURES / entry["path"]).media
    assert media is not None
    assert media.sample_rate == entry["sample_rate"]
    assert media.duration_s is not None
    assert media.stream_duration_s is not None
    if media.complete:
        assert media.duration_s == pytest.approx(entry["ffmpeg_duration_s"], abs=0.002)
        assert media.stream_duration_s >= media.duration_s
    else:
        # Stopped early at the duration limit: both durations are lower bounds that already cross it.
        assert media.stream_duration_s >= media.duration_s >= DEFAULT_LIMITS.duration_limit_s
        assert media.duration_s <= entry["ffmpeg_duration_s"]


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e.get("ffmpeg_refuses")], ids=_id)
def test_files_ffmpeg_refuses_fail_for_want_of_audio(entry: dict[str, Any]) -> None:
    """What FFmpeg will not open (recorded by the generator from FFmpeg itself) fails with format.no-audio."""
    assert "two consecutive" in entry["ffmpeg_refuses"]
    report = check_file(FIXTURES / entry["path"])
    assert report.codes()[0] == "format.no-audio"


def test_an_ape_tag_without_a_header_is_a_tag() -> None:
    """Items and a footer with no header at the end are counted as an APEv2 tag, not as junk."""
    media = check_file(FIXTURES / "ape-footer-only-3s.mp3").media
    assert media is not None
    assert media.tags is not None
    assert media.tags["by_kind"] == {"apev2": 78}


def test_joined_file_is_measured_by_its_frames_not_its_header() -> None:
    """Two 25 s files joined play 50.1 s to the sample: the second Info frame counts as the silence FFmpeg plays."""
    entry = next(e for e in MANIFEST if e["file"] == "joined-2x25s.mp3")
    media = check_file(FIXTURES / entry["path"]).media
    assert media is not None
    assert media.duration_s is not None
    assert media.sample_rate is not None
    assert media.frames == 2 * 960
    assert round(media.duration_s * media.sample_rate) == entry["ffmpeg_samples"]


def test_forged_header_does_not_change_the_duration() -> None:
    """A header claiming half the frames still measures the real 10 s (the truth is the unforged file's decode)."""
    entry = next(e for e in MANIFEST if e["file"] == "forged-xing-count.mp3")
    media = check_file(FIXTURES / entry["path"]).media
    assert media is not None
    assert media.duration_s == pytest.approx(entry["ffmpeg_duration_s"], abs=0.002)


def test_example_hold_music_passes_with_its_tags_read() -> None:
    """The README's quickstart file passes, is 30 s long, and its title and artist come from the ID3v2 tag."""
    report = check_file(FIXTURES / "example-hold-music.mp3")
    assert report.ok
    assert report.media is not None
    assert report.media.duration_s == pytest.approx(30.0, abs=0.002)
    assert report.media.tags is not None
    assert report.media.tags["title"] == "Example hold music"
    assert report.codes() == ["duration.played-twice"]


def test_tags_are_counted_by_kind_and_pictures_listed() -> None:
    """ID3v2 (with its picture), APEv2, Lyrics3v2 and ID3v1 are each skipped and counted, not mistaken for junk."""
    media = check_file(FIXTURES / "tagged-id3v2-ape-lyrics3-id3v1.mp3").media
    assert media is not None
    assert media.tags is not None
    by_kind = media.tags["by_kind"]
    assert set(by_kind) == {"id3v2", "apev2", "lyrics3", "id3v1"}
    assert by_kind["id3v1"] == 128
    assert by_kind["apev2"] == 110
    assert by_kind["lyrics3"] == 62
    assert media.tags["pictures"][0]["mime"] == "image/png"
    assert media.tags["artist"] == "mediacheck"


def test_every_finding_has_a_message_and_a_hint() -> None:
    """Each finding any fixture produces carries a one-sentence message and a hint saying what to do."""
    for entry in MANIFEST:
        for finding in check_file(FIXTURES / entry["path"]).findings:
            assert finding.message.endswith(".")
            assert finding.message.count(". ") == 0, finding.message
            assert finding.hint, finding.code
