"""Settings come from MEDIACHECK_* variables, and `mediacheck serve` runs the service with real uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from pydantic import AliasChoices, ValidationError

from mediacheck import Limits
from mediacheck.cli import build_parser
from mediacheck.service.settings import DEFAULT_MAX_CONCURRENCY, Settings
from tests.support.docs import read_doc


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
        monkeypatch.setenv("MEDIACHECK_MAX_BYTES", "10485760")
        monkeypatch.setenv("MEDIACHECK_MAX_SECONDS", "30")
        monkeypatch.setenv("MEDIACHECK_MAX_UPLOAD_BYTES", "2000000")
        monkeypatch.setenv("MEDIACHECK_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32")
        monkeypatch.setenv("MEDIACHECK_ALLOWED_HOSTS", "api.example.com, *.example.net")
        monkeypatch.setenv("MEDIACHECK_REDIS_URL", "redis://redis.internal:6379/2")
        monkeypatch.setenv("MEDIACHECK_MAX_CHECKS_PER_CLIENT", "3")
        settings = Settings()
        assert settings.api_keys == ("key-a", "key-b")
        assert settings.allow_networks == ("10.1.0.0/16", "fd00::/8")
        assert settings.max_concurrency == 4
        assert settings.max_upload_bytes == 2_000_000
        assert settings.default_limits() == Limits(size_limit_bytes=10_485_760, duration_limit_s=30.0)
        assert settings.trusted_proxies == ("10.0.0.0/8", "2001:db8::/32")
        assert settings.allowed_hosts == ("api.example.com", "*.example.net")
        assert settings.redis_url == "redis://redis.internal:6379/2"
        assert settings.max_checks_per_client == 3

    def test_defaults_of_the_guards(self) -> None:
        """By default: any Host, no trusted proxy, no Redis, 8 checks and 4 uploads per client, 64 uploads at once."""
        settings = Settings()
        assert settings.allowed_hosts == ("*",)
        assert settings.trusted_proxies == ()
        assert settings.redis_url is None
        assert (settings.max_checks_per_client, settings.max_uploads_per_client, settings.max_uploads) == (8, 4, 64)

    def test_old_limit_names_still_work_and_new_ones_win(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The old MEDIACHECK_SIZE_LIMIT_BYTES/_DURATION_LIMIT_S are still read; the MAX_ names win over them."""
        monkeypatch.setenv("MEDIACHECK_SIZE_LIMIT_BYTES", "5000000")
        monkeypatch.setenv("MEDIACHECK_DURATION_LIMIT_S", "45")
        assert Settings().default_limits() == Limits(size_limit_bytes=5_000_000, duration_limit_s=45.0)
        monkeypatch.setenv("MEDIACHECK_MAX_BYTES", "4000000")
        monkeypatch.setenv("MEDIACHECK_MAX_SECONDS", "30")
        assert Settings().default_limits() == Limits(size_limit_bytes=4_000_000, duration_limit_s=30.0)

    def test_empty_redis_url_means_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`MEDIACHECK_REDIS_URL=` (a template's empty value) runs with in-process limits, as unset does."""
        monkeypatch.setenv("MEDIACHECK_REDIS_URL", "")
        assert Settings().redis_url is None

    @pytest.mark.parametrize(("name", "value"), [
        ("MEDIACHECK_ALLOW_NETWORKS", "10.0.0.0/33"),
        ("MEDIACHECK_ALLOW_NETWORKS", "intranet"),
        ("MEDIACHECK_MAX_CONCURRENCY", "0"),
        ("MEDIACHECK_MAX_UPLOAD_BYTES", "lots"),
        ("MEDIACHECK_MAX_SECONDS", "nan"),
        ("MEDIACHECK_MAX_BYTES", "0"),
        ("MEDIACHECK_API_KEYS", ","),  # set, yet no key: running open would be the wrong way to fail
        ("MEDIACHECK_API_KEYS", " , "),
        ("MEDIACHECK_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("MEDIACHECK_ALLOWED_HOSTS", ","),  # refusing every Host is never what was meant
        ("MEDIACHECK_REDIS_URL", "http://redis:6379"),
        ("MEDIACHECK_MAX_CHECKS_PER_CLIENT", "-1"),
        ("MEDIACHECK_MAX_UPLOADS", "0"),
    ])
    def test_bad_values_fail_at_start_up(self, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
        """A malformed setting stops the service from starting, naming the field."""
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError) as caught:
            Settings()
        assert name.removeprefix("MEDIACHECK_").lower() in str(caught.value).lower()


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

    @pytest.mark.parametrize("name", ["MEDIACHECK_ALLOW_NETWORKS", "MEDIACHECK_MAX_BYTES"])
    def test_bad_setting_is_a_message_not_a_traceback(self, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], name: str) -> None:
        """A malformed MEDIACHECK_* value makes serve exit 2 naming the variable, before uvicorn starts."""
        monkeypatch.setenv(name, "10.0.0.0/33")
        args = build_parser().parse_args(["serve"])
        assert args.handler(args) == 2
        err = capsys.readouterr().err
        assert f"error: bad service setting: {name}:" in err
        assert "Traceback" not in err
        assert "MEDIACHECK_ALLOWED_HOSTS" not in os.environ  # nothing leaks into the environment of this process

    @pytest.mark.parametrize("port", ["70000", "-1", "http"])
    def test_bad_port_is_a_usage_error(self, port: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A port outside 0-65535 (or not a number) is refused by the parser with exit 2."""
        from mediacheck.cli import main

        assert main(["serve", "--port", port]) == 2
        assert "--port" in capsys.readouterr().err

    def test_serves_until_interrupted(self) -> None:
        """The command starts uvicorn on the given port, reads MEDIACHECK_* settings, and stops on SIGINT."""
        with _serving({"MEDIACHECK_API_KEYS": "serve-key"}) as served:
            assert httpx.get(f"{served.base}/healthz", timeout=5).json() == {"status": "ok"}
            # ftp://x needs no DNS even if the key check failed: this process is outside the suite's fence.
            refused = httpx.post(f"{served.base}/v1/checks", json={"url": "ftp://x"}, timeout=5)
            assert refused.status_code == 401
        assert served.returncode == 0
        assert b"Uvicorn running on" in served.stderr

    def test_on_loopback_it_answers_only_to_loopback_names(self) -> None:
        """Served on 127.0.0.1, a request naming another host (DNS rebinding from a browser) gets a JSON 400;
        loopback names pass, and /healthz answers any Host."""
        with _serving({}) as served:
            base = served.base
            port = base.rsplit(":", 1)[1]
            rebound = httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=5,
                                 headers={"Host": f"rebind.attacker.example:{port}"})
            assert rebound.status_code == 400
            assert "rebind.attacker.example" in rebound.json()["detail"]
            for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
                answer = httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=5, headers={"Host": host})
                assert answer.status_code == 200, host
            probe = httpx.get(f"{base}/healthz", timeout=5, headers={"Host": "10.1.2.3:8000"})
            assert probe.json() == {"status": "ok"}

    def test_allowed_hosts_set_by_the_operator_wins(self) -> None:
        """MEDIACHECK_ALLOWED_HOSTS=* serves any Host even on loopback (a local reverse proxy renaming hosts, say)."""
        with _serving({"MEDIACHECK_ALLOWED_HOSTS": "*"}) as served:
            answer = httpx.post(f"{served.base}/v1/checks", json={"url": "ftp://x"}, timeout=5,
                                headers={"Host": "hold-music.example.com"})
            assert answer.status_code == 200


@dataclass
class _Served:
    base: str
    returncode: int | None = None
    stderr: bytes = b""


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[_Served]:
    """`mediacheck serve` on a free loopback port with ``env`` added; stopped with SIGINT on exit."""
    port = _free_port()
    served = _Served(f"http://127.0.0.1:{port}")
    process = subprocess.Popen([sys.executable, "-m", "mediacheck", "serve", "--port", str(port)],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{served.base}/healthz", timeout=5)
                break
            except httpx.ConnectError:
                assert process.poll() is None, "the service exited at start-up"
                assert time.monotonic() < deadline, "the service did not start within 30 s"
                time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        _, served.stderr = process.communicate(timeout=30)
        served.returncode = process.returncode


def test_every_setting_is_documented() -> None:
    """Each MEDIACHECK_* variable the service reads has a row in the settings table of docs/service.md."""
    page = read_doc("service")
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        variable = alias.choices[0] if isinstance(alias, AliasChoices) else f"MEDIACHECK_{name.upper()}"
        assert f"| `{variable}` |" in page, f"{variable} is not documented in docs/service.md"
