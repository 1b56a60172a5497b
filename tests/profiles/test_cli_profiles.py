"""`--profile` on the command line: check and fix follow the platform's rules; a bad name or file is exit 2."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import pytest

from mediacheck import check_file
from mediacheck.cli import main
from tests.core.conftest import FIXTURES

WAVS = FIXTURES / "wav"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestCheck:
    """`mediacheck check --profile NAME` judges each target by that platform's rules."""

    def test_connect_passes_the_ulaw_wav_and_fails_the_rest(self, capsys: pytest.CaptureFixture[str]) -> None:
        """PASS for the µ-law WAV (with its WAV facts), FAIL with the profile's codes for PCM, exit 1."""
        code, out, _ = _run(capsys, "check", "--profile", "connect", str(WAVS / "connect-ulaw-8k-mono-6s.wav"),
                            str(WAVS / "pcm16-22k-stereo-1s.wav"))
        assert code == 1
        assert "PASS" in out.splitlines()[0]
        assert "wav · 6.000 s · 48,058 bytes · µ-law, 64 kbps, 8 kHz, mono" in out
        assert "format.sample-rate" in out
        assert out.rstrip().endswith("2 checked: 1 passed, 1 failed")

    def test_json_limits_are_the_profiles(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The run document's limits are connect's bounds, and the report carries the WAV details."""
        code, out, _ = _run(capsys, "check", "--profile", "connect", "--format", "json",
                            str(WAVS / "connect-ulaw-8k-mono-6s.wav"))
        assert code == 0
        document = json.loads(out)
        assert (document["limits"]["size_limit_bytes"], document["limits"]["duration_limit_s"]) == (50_000_000, 300.0)
        assert document["results"][0]["media"]["wav"]["codec"] == "pcm_mulaw"

    def test_flags_override_the_profile_bounds(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--max-seconds 5 under connect fails the 6 s WAV."""
        code, out, _ = _run(capsys, "check", "--profile", "connect", "--max-seconds", "5",
                            str(WAVS / "connect-ulaw-8k-mono-6s.wav"))
        assert code == 1
        assert "duration.too-long" in out

    def test_folders_expand_to_the_profiles_formats(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Under a WAV profile a folder's .wav files are checked; under daily the same folder has no .mp3 files."""
        code, out, _ = _run(capsys, "check", "--profile", "genesys", str(WAVS))
        assert code == 0
        assert "3 checked: 3 passed" in out
        code, out, _ = _run(capsys, "check", str(WAVS))
        assert code == 1
        assert "access.no-mp3-files" in out

    def test_unknown_profile_is_a_usage_error(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """An unknown name: one line after the usage, exit 2."""
        monkeypatch.chdir(tmp_path)
        code, _, err = _run(capsys, "check", "--profile", "zoom", "x.wav")
        assert code == 2
        assert "--profile: unknown profile 'zoom'" in err

    def test_a_bad_rules_file_is_a_usage_error(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        """A broken mediacheck.toml is a message naming the file and the problem, exit 2, no traceback."""
        (tmp_path / "mediacheck.toml").write_text("[profiles.zoom]\nformats = ['wav']\nmax_bytes = 'big'\n")
        monkeypatch.chdir(tmp_path)
        code, _, err = _run(capsys, "check", "--profile", "zoom", "x.wav")
        assert code == 2
        assert "max_bytes must be a whole number" in err
        assert "Traceback" not in err

    def test_a_rules_file_profile_runs(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """A profile from ./mediacheck.toml (extending connect with 4 s) fails the 6 s WAV on duration only."""
        (tmp_path / "mediacheck.toml").write_text("[profiles.short]\nextends = 'connect'\nmax_seconds = 4\n")
        monkeypatch.chdir(tmp_path)
        code, out, _ = _run(capsys, "check", "--profile", "short", str(WAVS / "connect-ulaw-8k-mono-6s.wav"))
        assert code == 1
        assert "it must be less than 4 s" in out


@pytest.mark.ffmpeg
class TestFix:
    """`mediacheck fix --profile connect` writes an 8 kHz mono µ-law WAV that passes connect."""

    def test_fix_to_connect_end_to_end(self, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       ffmpeg_exe: str) -> None:
        """A 75 s 22 kHz MP3 becomes a WAV under 5 minutes that connect accepts; ffmpeg and wave agree on its shape."""
        dst = tmp_path / "prompt.wav"
        code, out, err = _run(capsys, "fix", str(FIXTURES / "too-long-75s.mp3"), "-o", str(dst),
                              "--profile", "connect")
        assert code == 0, err
        assert f"\nPASS {dst}  wav ·" in out
        assert "converted MP3 to µ-law WAV" in out
        assert "µ-law, 64 kbps, 8 kHz, mono" in out
        report = check_file(dst, profile="connect")
        assert report.ok
        assert report.codes() == []
        probe = subprocess.run([ffmpeg_exe, "-hide_banner", "-i", str(dst), "-f", "s16le", "-"],
                               capture_output=True, check=True)
        assert "Audio: pcm_mulaw ([7][0][0][0] / 0x0007), 8000 Hz, mono" in probe.stderr.decode()
        frames = len(probe.stdout) // 2  # FFmpeg's decode, the ground truth
        assert report.media is not None
        assert report.media.frames == frames
        # Trimmed of its leading silence the 75 s tone keeps all its audio: well under connect's 5 minutes.
        assert 70 * 8000 < frames < 300 * 8000

    def test_fix_cuts_to_the_profile_duration(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """With a 4 s bound from a rules file the output is cut to one second under it (3 s)."""
        dst = tmp_path / "short.wav"
        (tmp_path / "mediacheck.toml").write_text("[profiles.short]\nextends = 'connect'\nmax_seconds = 4\n")
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(tmp_path)
            code, out, err = _run(capsys, "fix", str(FIXTURES / "example-hold-music.mp3"), "-o", str(dst),
                                  "--profile", "short", "--fade-seconds", "0.5")
        assert code == 0, err
        assert "wav · 3.000 s" in out

    def test_fix_to_vonage_writes_16_bit_pcm(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """Vonage's target is a 16-bit WAV: asked to re-encode, the stereo 22 kHz WAV becomes 16 kHz mono 16-bit PCM
        that passes; not asked, the input already passes vonage and nothing is written."""
        dst = tmp_path / "vonage.wav"
        code, out, err = _run(capsys, "fix", str(WAVS / "pcm16-22k-stereo-1s.wav"), "-o", str(dst),
                              "--profile", "vonage")
        assert code == 0, err
        assert "already passes" in out + err
        assert not dst.exists()
        code, _, err = _run(capsys, "fix", str(WAVS / "pcm16-22k-stereo-1s.wav"), "-o", str(dst),
                            "--profile", "vonage", "--reencode")
        assert code == 0, err
        with wave.open(str(dst)) as handle:
            assert (handle.getsampwidth(), handle.getframerate(), handle.getnchannels()) == (2, 16000, 1)
        assert check_file(dst, profile="vonage").ok

    def test_a_rate_and_channels_given_win_over_the_profiles(self, capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
        """--sample-rate 22050 --channels 1 are the plain fix's defaults, yet given with a profile they are what
        the user asked for: the vonage WAV is 22,050 Hz mono, not the profile's 16 kHz."""
        dst = tmp_path / "vonage.wav"
        code, _, err = _run(capsys, "fix", str(WAVS / "pcm16-22k-stereo-1s.wav"), "-o", str(dst),
                            "--profile", "vonage", "--reencode", "--sample-rate", "22050", "--channels", "1")
        assert code == 0, err
        with wave.open(str(dst)) as handle:
            assert (handle.getsampwidth(), handle.getframerate(), handle.getnchannels()) == (2, 22050, 1)
