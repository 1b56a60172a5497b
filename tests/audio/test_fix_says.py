"""fix says what it did in plain words (and as data), and leaves a file that already passes alone unless asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediacheck import FixChange, FixReport, check_file, fix_file
from mediacheck._fix_report import parse_input_log
from mediacheck.cli import main
from tests.audio.conftest import Media


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["fix", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestWhatFixDid:
    """The changes are measured: ffmpeg's account of the input against the check of the output."""

    def test_long_stereo_wav(self, media: Media, tmp_path: Path) -> None:
        """A 65 s stereo 44.1 kHz WAV: cut 65 -> 59 s with a fade, downmixed, resampled, converted, in that order."""
        report = fix_file(media("wav"), tmp_path / "hold.mp3")
        assert isinstance(report, FixReport)
        assert report.written
        assert report.source == str(media("wav"))
        assert [c.code for c in report.changes] == ["trimmed", "faded", "downmixed", "resampled", "converted"]
        assert [c.message for c in report.changes] == [
            "cut from 65.0 s to 59.0 s", "faded out over the last 1.5 s", "downmixed stereo to mono",
            "resampled 44,100 Hz to 22,050 Hz", "converted WAV (pcm_s16le) to MP3 at 64 kbps CBR"]
        trimmed = report.changes[0]
        assert (trimmed.before, trimmed.after) == (65.0, 59.0)
        assert report.changes[3] == FixChange("resampled", "resampled 44,100 Hz to 22,050 Hz", 44100, 22050)
        assert report.summary() == (f"Wrote {tmp_path / 'hold.mp3'} from {media('wav')}: cut from 65.0 s to 59.0 s; "
                                    "faded out over the last 1.5 s; downmixed stereo to mono; resampled 44,100 Hz "
                                    "to 22,050 Hz; converted WAV (pcm_s16le) to MP3 at 64 kbps CBR.")

    @pytest.mark.ffmpeg
    def test_too_long_fixture_on_the_command_line(self, fixtures_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
        """The 75 s fixture: the text output says it was cut from 75.0 s to 59.0 s and re-encoded, then PASS."""
        dst = tmp_path / "hold.mp3"
        code, out, _ = _run(capsys, str(fixtures_dir / "too-long-75s.mp3"), "-o", str(dst))
        assert code == 0
        assert out.startswith(f"mediacheck fix: wrote {dst} from {fixtures_dir / 'too-long-75s.mp3'}:\n"
                              "  cut from 75.0 s to 59.0 s\n"
                              "  faded out over the last 1.5 s\n"
                              "  re-encoded the MP3 (32 kbps) at 64 kbps CBR\n"
                              f"PASS {dst}  mp3 · 59.000 s")

    def test_leading_silence_and_tags(self, media: Media, tmp_path: Path) -> None:
        """5 s of leading silence are reported as removed; cover art and tags of an MP3 are reported dropped."""
        silence = fix_file(media("leading_silence"), tmp_path / "a.mp3", reencode=True)
        removed = next(c for c in silence.changes if c.code == "removed-silence")
        assert removed.message == "removed 5.0 s of silence from the start"
        art = fix_file(media("mp3_cover_art"), tmp_path / "b.mp3")
        assert art.written  # 9 MB of cover art: over the 5% tag budget, so it does not pass cleanly
        assert next(c for c in art.changes if c.code == "removed-tags").message == "removed the cover art"

    def test_json_carries_the_changes(self, media: Media, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
        """--format json: the result has a fix object with source, written and the changes as data."""
        code, out, _ = _run(capsys, str(media("mp3_61s")), "-o", str(tmp_path / "hold.mp3"), "--format", "json")
        assert code == 0
        fix = json.loads(out)["results"][0]["fix"]
        assert fix["written"] is True
        assert fix["source"] == str(media("mp3_61s"))
        assert fix["changes"][0]["code"] == "trimmed"
        assert fix["changes"][0]["before"] == pytest.approx(61.0, abs=0.1)
        assert fix["removed_leftovers"] == []

    def test_input_log_parsing(self) -> None:
        """ffmpeg's Input #0 block (tags, surround layout, cover art) is read into facts; Output is ignored."""
        log = "\n".join([
            "[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x/song.m4a':",
            "[info]   Metadata:",
            "[info]     major_brand     : M4A ",
            "[info]     title           : Song",
            "[info]     artist          : Someone",
            "[info]   Duration: 00:03:05.50, start: 0.000000, bitrate: 260 kb/s",
            "[info]   Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, "
            "256 kb/s (default)",
            "[info]     Metadata:",
            "[info]       handler_name    : SoundHandler",
            "[info]   Stream #0:1[0x0]: Video: mjpeg (Baseline), yuvj420p, 600x600, 90k tbn (attached pic)",
            "[info]     Metadata:",
            "[info]       comment         : Cover (front)",
            "[info] Stream mapping:",
            "[info] Output #0, mp3, to 'x.mp3':",
            "[info]   Metadata:",
            "[info]     title           : not the input's",
        ])
        facts = parse_input_log(log)
        assert (facts.container, facts.codec, facts.sample_rate, facts.channels, facts.bitrate_kbps) == (
            "mov,mp4,m4a,3gp,3g2,mj2", "aac", 48000, 6, 256)
        assert facts.duration_s == pytest.approx(185.5)
        assert facts.tags == ("title", "artist")
        assert facts.cover_art


class TestPassingInputIsLeftAlone:
    """A file that already passes with no warnings is not re-encoded (that only loses quality) unless asked."""

    def test_library_writes_nothing(self, media: Media, tmp_path: Path) -> None:
        """fix_file returns the input's passing check with written=False, and no file appears."""
        src = media("mp3_short")
        report = fix_file(src, tmp_path / "hold.mp3")
        assert report.ok
        assert not report.written
        assert report.changes == ()
        assert report.target == str(src)
        assert report.media == check_file(src).media
        assert report.summary() == f"{src} already passes with no warnings; nothing to do (no file was written)."
        assert list(tmp_path.iterdir()) == []

    def test_cli_says_nothing_to_do_and_exits_0(self, media: Media, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
        """The command line says so in words, shows the input's PASS, exits 0, and writes nothing."""
        src = media("mp3_short")
        code, out, err = _run(capsys, str(src), "-o", str(tmp_path / "hold.mp3"))
        assert code == 0, err
        assert out.startswith(f"mediacheck fix: {src} already passes with no warnings; nothing to do (no file was "
                              "written; --reencode encodes it anyway)\n"
                              f"PASS {src}  mp3 · 8.000 s")
        assert list(tmp_path.iterdir()) == []

    def test_reencode_asks_for_it(self, media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--reencode encodes a passing file anyway and says what changed (44.1 kHz resampled to 22.05 kHz)."""
        code, out, _ = _run(capsys, str(media("mp3_short")), "-o", str(tmp_path / "hold.mp3"), "--reencode")
        assert code == 0
        assert "  resampled 44,100 Hz to 22,050 Hz\n" in out
        assert (tmp_path / "hold.mp3").is_file()

    def test_normalize_is_a_request_to_change_the_sound(self, media: Media, tmp_path: Path) -> None:
        """normalize=True on a passing file encodes it (normalising is the point), and says so."""
        report = fix_file(media("quiet"), tmp_path / "hold.mp3", normalize=True)
        assert report.written
        assert "normalized" in [c.code for c in report.changes]

    @pytest.mark.ffmpeg
    def test_a_file_with_warnings_is_fixed(self, fixtures_dir: Path, tmp_path: Path) -> None:
        """A file that passes with a warning (a cut-off last frame) is re-encoded: fix removes what it warns of."""
        src = fixtures_dir / "truncated-mid-frame.mp3"
        assert check_file(src).ok
        assert check_file(src).warnings
        report = fix_file(src, tmp_path / "hold.mp3")
        assert report.written
        assert not check_file(tmp_path / "hold.mp3").warnings
