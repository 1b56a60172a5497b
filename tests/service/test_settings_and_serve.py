"""Settings come from MEDIACHECK_* variables, and `mediacheck serve` runs the service with real uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx2 as httpx
import pytest
from pydantic import ValidationError

from mediacheck import Limits
from mediacheck.cli import build_parser
from mediacheck.service.settings import DEFAULT_MAX_CONCURRENCY, Settings


class TestSettings:
    """One pydantic-settings class reads every knob from the environment."""

    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With nothing set: open access, no exemptions, 32 slots and the library's default limits."""
        for name in list(os.environ):
            if name.startswith("MEDIACHECK_"):
                monkeypatch.delenv(name)
        settings = Settings()
        assert settings.api_keys == ()
        assert settings.allow_networks == ()
        assert settings.max_concurrency == DEFAULT_MAX_CONCURRENCY
        assert settings.default_limits() == Limits()

    def test_comma_separated_lists_and_limits(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Keys and networks are comma-separated (spaces and empty items ignored); limits become Limits."""
        monkeypatch.setenv("MEDIACHECK_API_KEYS", " key-a, key-b ,,")
        monkeypatch.setenv("MEDIACHECK_ALLOW_NETWORKS", "10.1.0.0/16,fd00::/8")
        monkeypatch.setenv("MEDIACHECK_MAX_CONCURRENCY", "4")
        monkeypatch.setenv("MEDIACHECK_SIZE_LIMIT_BYTES", "10485760")
        monkeypatch.setenv("MEDIACHECK_DURATION_LIMIT_S", "30")
        monkeypatch.setenv("MEDIACHECK_MAX_UPLOAD_BYTES", "2000000")
        settings = Settings()
        assert settings.api_keys == ("key-a", "key-b")
        assert settings.allow_networks == ("10.1.0.0/16", "fd00::/8")
        assert settings.max_concurrency == 4
        assert settings.max_upload_bytes == 2_000_000
        assert settings.default_limits() == Limits(size_limit_bytes=10_485_760, duration_limit_s=30.0)

    @pytest.mark.parametrize(("name", "value"), [
        ("MEDIACHECK_ALLOW_NETWORKS", "10.0.0.0/33"),
        ("MEDIACHECK_ALLOW_NETWORKS", "intranet"),
        ("MEDIACHECK_MAX_CONCURRENCY", "0"),
        ("MEDIACHECK_MAX_UPLOAD_BYTES", "lots"),
        ("MEDIACHECK_DURATION_LIMIT_S", "nan"),
        ("MEDIACHECK_API_KEYS", ","),  # set, yet no key: running open would be the wrong way to fail
        ("MEDIACHECK_API_KEYS", " , "),
    ])
    def test_bad_values_fail_at_start_up(self, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
        """A malformed setting stops the service from starting, naming the field."""
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError) as caught:
            Settings()
        assert name.removeprefix("MEDIACHECK_").lower() in str(caught.value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestServeCommand:
    """`mediacheck serve` is the service's command-line front door."""

    def test_options_and_defaults(self) -> None:
        """--host defaults to loopback, --port to 8000, --workers to 1."""
        args = build_parser().parse_args(["serve"])
        assert (args.host, args.port, args.workers) == ("127.0.0.1", 8000, 1)
        args = build_parser().parse_args(["serve", "--host", "::1", "--port", "9000", "--workers", "3"])
        assert (args.host, args.port, args.workers) == ("::1", 9000, 3)

    def test_zero_workers_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--workers 0 exits 2 with a message, before starting anything."""
        args = build_parser().parse_args(["serve", "--workers", "0"])
        assert args.handler(args) == 2
        assert "--workers" in capsys.readouterr().err

    def test_bad_setting_is_a_message_not_a_traceback(self, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
        """A malformed MEDIACHECK_* value makes serve exit 2 naming the variable, before uvicorn starts."""
        monkeypatch.setenv("MEDIACHECK_ALLOW_NETWORKS", "10.0.0.0/33")
        args = build_parser().parse_args(["serve"])
        assert args.handler(args) == 2
        err = capsys.readouterr().err
        assert "MEDIACHECK_ALLOW_NETWORKS" in err
        assert "Traceback" not in err

    @pytest.mark.parametrize("port", ["70000", "-1", "http"])
    def test_bad_port_is_a_usage_error(self, port: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A port outside 0-65535 (or not a number) is refused by the parser with exit 2."""
        from mediacheck.cli import main

        assert main(["serve", "--port", port]) == 2
        assert "--port" in capsys.readouterr().err

    def test_serves_until_interrupted(self) -> None:
        """The command starts uvicorn on the given port, reads MEDIACHECK_* settings, and stops on SIGINT."""
        port = _free_port()
        env = {**os.environ, "MEDIACHECK_API_KEYS": "serve-key"}
        process = subprocess.Popen([sys.executable, "-m", "mediacheck", "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = httpx.get(f"{base}/healthz", timeout=5)
                    break
                except httpx.ConnectError:
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
                    assert time.monotonic() < deadline, "the service did not start within 30 s"
                    time.sleep(0.1)
            assert health.json() == {"status": "ok"}
            refused = httpx.post(f"{base}/v1/checks", json={"url": "https://example.com/a.mp3"}, timeout=5)
            assert refused.status_code == 401
        finally:
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=30)
        assert process.returncode == 0
        assert b"Uvicorn running on" in err
