"""ffmpeg reads only the one local file it is given: a playlist posing as audio cannot make it open anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediacheck import FixError, check_file, fix_file
from tests.audio.conftest import Media


def _playlist(folder: Path, segment: str) -> Path:
    """An HLS playlist with one segment: ffmpeg's hls demuxer would open the segment it names."""
    path = folder / "hold.m3u8"
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{segment}\n#EXT-X-ENDLIST\n")
    return path


def test_deep_check_does_not_follow_a_playlist(media: Media, tmp_path: Path) -> None:
    """A playlist naming another file is not played through: nothing is decoded."""
    playlist = _playlist(tmp_path, str(media("mp3_short")))
    report = check_file(playlist, deep=True)
    assert not report.ok
    assert report.media is not None
    assert report.media.audio is not None
    assert report.media.audio["decoded"] is False
    assert report.media.audio["decoded_samples"] == 0


def test_fix_does_not_follow_a_playlist(media: Media, tmp_path: Path) -> None:
    """fix refuses a playlist instead of converting the file it names, and writes nothing."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(FixError, match="not an audio file format"):
        fix_file(_playlist(tmp_path, str(media("mp3_short"))), out_dir / "hold.mp3")
    assert list(out_dir.iterdir()) == []


def test_protocol_looking_file_names_are_files(media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local file named like an ffmpeg protocol (`concat:a|b.mp3`) is read as that file, by deep check and fix."""
    monkeypatch.chdir(tmp_path)
    Path("concat:a|b.mp3").write_bytes(media("mp3_short").read_bytes())
    report = check_file("concat:a|b.mp3", deep=True)
    assert report.media is not None
    assert report.media.audio is not None
    assert report.media.audio["decoded_duration_s"] == pytest.approx(8.0, abs=0.05)
    fixed = fix_file("concat:a|b.mp3", "hold.mp3")
    assert fixed.ok
    assert fixed.media is not None
    assert fixed.media.duration_s == pytest.approx(8.0, abs=0.05)
