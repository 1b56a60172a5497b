"""`mediacheck dialin-config`: exit codes 0/1/2, the text and json formats, stdin, and clean errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mediacheck._dialin_json import MAX_NESTING
from mediacheck.cli import main

PIN_BODY: dict[str, Any] = {"type": "pin_dialin", "phone_number": "+18058700061", "name_prefix": "Customer1",
                            "ivr_greeting": {"message": "Welcome"}}
BAD_BODY: dict[str, Any] = {"type": "pin_dialin", "phone_number": "+1 805 870 0061", "name_prefx": "Customer1"}


def write(tmp_path: Path, body: object, name: str = "config.json") -> str:
    """Write ``body`` as JSON and return the path as a string."""
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


class TestExitCodes:
    def test_passing_body_exits_0(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A body that passes exits 0 and says ok."""
        assert main(["dialin-config", write(tmp_path, PIN_BODY)]) == 0
        assert ": ok (0 errors, 0 warnings)" in capsys.readouterr().out

    def test_failing_body_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A body with an error exits 1 and prints each finding with its field, code and hint."""
        assert main(["dialin-config", write(tmp_path, BAD_BODY)]) == 1
        out = capsys.readouterr().out
        assert "FAILED (1 error, 1 warning)" in out
        assert "error   phone_number: " in out
        assert "[phone_number.spaces]" in out
        assert "hint: Remove the spaces. In E.164: +18058700061." in out
        assert "warning name_prefx: " in out

    def test_warnings_alone_exit_0(self, tmp_path: Path) -> None:
        """Warnings (an unknown field) do not fail the run."""
        assert main(["dialin-config", write(tmp_path, {**PIN_BODY, "extra": 1})]) == 0

    def test_non_object_json_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Valid JSON that is not an object is a failed config (exit 1), reported on the body."""
        assert main(["dialin-config", write(tmp_path, ["pin_dialin"])]) == 1
        assert "error   <body>: The config body must be a JSON object, got an array." in capsys.readouterr().out

    @pytest.mark.parametrize(("content", "expected"), [
        (b"{\"type\": ", "is not valid JSON: Expecting value at line 1, column 10"),
        (b"{\"type\": \"\xff\"}", "is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nests JSON too deeply"),
        (b'{"x":' * 100_000 + b"1" + b"}" * 100_000, "nests JSON too deeply"),
        (b'{"type": "pin_dialin", "x": ' + b"9" * 5_000 + b"}", "holds an integer of more than 4,300 digits"),
    ])
    def test_invalid_json_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                                  expected: str) -> None:
        """A file that is not JSON exits 2 with one clear line on stderr and no traceback."""
        path = tmp_path / "broken.json"
        path.write_bytes(content)
        assert main(["dialin-config", str(path)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("mediacheck dialin-config: error: ")
        assert expected in captured.err
        assert "Traceback" not in captured.err

    def test_missing_file_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that cannot be read exits 2 and names the reason."""
        assert main(["dialin-config", str(tmp_path / "nope.json")]) == 2
        assert "cannot read" in capsys.readouterr().err

    def test_directory_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A directory given as FILE exits 2."""
        assert main(["dialin-config", str(tmp_path)]) == 2
        assert "cannot read" in capsys.readouterr().err

    def test_nesting_past_the_cap_exits_2_and_at_it_is_read(self, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
        """One level past MAX_NESTING is exit 2 with a sentence, as the service refuses it; at the cap the body is
        read (its extra field a warning, exit 0)."""
        def nested(levels: int) -> str:
            path = tmp_path / f"deep-{levels}.json"
            path.write_text('{"type": "pin_dialin", "phone_number": "+18058700061", "x": ' + "[" * (levels - 1) + "1"
                            + "]" * (levels - 1) + "}")
            return str(path)

        assert main(["dialin-config", nested(MAX_NESTING), "--no-hold-music"]) == 0
        capsys.readouterr()
        assert main(["dialin-config", nested(MAX_NESTING + 1), "--no-hold-music"]) == 2
        assert "nests JSON too deeply" in capsys.readouterr().err

    def test_bad_cidr_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An --allow-network that is not a CIDR exits 2 before anything is read."""
        assert main(["dialin-config", write(tmp_path, PIN_BODY), "--allow-network", "intranet"]) == 2
        assert "expected a network such as 10.0.0.0/8" in capsys.readouterr().err

    def test_bad_cidr_in_environment_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
        """A malformed MEDIACHECK_ALLOW_NETWORKS exits 2 and names the variable."""
        monkeypatch.setenv("MEDIACHECK_ALLOW_NETWORKS", "10.0.0.0/8,intranet")
        assert main(["dialin-config", write(tmp_path, PIN_BODY)]) == 2
        assert "MEDIACHECK_ALLOW_NETWORKS" in capsys.readouterr().err

    @pytest.mark.parametrize("option", [["--max-bytes", "0"], ["--max-seconds", "-1"], ["--timeout", "nan"],
                                        ["--format", "xml"]])
    def test_bad_option_values_exit_2(self, tmp_path: Path, option: list[str]) -> None:
        """Limits that are not positive numbers, and unknown formats, are usage errors."""
        assert main(["dialin-config", write(tmp_path, PIN_BODY), *option]) == 2


class TestEncodings:
    """The file's bytes are judged as the API would receive them: odd encodings are findings, not exit 2."""

    def test_byte_order_mark_is_a_warning(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A UTF-8 file with a byte order mark is linted, with a field.bom warning on the body."""
        path = tmp_path / "bom.json"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(PIN_BODY).encode())
        assert main(["dialin-config", str(path), "--format", "json"]) == 0
        findings = json.loads(capsys.readouterr().out)["findings"]
        assert [(f["field"], f["code"], f["severity"]) for f in findings] == [("", "field.bom", "warning")]

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-32-be"])
    def test_utf16_and_utf32_are_an_error(self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          encoding: str) -> None:
        """A UTF-16/32 file (with or without a BOM) is linted, and fails with field.encoding: the API wants UTF-8."""
        path = tmp_path / "wide.json"
        path.write_bytes(json.dumps(BAD_BODY).encode(encoding))
        assert main(["dialin-config", str(path), "--format", "json"]) == 1
        findings = json.loads(capsys.readouterr().out)["findings"]
        assert [f["code"] for f in findings] == ["field.encoding", "phone_number.spaces", "field.unknown"]
        assert findings[0]["message"] == f"The body is {encoding[:6].upper()} text; JSON sent to the API must be UTF-8."

    def test_deeply_nested_extra_field_is_just_unknown(self, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
        """An extra field nested 600 deep holding 1e400 (infinity to Python) is one field.unknown warning."""
        path = tmp_path / "deep.json"
        path.write_text(json.dumps(PIN_BODY)[:-1] + ', "x": ' + '{"a": ' * 600 + "1e400" + "}" * 601)
        assert main(["dialin-config", str(path), "--format", "json"]) == 0
        findings = json.loads(capsys.readouterr().out)["findings"]
        assert [(f["field"], f["code"]) for f in findings] == [("x", "field.unknown")]


class TestFormats:
    def test_json_is_the_dialin_report(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--format json prints exactly the DialinReport document."""
        assert main(["dialin-config", write(tmp_path, BAD_BODY), "--format", "json"]) == 1
        data = json.loads(capsys.readouterr().out)
        assert list(data) == ["ok", "findings", "hold_music"]
        assert data["ok"] is False
        assert [(f["field"], f["code"], f["severity"]) for f in data["findings"]] == [
            ("phone_number", "phone_number.spaces", "error"), ("name_prefx", "field.unknown", "warning")]
        assert data["hold_music"] is None

    def test_duplicate_keys_are_warned_about(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A key given twice (top level or nested) is a warning on its path: JSON keeps only the last value."""
        path = tmp_path / "dup.json"
        path.write_text('{"type": "pin_dialin", "phone_number": "+1 805", "phone_number": "+18058700061", '
                        '"ivr_greeting": {"message": "Hi", "message": "Hello"}, '
                        '"timeout_config": {"message": "x", "message": "y"}, '
                        '"name_prefix": "a", "name_prefix": "b", "name_prefix": "c"}', encoding="utf-8")
        assert main(["dialin-config", str(path), "--format", "json"]) == 0
        findings = json.loads(capsys.readouterr().out)["findings"]
        assert [(f["field"], f["code"], f["severity"]) for f in findings] == [
            ("phone_number", "field.duplicate", "warning"), ("name_prefix", "field.duplicate", "warning"),
            ("ivr_greeting.message", "field.duplicate", "warning"),
            ("timeout_config.message", "field.duplicate", "warning")]

    def test_stdin(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        """FILE `-` reads the body from standard input."""
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(PIN_BODY).encode())))
        assert main(["dialin-config", "-", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["ok"] is True

    def test_no_hold_music_checks_only_the_url_form(self, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
        """--no-hold-music fetches nothing, still rejects a malformed URL, and says the music was not checked."""
        body = {"type": "pinless_dialin", "hold_music_url": "ftp://example.com/ringtone.mp3"}
        assert main(["dialin-config", write(tmp_path, body), "--no-hold-music", "--format", "json"]) == 1
        data = json.loads(capsys.readouterr().out)
        assert [f["code"] for f in data["findings"]] == ["url.scheme", "hold_music.not-checked"]
        assert data["hold_music"] is None

    def test_installed_command_reads_stdin(self) -> None:
        """The installed entry point runs the sub-command end to end (python -m mediacheck, body on stdin)."""
        done = subprocess.run([sys.executable, "-m", "mediacheck", "dialin-config", "-"], input=json.dumps(BAD_BODY),
                              capture_output=True, text=True, check=False)
        assert done.returncode == 1
        assert "[phone_number.spaces]" in done.stdout
        assert done.stderr == ""
