"""`mediacheck fix` on the command line: prints the check of its output and exits 0 only when it passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediacheck.cli import main
from tests.audio.conftest import Media


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["fix", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fix_prints_the_passing_report(media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A WAV becomes hold.mp3; the run prints PASS with the output's facts and exits 0."""
    dst = tmp_path / "hold.mp3"
    code, out, err = _run(capsys, str(media("wav")), "-o", str(dst))
    assert code == 0, err
    assert f"\nPASS {dst}" in out
    assert "59.000 s" in out
    assert dst.is_file()


def test_json_report_and_every_option(media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints one run document; the encoding options reach the file."""
    dst = tmp_path / "hold.mp3"
    code, out, _ = _run(capsys, str(media("leading_silence")), "-o", str(dst), "--format", "json",
                        "--max-seconds", "30", "--max-bytes", "2000000", "--target-seconds", "3",
                        "--fade-seconds", "0.5", "--sample-rate", "16000", "--channels", "2", "--bitrate", "48",
                        "--keep-leading-silence", "--normalize", "--timeout", "5", "--allow-network", "10.0.0.0/8")
    assert code == 0
    document = json.loads(out)
    assert document["limits"]["duration_limit_s"] == 30.0
    assert document["summary"] == {"checked": 1, "passed": 1, "failed": 0}
    result = document["results"][0]
    assert result["target"] == str(dst)
    assert result["media"]["sample_rate"] == 16000
    assert result["media"]["channels"] == 2
    assert result["media"]["bitrate_kbps"] == 48
    assert result["media"]["duration_s"] == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize("name", ["html", "pdf", "empty"])
def test_non_audio_exits_1_with_a_message(name: str, media: Media, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """HTML, PDF and empty inputs exit 1 with one clear line on stderr and no output file."""
    code, out, err = _run(capsys, str(media(name)), "-o", str(tmp_path / "hold.mp3"))
    assert code == 1
    assert out == ""
    assert "is not audio" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_force(media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An existing OUTPUT is a usage error (exit 2) unless --force is given."""
    dst = tmp_path / "hold.mp3"
    dst.write_bytes(b"keep me")
    code, _, err = _run(capsys, str(media("mp3_short")), "-o", str(dst))
    assert code == 2
    assert "--force" in err
    assert dst.read_bytes() == b"keep me"
    code, _, _ = _run(capsys, str(media("mp3_short")), "-o", str(dst), "--force", "--reencode")
    assert code == 0
    assert dst.read_bytes() != b"keep me"


def test_bad_option_values_are_usage_errors(media: Media, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Values argparse or the plan rejects exit 2 without writing anything."""
    src = str(media("mp3_short"))
    for extra in (["--sample-rate", "44000"], ["--channels", "3"], ["--fade-seconds", "-1"],
                  ["--target-seconds", "60"], ["--allow-network", "not-a-network"]):
        code, _, err = _run(capsys, src, "-o", str(tmp_path / "hold.mp3"), *extra)
        assert code == 2, extra
        assert err
    assert list(tmp_path.iterdir()) == []


def test_output_is_required(media: Media, capsys: pytest.CaptureFixture[str]) -> None:
    """Without -o the command is a usage error naming the missing option."""
    code, _, err = _run(capsys, str(media("mp3_short")))
    assert code == 2
    assert "-o/--output" in err


def test_refused_url_input_names_the_option(media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A loopback URL INPUT without --allow-network: one line that says how to allow it, and no request sent."""
    from tests.support.servers import LoopbackServer, Static

    with LoopbackServer({"/song.m4a": Static(media("m4a").read_bytes())}) as server:
        code, out, err = _run(capsys, server.url("/song.m4a"), "-o", str(tmp_path / "hold.mp3"))
        assert server.hits["/song.m4a"] == 0
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.strip().endswith("allow it with `--allow-network 127.0.0.0/8`.")
