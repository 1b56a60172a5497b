"""The deep check decodes with ffmpeg and reports how the hold music will sound, with measured values."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mediacheck import Limits, Severity, _deep, check_bytes, check_file
from mediacheck._deep import (
    CLIPPED_SAMPLE_SHARE,
    MAX_EDGE_SILENCE_S,
    TOO_QUIET_LUFS,
    adeep_check_bytes,
    adeep_check_file,
)
from tests.audio.conftest import Media

LISTENING_WARNINGS = {"audio.silent", "audio.silence-leading", "audio.silence-trailing", "audio.clipping",
                      "audio.too-quiet", "audio.too-loud", "audio.sample-count-mismatch"}


def _listening(codes: list[str]) -> set[str]:
    return set(codes) & LISTENING_WARNINGS


class TestMeasurements:
    """What the deep check measures lands in media.audio."""

    def test_clean_file_gets_no_listening_warnings(self, media: Media) -> None:
        """A steady, well-levelled tone passes with measurements and no listening warning."""
        report = check_file(media("mp3_short"), deep=True)
        assert report.ok
        assert _listening(report.codes()) == set()
        audio = report.media.audio if report.media else None
        assert audio is not None
        assert audio["decoded"] is True
        assert audio["decode_errors"] == 0
        assert audio["sample_rate"] == 44100
        assert audio["channels"] == 1
        assert audio["decoded_duration_s"] == pytest.approx(8.0, abs=0.03)
        assert audio["leading_silence_s"] < 0.1
        assert audio["trailing_silence_s"] < 0.1
        assert -16 < audio["peak_dbfs"] < -10
        assert -22 < audio["integrated_lufs"] < -12
        assert audio["clipped_share"] == 0.0

    def test_decoded_samples_match_the_frame_scan(self, media: Media) -> None:
        """For an intact MP3, ffmpeg's sample count agrees with the core's sample-exact duration."""
        report = check_file(media("mp3_short"), deep=True)
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.duration_s is not None
        decoded = report.media.audio["decoded_samples"]
        assert decoded == pytest.approx(report.media.duration_s * 44100, abs=1152)
        assert "audio.sample-count-mismatch" not in report.codes()

    def test_stereo_320k_gets_the_telephony_note(self, media: Media) -> None:
        """A 320 kbps stereo file is told that phone lines carry 8 kHz mono, as info that does not fail it."""
        report = check_file(media("mp3_320k_stereo"), deep=True)
        note = next(f for f in report.findings if f.code == "audio.beyond-telephony")
        assert note.severity is Severity.INFO
        assert "8,000 Hz mono" in note.message
        assert "320 kbps" in note.message
        assert "44,100 Hz stereo" in note.message
        assert report.ok

    @pytest.mark.parametrize("name", ["leading_silence", "corrupt"])
    def test_bytes_and_file_measure_the_same(self, name: str, media: Media) -> None:
        """check_bytes(deep=True) reports the same measurements and ffmpeg reasons as check_file(deep=True)."""
        path = media(name)
        from_file = check_file(path, deep=True)
        from_bytes = check_bytes(path.read_bytes(), deep=True)
        assert from_file.media is not None
        assert from_bytes.media is not None
        assert from_bytes.media.audio == from_file.media.audio
        assert from_bytes.findings == from_file.findings


class TestListeningFindings:
    """Each made-to-fail file trips its finding, with the measured value in the message."""

    def test_silent_file(self, media: Media) -> None:
        """A file with no sound at all is reported silent (and not also as leading/trailing silence)."""
        report = check_file(media("silent"), deep=True)
        assert _listening(report.codes()) == {"audio.silent"}
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["silent"] is True

    def test_leading_silence(self, media: Media) -> None:
        """Five seconds of silence before the music is measured and warned about."""
        report = check_file(media("leading_silence"), deep=True)
        assert _listening(report.codes()) == {"audio.silence-leading"}
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["leading_silence_s"] == pytest.approx(5.0, abs=0.05)
        finding = next(f for f in report.findings if f.code == "audio.silence-leading")
        assert finding.severity is Severity.WARNING
        assert "5.0" in finding.message
        assert finding.hint

    def test_trailing_silence(self, media: Media) -> None:
        """Four seconds of dead air at the end is measured and warned about."""
        report = check_file(media("trailing_silence"), deep=True)
        assert _listening(report.codes()) == {"audio.silence-trailing"}
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["trailing_silence_s"] == pytest.approx(4.0, abs=0.1)
        assert report.media.audio["trailing_silence_s"] > MAX_EDGE_SILENCE_S

    def test_clipped_file(self, media: Media) -> None:
        """A hard-clipped export is reported as clipping (and too loud), with the share of pinned samples."""
        report = check_file(media("clipped"), deep=True)
        assert {"audio.clipping", "audio.too-loud"} <= set(report.codes())
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["clipped_share"] > 10 * CLIPPED_SAMPLE_SHARE
        loud = next(f for f in report.findings if f.code == "audio.too-loud")
        assert "LUFS" in loud.message

    def test_quiet_file(self, media: Media) -> None:
        """A whisper-quiet file is reported too quiet with its measured loudness in LUFS."""
        report = check_file(media("quiet"), deep=True)
        assert _listening(report.codes()) == {"audio.too-quiet"}
        assert report.media is not None
        assert report.media.audio is not None
        lufs = report.media.audio["integrated_lufs"]
        assert lufs < TOO_QUIET_LUFS
        finding = next(f for f in report.findings if f.code == "audio.too-quiet")
        assert f"{lufs:.1f} LUFS" in finding.message

    def test_listening_findings_never_fail_a_report(self, media: Media) -> None:
        """Listening findings are warnings: the API accepts such files, so the verdict stays a pass."""
        for name in ("silent", "leading_silence", "trailing_silence", "clipped", "quiet"):
            report = check_file(media(name), deep=True)
            assert report.ok, (name, report.codes())


class TestDecodeErrors:
    """Decode errors come from ffmpeg itself, in its own words."""

    def test_corrupt_mp3_is_format_corrupt_in_deep_mode(self, media: Media) -> None:
        """Garbage inside the stream gives format.corrupt with ffmpeg's reason; the frame scan, which counts the
        frames FFmpeg's decoder drops after junk, still agrees with the decode to within a frame."""
        report = check_file(media("corrupt"), deep=True)
        assert not report.ok
        corrupt = [f for f in report.findings if f.code == "format.corrupt"]
        assert len(corrupt) == 1
        assert corrupt[0].severity is Severity.ERROR
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["decode_errors"] > 0
        reasons = report.media.audio["decode_error_reasons"]
        assert reasons
        assert reasons[0] in corrupt[0].message
        assert report.media.duration_s is not None
        assert abs(report.media.audio["decoded_duration_s"] - report.media.duration_s) <= 1152 / 44100
        assert "audio.sample-count-mismatch" not in report.codes()

    def test_not_audio_is_not_called_corrupt(self, media: Media) -> None:
        """An HTML page already fails as not MP3; the deep check records that ffmpeg cannot decode it, quietly."""
        report = check_file(media("html"), deep=True)
        assert "format.not-mp3" in report.codes()
        assert "format.corrupt" not in report.codes()
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["decoded"] is False

    def test_missing_file_is_left_to_the_core(self, tmp_path: Path) -> None:
        """A path that does not exist gets the core's answer; the deep check adds nothing."""
        report = check_file(tmp_path / "nope.mp3", deep=True)
        assert report.codes() == ["access.not-found"]


