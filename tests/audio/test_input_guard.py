"""ffmpeg reads only the one local file it is given: a playlist posing as audio cannot make it open anything else."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediacheck import FixError, check_file, fix_file
from mediacheck._ffmpeg import input_arguments
from tests.audio.conftest import Media
from tests.support.servers import LoopbackServer, Static


def _playlist(folder: Path, segment: str) -> Path:
    """An HLS playlist with one segment: ffmpeg's hls demuxer would open the segment it names."""
    path = folder / "hold.m3u8"
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{segment}\n#EXT-X-ENDLIST\n")
    return path


def test_deep_check_does_not_follow_a_playlist(media: Media, tmp_path: Path) -> None:
    """A playlist naming another file is not played through: nothing is decoded."""
    playlist = _playlist(tmp_path, str(media("mp3_short")))
    report = check_file(playlist, deep=True)
    assert report.codes() == ["format.not-mp3"]  # a text file, judged as what it is
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


def test_a_playlist_naming_a_url_fetches_nothing(media: Media, tmp_path: Path) -> None:
    """An HLS playlist whose segment is a loopback URL: neither the deep check nor fix makes ffmpeg connect to it."""
    with LoopbackServer({"/hold.mp3": Static(media("mp3_short").read_bytes())}) as server:
        playlist = _playlist(tmp_path, server.url("/hold.mp3"))
        report = check_file(playlist, deep=True)
        with pytest.raises(FixError):
            fix_file(playlist, tmp_path / "fixed.mp3")
    assert report.media is not None
    assert report.media.audio is not None
    assert report.media.audio["decoded"] is False
    assert server.hits == {}


def test_the_protocol_whitelist_alone_refuses_a_url(ffmpeg_exe: str, media: Media) -> None:
    """Layer by layer: even handed a URL (as a playlist-like demuxer would hand one on), ffmpeg under
    input_arguments' options opens no protocol but ``file``; the same run without them fetches the URL."""
    local = media("mp3_short")
    arguments = input_arguments(local)
    options = arguments[:arguments.index("-i")]
    with LoopbackServer({"/hold.mp3": Static(local.read_bytes())}) as server:
        url = server.url("/hold.mp3")
        guarded = subprocess.run([ffmpeg_exe, "-nostdin", "-hide_banner", *options, "-i", url, "-f", "null", "-"],
                                 capture_output=True, check=False, timeout=60)
        refused_hits = sum(server.hits.values())
        unguarded = subprocess.run([ffmpeg_exe, "-nostdin", "-hide_banner", "-i", url, "-f", "null", "-"],
                                   capture_output=True, check=False, timeout=60)
    assert guarded.returncode != 0
    assert b"not on whitelist" in guarded.stderr
    assert refused_hits == 0
    assert unguarded.returncode == 0  # the control: this URL is fetched by an ffmpeg without the whitelist
    assert server.hits["/hold.mp3"] >= 1
