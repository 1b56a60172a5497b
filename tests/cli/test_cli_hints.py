"""On the command line, a fixable failure's hint starts with the `mediacheck fix` command, and a refused private
address's hint names the `--allow-network` option that allows it."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest

from mediacheck import Finding, Limits, Severity
from mediacheck._cli_hints import allow_network_advice, cli_hint
from tests.cli.conftest import RunCli

# Refused by the guard before any connection: nothing is sent (the port is the discard port anyway).
REFUSED_URL = "http://127.0.0.1:9/hold.mp3"


def _hint(out: str, code: str) -> str:
    findings = json.loads(out)["results"][0]["findings"]
    return str(next(f["hint"] for f in findings if f["code"] == code))


class TestAllowNetwork:
    """A refused private address is explained with the option that lets the CLI reach it on purpose."""

    def test_check_hint_names_the_refused_range(self, run_cli: RunCli) -> None:
        """The loopback refusal's hint ends with `--allow-network 127.0.0.0/8`, in text and in JSON."""
        text = run_cli("check", REFUSED_URL)
        assert "allow it with `--allow-network 127.0.0.0/8`." in text.out
        hint = _hint(run_cli("check", "--format", "json", REFUSED_URL).out, "access.blocked-address")
        assert hint.startswith("Host the file where anyone on the internet can fetch it")
        assert hint.endswith("allow it with `--allow-network 127.0.0.0/8`.")

    def test_ipv6_loopback_gets_a_network_too(self, run_cli: RunCli) -> None:
        """::1 is named without a prefix length by the guard; the advice still gives a usable network."""
        hint = _hint(run_cli("check", "--format", "json", "http://[::1]:9/hold.mp3").out, "access.blocked-address")
        assert "`--allow-network ::1/128`" in hint

    def test_dialin_config_hint_names_it(self, run_cli: RunCli, tmp_path: Path) -> None:
        """`dialin-config` gives the hold music's refusal the same advice."""
        body = tmp_path / "body.json"
        body.write_text(json.dumps({"type": "pinless_dialin", "hold_music_url": REFUSED_URL}))
        result = run_cli("dialin-config", "--format", "json", str(body))
        document = json.loads(result.out)
        hints = [f["hint"] for f in document["findings"] if f["code"] == "access.blocked-address"]
        assert hints
        assert all(h.endswith("`--allow-network 127.0.0.0/8`.") for h in hints)

    def test_advice_without_a_named_range(self) -> None:
        """A refusal that names no range still tells the option, with a placeholder."""
        assert allow_network_advice(()).endswith("`--allow-network CIDR`.")

    def test_an_address_carrying_ipv4_gets_both_networks(self, run_cli: RunCli) -> None:
        """The 6to4 address 2002:7f00:1:: carries 127.0.0.1: refused by 6to4 and by loopback, so the advice names
        both (one alone would still be refused), though the message names only the range in brackets."""
        hint = _hint(run_cli("check", "--format", "json", "http://[2002:7f00:1::1]:9/hold.mp3").out,
                     "access.blocked-address")
        assert hint.endswith("allow it with `--allow-network 127.0.0.0/8 --allow-network 2002::/16`.")


class TestFixFirst:
    """Failures that `mediacheck fix` repairs get its command first, spelled out for the target."""

    def test_too_long_file_hint_starts_with_the_fix_command(self, run_cli: RunCli, fixtures_dir: Path) -> None:
        """A 75 s MP3's duration hint starts with the exact fix command, then keeps the by-hand advice."""
        target = str(fixtures_dir / "too-long-75s.mp3")
        hint = _hint(run_cli("check", "--format", "json", target).out, "duration.too-long")
        command = f"mediacheck fix {target} -o {fixtures_dir / 'too-long-75s-fixed.mp3'}"
        assert hint.startswith(f"Run `{command}` to make a copy that passes. By hand: Trim it below 60 s")

    def test_the_command_carries_the_limits_given(self, run_cli: RunCli, fixtures_dir: Path) -> None:
        """Checked under --max-seconds 20 --max-bytes 500000, the suggested fix uses the same limits."""
        target = str(fixtures_dir / "vbr-q4-stereo-20s.mp3")
        result = run_cli("check", "--format", "json", "--max-seconds", "20", "--max-bytes", "500000", target)
        hint = _hint(result.out, "duration.too-long")
        assert "--max-seconds 20 --max-bytes 500000`" in hint

    @pytest.mark.parametrize(("name", "code"), [("not-mp3-pcm.wav", "format.not-mp3"),
                                                ("not-mp3-aac.m4a", "format.not-mp3"),
                                                ("wrong-layer-mp2.mp3", "format.wrong-layer")])
    def test_other_audio_gets_the_fix_command(self, run_cli: RunCli, fixtures_dir: Path, name: str,
                                              code: str) -> None:
        """WAV, M4A and MP2 files fail as not MP3, and the hint starts with `mediacheck fix`."""
        hint = _hint(run_cli("check", "--format", "json", str(fixtures_dir / name)).out, code)
        assert hint.startswith(f"Run `mediacheck fix {fixtures_dir / name} -o ")

    @pytest.mark.parametrize("name", ["share-page.html", "document.pdf", "empty.mp3", "s3-access-denied.xml"])
    def test_non_audio_keeps_its_own_hint(self, run_cli: RunCli, fixtures_dir: Path, name: str) -> None:
        """A web page, a PDF, an empty file or an error document has no audio to fix: no fix command."""
        hint = _hint(run_cli("check", "--format", "json", str(fixtures_dir / name)).out, "format.not-mp3")
        assert "mediacheck fix" not in hint

    @pytest.mark.ffmpeg
    def test_the_suggested_command_works(self, run_cli: RunCli, fixtures_dir: Path, tmp_path: Path) -> None:
        """Running the command the hint gives (on a copy of the 75 s file) writes a file that passes."""
        target = tmp_path / "long.mp3"
        shutil.copyfile(fixtures_dir / "too-long-75s.mp3", target)
        hint = _hint(run_cli("check", "--format", "json", str(target)).out, "duration.too-long")
        command = shlex.split(hint.split("`")[1])
        assert command[:2] == ["mediacheck", "fix"]
        fixed = run_cli(*command[1:])
        assert fixed.code == 0, fixed.err
        again = run_cli("check", "--format", "json", str(tmp_path / "long-fixed.mp3"))
        assert again.code == 0

    def test_a_passing_report_keeps_library_hints(self, run_cli: RunCli, fixtures_dir: Path) -> None:
        """Info findings (played twice) are not fix suggestions."""
        result = run_cli("check", "--format", "json", str(fixtures_dir / "example-hold-music.mp3"))
        findings = json.loads(result.out)["results"][0]["findings"]
        assert [f["code"] for f in findings] == ["duration.played-twice"]
        assert "mediacheck fix" not in findings[0]["hint"]


def test_a_url_target_gets_a_local_output_and_its_networks() -> None:
    """For a URL, the command writes <name>-fixed.mp3 here and carries the --allow-network the check used."""
    finding = Finding("duration.too-long", Severity.ERROR, "It plays for 75 s.", "Trim it.")
    hint = cli_hint(finding, target="http://10.1.2.3/music/song.wav", media=None, limits=Limits(),
                    allow_networks=("10.0.0.0/8",))
    assert hint == ("Run `mediacheck fix http://10.1.2.3/music/song.wav -o song-fixed.mp3 --allow-network 10.0.0.0/8` "
                    "to make a copy that passes. By hand: Trim it.")