class TestLimits:
    """The deep decode is bounded."""

    def test_decode_stops_at_ten_times_the_duration_limit(self, media: Media) -> None:
        """With a 1 s limit, a 61 s file is decoded for 10 s only and no sample-count verdict is drawn."""
        report = check_file(media("mp3_61s"), deep=True, limits=Limits(duration_limit_s=1.0))
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["capped"] is True
        assert report.media.audio["decoded_duration_s"] == pytest.approx(10.0, abs=0.05)
        assert "audio.sample-count-mismatch" not in report.codes()


    def test_stuck_decoder_is_stopped(self, media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An ffmpeg that never finishes is killed after DECODE_TIMEOUT_S and reported, not waited on forever."""
        stuck = tmp_path / "stuck-ffmpeg"
        stuck.write_text("#!/bin/sh\nexec sleep 30\n")
        stuck.chmod(0o755)
        monkeypatch.setenv("MEDIACHECK_FFMPEG", str(stuck))
        monkeypatch.setattr(_deep, "DECODE_TIMEOUT_S", 0.3)
        report = check_file(media("mp3_short"), deep=True)
        assert "audio.decode-timeout" in report.codes()
        assert "format.corrupt" not in report.codes()
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["timed_out"] is True


class TestFromUrl:
    """check_url(deep=True) runs the same deep check on what it fetched."""

    def test_deep_check_of_a_loopback_url(self, media: Media) -> None:
        """A fetched file gets the listening findings and measurements a local one would."""
        from mediacheck import check_url
        from tests.support.servers import LoopbackServer, Static

        body = media("leading_silence").read_bytes()
        with LoopbackServer({"/hold.mp3": Static(body)}) as server:
            report = check_url(server.url("/hold.mp3"), deep=True, allow_networks=("127.0.0.0/8",))
        assert "audio.silence-leading" in report.codes()
        assert report.media is not None
        assert report.media.audio is not None
        assert report.media.audio["leading_silence_s"] == pytest.approx(5.0, abs=0.05)


class TestAsync:
    """The async twins run the decode in a worker thread and give the same answer."""

    def test_async_twins_match_the_sync_calls(self, media: Media) -> None:
        """adeep_check_file and adeep_check_bytes return what the sync deep check returns."""
        path = media("quiet")
        core = check_file(path)
        expected = check_file(path, deep=True)

        async def both() -> tuple[object, object]:
            return (await adeep_check_file(core, path, Limits()),
                    await adeep_check_bytes(core, path.read_bytes(), Limits()))

        from_file, from_bytes = asyncio.run(both())
        assert from_file == expected
        assert getattr(from_bytes, "findings", None) == expected.findings
