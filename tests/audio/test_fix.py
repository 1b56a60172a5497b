"""fix turns whatever audio a user holds into an MP3 that passes the check, and leaves nothing behind on failure."""

from __future__ import annotations

import hashlib
import os
import random
import stat
from pathlib import Path

import pytest

import mediacheck
from mediacheck import FixError, Limits, UsageError, check_file, fix_file
from mediacheck._fix import choose_bitrate, plan_fix
from tests.audio.conftest import LONG_INPUTS, Media, decode_mono, rms
from tests.support.docs import read_doc
from tests.support.servers import LoopbackServer, Static

LOOPBACK = ("127.0.0.0/8",)
ALL_INPUTS = ("wav", "m4a", "flac", "ogg", "mp3_61s", "mp3_10min", "mp3_cover_art", "mp3_320k_stereo")
INPUT_SECONDS = {"wav": 65.0, "m4a": 20.0, "flac": 20.0, "ogg": 20.0, "mp3_61s": 61.0, "mp3_10min": 600.0,
                 "mp3_cover_art": 8.0, "mp3_320k_stereo": 30.0}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


class TestEveryInputBecomesCompliant:
    """The formats users actually hold all come out as passing hold music."""

    @pytest.mark.parametrize("name", ALL_INPUTS)
    def test_output_passes_and_is_under_59_5_seconds(self, name: str, media: Media, tmp_path: Path) -> None:
        """Each input yields a mono 22,050 Hz MP3 that passes check, is under 59.5 s and keeps the input intact.

        (reencode=True: the 320 kbps stereo MP3 passes as it is and would otherwise be left alone.)
        """
        src = media(name)
        before = _digest(src)
        dst = tmp_path / "hold.mp3"
        report = fix_file(src, dst, reencode=True)
        assert report.written
        assert report.ok, report.codes()
        assert report.target == str(dst)
        again = check_file(dst)
        assert again.ok
        assert again.media is not None
        assert again.media.format == "mp3"
        assert again.media.duration_s is not None
        assert again.media.stream_duration_s is not None
        assert again.media.stream_duration_s < 59.5
        expected = min(INPUT_SECONDS[name], 59.0)
        assert again.media.duration_s == pytest.approx(expected, abs=0.1)
        assert (again.media.sample_rate, again.media.channels, again.media.bitrate_kbps) == (22050, 1, 64)
        data = dst.read_bytes()
        assert not data.startswith(b"ID3")
        assert data[-128:-125] != b"TAG"
        assert len(data) < 500_000
        assert _digest(src) == before
        assert _leftovers(tmp_path, {"hold.mp3"}) == []

    @pytest.mark.parametrize("name", LONG_INPUTS)
    def test_long_inputs_fade_out(self, name: str, media: Media, tmp_path: Path, ffmpeg_exe: str) -> None:
        """A cut input fades to near silence over its last 1.5 s, so the loop does not click."""
        dst = tmp_path / "hold.mp3"
        fix_file(media(name), dst)
        tail, rate = decode_mono(ffmpeg_exe, dst, last_seconds=3.0)
        steady = rms(tail[: rate // 2])  # 3.0 to 2.5 s before the end, before the fade starts
        last = rms(tail[-rate // 20:])  # the final 50 ms
        assert steady > 0.1
        assert last < 0.15 * steady

    def test_short_input_is_not_faded(self, media: Media, tmp_path: Path, ffmpeg_exe: str) -> None:
        """An input shorter than the target keeps its full level to the end (nothing was cut)."""
        dst = tmp_path / "hold.mp3"
        fix_file(media("m4a"), dst)
        tail, rate = decode_mono(ffmpeg_exe, dst, last_seconds=3.0)
        assert rms(tail[-rate // 10: -rate // 20]) > 0.8 * rms(tail[: rate // 2])


class TestChoices:
    """Each choice fix makes has an option, and the options are honoured."""

    def test_leading_silence_is_stripped(self, media: Media, tmp_path: Path) -> None:
        """Five seconds of leading silence are cut, so the music starts at once (the input passes: reencode)."""
        report = fix_file(media("leading_silence"), tmp_path / "hold.mp3", reencode=True)
        assert report.media is not None
        assert report.media.duration_s is not None
        assert report.media.duration_s == pytest.approx(6.0, abs=0.1)
        deep = check_file(tmp_path / "hold.mp3", deep=True)
        assert deep.media is not None
        assert deep.media.audio is not None
        assert deep.media.audio["leading_silence_s"] < 0.1

    def test_leading_silence_can_be_kept(self, media: Media, tmp_path: Path) -> None:
        """strip_silence=False keeps the input's start as it is."""
        report = fix_file(media("leading_silence"), tmp_path / "hold.mp3", strip_silence=False, reencode=True)
        assert report.media is not None
        assert report.media.duration_s is not None
        assert report.media.duration_s == pytest.approx(11.0, abs=0.1)

    def test_normalize_brings_a_quiet_file_to_the_telephony_target(self, media: Media, tmp_path: Path) -> None:
        """normalize=True lifts a whisper-quiet file to about -18 LUFS, and the deep check no longer calls it quiet."""
        fix_file(media("quiet"), tmp_path / "hold.mp3", normalize=True)
        deep = check_file(tmp_path / "hold.mp3", deep=True)
        assert deep.media is not None
        assert deep.media.audio is not None
        assert deep.media.audio["integrated_lufs"] == pytest.approx(-18.0, abs=2.0)
        assert "audio.too-quiet" not in deep.codes()

    def test_rate_channels_bitrate_and_target(self, media: Media, tmp_path: Path) -> None:
        """Sample rate, channels, bitrate and target duration follow the options."""
        report = fix_file(media("wav"), tmp_path / "hold.mp3", sample_rate=44100, channels=2, bitrate_kbps=128,
                          target_seconds=20.0, fade_seconds=0.5)
        media_info = report.media
        assert media_info is not None
        assert media_info.duration_s is not None
        assert (media_info.sample_rate, media_info.channels, media_info.bitrate_kbps) == (44100, 2, 128)
        assert media_info.duration_s == pytest.approx(20.0, abs=0.05)

    def test_target_follows_a_lower_duration_limit(self, media: Media, tmp_path: Path) -> None:
        """With a 30 s limit and no target, the output is cut one second under it."""
        report = fix_file(media("mp3_61s"), tmp_path / "hold.mp3", limits=Limits(duration_limit_s=30.0))
        assert report.ok
        assert report.media is not None
        assert report.media.duration_s == pytest.approx(29.0, abs=0.05)

    def test_tiny_duration_limit_gets_the_middle_of_the_room(self, media: Media, tmp_path: Path) -> None:
        """Under a 1.5 s limit there is no second to spare: the default target is halfway between the 1 s minimum
        of playable audio and the limit."""
        report = fix_file(media("mp3_short"), tmp_path / "hold.mp3", limits=Limits(duration_limit_s=1.5),
                          fade_seconds=0.2)
        assert report.ok
        assert report.media is not None
        assert report.media.duration_s == pytest.approx(1.25, abs=0.03)

    def test_bitrate_is_lowered_to_fit_the_size_limit(self, media: Media, tmp_path: Path) -> None:
        """A 320 kbps request under a 1 MB limit gets the highest MP3 bitrate that fits with a 5% margin (112)."""
        limits = Limits(size_limit_bytes=1_000_000)
        report = fix_file(media("wav"), tmp_path / "hold.mp3", limits=limits, sample_rate=44100, bitrate_kbps=320)
        assert report.ok
        assert report.media is not None
        assert report.media.bitrate_kbps == 112
        assert (tmp_path / "hold.mp3").stat().st_size < 1_000_000

    def test_choose_bitrate_respects_mpeg_versions(self) -> None:
        """MPEG-2 rates top out at 160 kbps; MPEG-1 rates start at 32 kbps; nothing fitting is a usage error."""
        assert choose_bitrate(320, 22050, 59.0, 10_000_000) == 160
        assert choose_bitrate(64, 44100, 59.0, 10_000_000) == 64
        assert choose_bitrate(100, 44100, 59.0, 10_000_000) == 96
        with pytest.raises(UsageError, match="no 44,100 Hz MP3 bitrate"):
            choose_bitrate(64, 44100, 59.0, 100_000)


class TestRefusals:
    """Input that is not audio, and options that cannot work, are refused with nothing written."""

    @pytest.mark.parametrize("name", ["html", "pdf", "empty"])
    def test_non_audio_input_is_refused(self, name: str, media: Media, tmp_path: Path) -> None:
        """HTML, PDF and empty inputs raise FixError naming what they are, and leave no file behind."""
        with pytest.raises(FixError, match="not audio") as caught:
            fix_file(media(name), tmp_path / "hold.mp3")
        assert caught.value.reason == "not-audio"
        assert _leftovers(tmp_path, set()) == []

    def test_silent_input_is_refused(self, media: Media, tmp_path: Path) -> None:
        """An input that is silent throughout leaves nothing once its silence is stripped: FixError, no file."""
        with pytest.raises(FixError, match="silent") as caught:
            fix_file(media("silent"), tmp_path / "hold.mp3", reencode=True)
        assert caught.value.reason == "empty"
        assert _leftovers(tmp_path, set()) == []

    @pytest.mark.ffmpeg
    def test_undecodable_input_quotes_ffmpeg(self, tmp_path: Path) -> None:
        """Random bytes named .wav are refused with ffmpeg's own reason, not a wrapper or a traceback."""
        src = tmp_path / "noise.wav"
        src.write_bytes(random.Random(3).randbytes(4096))
        with pytest.raises(FixError, match=r"could not read .* as audio: Invalid data found") as caught:
            fix_file(src, tmp_path / "hold.mp3")
        assert caught.value.reason == "undecodable"
        assert _leftovers(tmp_path, {"noise.wav"}) == []

    @pytest.mark.ffmpeg
    def test_missing_input(self, tmp_path: Path) -> None:
        """A path with no file behind it is a FixError saying so."""
        with pytest.raises(FixError, match="no file"):
            fix_file(tmp_path / "nope.wav", tmp_path / "hold.mp3")
        assert _leftovers(tmp_path, set()) == []

    def test_input_is_never_overwritten(self, media: Media, tmp_path: Path) -> None:
        """The output may not be the input, not even through a hard link or with overwrite=True."""
        src = tmp_path / "in.mp3"
        src.write_bytes(media("mp3_short").read_bytes())
        link = tmp_path / "link.mp3"
        os.link(src, link)
        before = _digest(src)
        for dst in (src, link, tmp_path / "." / "in.mp3"):
            with pytest.raises(UsageError, match="is the input"):
                fix_file(src, dst, overwrite=True)
        assert _digest(src) == before

    def test_existing_output_needs_overwrite(self, media: Media, tmp_path: Path) -> None:
        """An existing output is kept unless overwrite=True, which replaces it and keeps its permissions."""
        dst = tmp_path / "hold.mp3"
        dst.write_bytes(b"old")
        dst.chmod(0o640)
        with pytest.raises(UsageError, match="exists"):
            fix_file(media("mp3_short"), dst)
        assert dst.read_bytes() == b"old"
        assert fix_file(media("mp3_short"), dst, overwrite=True, reencode=True).ok
        assert dst.read_bytes() != b"old"
        assert stat.S_IMODE(dst.stat().st_mode) == 0o640

    @pytest.mark.parametrize(("kwargs", "match"), [
        ({"target_seconds": 59.9}, "under the 60 s limit"),
        ({"target_seconds": 0.0}, "above 0 s"),
        ({"sample_rate": 44000}, "sample rate"),
        ({"channels": 6}, "channels"),
        ({"fade_seconds": 60.0}, "fade"),
    ])
    def test_impossible_options(self, kwargs: dict[str, float], match: str, media: Media, tmp_path: Path) -> None:
        """Options that cannot make a passing file are usage errors raised before any work."""
        with pytest.raises(UsageError, match=match):
            fix_file(media("mp3_short"), tmp_path / "hold.mp3", **kwargs)  # type: ignore[arg-type]
        assert _leftovers(tmp_path, set()) == []

    def test_output_folder_must_exist(self, media: Media, tmp_path: Path) -> None:
        """An output in a missing folder is a usage error, not a traceback."""
        with pytest.raises(UsageError, match="does not exist"):
            fix_file(media("mp3_short"), tmp_path / "missing" / "hold.mp3")


class TestAtomicOutput:
    """A failure at any point leaves neither the output nor a temporary file."""

    def _fake_ffmpeg(self, folder: Path, body: str) -> Path:
        script = folder / "fake-ffmpeg"
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
        return script

    def test_ffmpeg_dying_midway_leaves_nothing(self, media: Media, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        """An ffmpeg that writes half a file and fails leaves no output and no temporary file."""
        tools = tmp_path / "tools"
        tools.mkdir()
        fake = self._fake_ffmpeg(tools, 'for last; do :; done\nhead -c 5000 /dev/zero > "$last"\n'
                                        'echo "Conversion failed!" >&2\nexit 1')
        monkeypatch.setenv("MEDIACHECK_FFMPEG", str(fake))
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        with pytest.raises(FixError, match="Conversion failed"):
            fix_file(media("wav"), out_dir / "hold.mp3")
        assert _leftovers(out_dir, set()) == []

    def test_output_that_would_fail_is_not_kept(self, media: Media, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        """When the made file would fail the check, fix says why and keeps nothing."""
        tools = tmp_path / "tools"
        tools.mkdir()
        fake = self._fake_ffmpeg(tools, 'for last; do :; done\necho "<html>oops</html>" > "$last"')
        monkeypatch.setenv("MEDIACHECK_FFMPEG", str(fake))
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        with pytest.raises(FixError, match="would still fail") as caught:
            fix_file(media("wav"), out_dir / "hold.mp3")
        assert caught.value.reason == "output-fails"
        assert _leftovers(out_dir, set()) == []


class TestUrlInput:
    """An http(s) source goes through the guarded fetcher."""

    def test_fix_from_a_loopback_url(self, media: Media, tmp_path: Path) -> None:
        """A WAV served over HTTP is downloaded through the guard and fixed; the download is not left behind."""
        body = media("m4a").read_bytes()
        with LoopbackServer({"/song.m4a": Static(body, content_type="audio/mp4")}) as server:
            report = fix_file(server.url("/song.m4a"), tmp_path / "hold.mp3", allow_networks=LOOPBACK)
        assert report.ok
        assert report.media is not None
        assert report.media.duration_s == pytest.approx(20.0, abs=0.1)
        assert _leftovers(tmp_path, {"hold.mp3"}) == []

    def test_private_address_is_refused_without_allowance(self, media: Media, tmp_path: Path) -> None:
        """Without an allowance, loopback is a blocked address: fix refuses and nothing is fetched or written."""
        with LoopbackServer({"/song.m4a": Static(media("m4a").read_bytes())}) as server:
            with pytest.raises(FixError, match="could not download") as caught:
                fix_file(server.url("/song.m4a"), tmp_path / "hold.mp3")
            assert server.hits["/song.m4a"] == 0
        assert caught.value.reason.startswith("access.")
        assert _leftovers(tmp_path, set()) == []

    @pytest.mark.ffmpeg
    def test_html_served_as_a_url_is_refused(self, tmp_path: Path) -> None:
        """A share page served with status 200 is refused as not audio."""
        page = b"<!DOCTYPE html><html><body>Sign in to download</body></html>"
        with (LoopbackServer({"/share": Static(page, content_type="text/html")}) as server,
              pytest.raises(FixError, match="not audio")):
            fix_file(server.url("/share"), tmp_path / "hold.mp3", allow_networks=LOOPBACK)
        assert _leftovers(tmp_path, set()) == []

    def test_other_schemes_are_usage_errors(self, tmp_path: Path) -> None:
        """Only http and https sources are fetched."""
        with pytest.raises(UsageError, match="http"):
            fix_file("ftp://example.com/song.mp3", tmp_path / "hold.mp3")


def test_fix_file_is_exported_lazily() -> None:
    """mediacheck.fix_file is the fix of mediacheck._fix, reached through the package's lazy exports."""
    from mediacheck import _fix

    assert mediacheck.fix_file is _fix.fix_file


@pytest.mark.parametrize(("limit", "target"), [(60.0, 59.0), (30.0, 29.0), (120.0, 59.0), (2.0, 1.5), (1.5, 1.25)])
def test_default_target_is_what_the_audio_page_says(limit: float, target: float) -> None:
    """Without --target-seconds the cut is one second under the limit, at most 59 s; under a 2 s limit or less,
    halfway between the 1 s minimum and the limit, as docs/audio.md's option table says."""
    plan = plan_fix(limits=Limits(duration_limit_s=limit), target_seconds=None, sample_rate=22050, channels=1,
                    bitrate_kbps=64, fade_seconds=0.2, strip_silence=True, normalize=False)
    assert plan.target_seconds == target
    row = next(line for line in read_doc("audio").splitlines() if line.startswith("| `--target-seconds S` |"))
    assert ("one second under `--max-seconds`, at most 59 (so 59 by default); for a limit of 2 s or less, "
            "halfway between the 1 s minimum and the limit") in row
