"""URL targets are fetched through the guard from real loopback servers, concurrently, and keep their order."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import ROOT, RunCli
from tests.support.servers import LoopbackServer, Redirect, Route, Static, Stream

LOOPBACK = "127.0.0.0/8"


@pytest.fixture(scope="module")
def server(media_dir: Path) -> Iterator[LoopbackServer]:
    """A loopback server with a good MP3, an HTML page, a redirect to the MP3, and a trickling endless body."""
    short_mp3 = media_dir / "short.mp3"

    def trickle() -> Iterator[bytes]:
        yield short_mp3.read_bytes()[:1000]
        while True:
            time.sleep(0.05)
            yield b"\x00"

    routes: dict[str, Route] = {
        "/hold.mp3": Static(short_mp3.read_bytes()),
        "/batch.mp3": Static(short_mp3.read_bytes()),
        "/unvisited.mp3": Static(short_mp3.read_bytes()),
        "/share": Static(b"<!doctype html><html><body>Download</body></html>", content_type="text/html"),
        "/moved.mp3": Redirect("/hold.mp3"),
        "/slow.mp3": Stream(trickle),
    }
    with LoopbackServer(routes) as running:
        yield running


def _results(out: str) -> list[dict[str, Any]]:
    return list(json.loads(out)["results"])


class TestFetching:
    """URLs go through the network guard, which loopback passes only when allowed."""

    def test_loopback_refused_without_allow_network(self, run_cli: RunCli, server: LoopbackServer) -> None:
        """Without --allow-network a loopback URL fails with access.blocked-address and no request is sent."""
        result = run_cli("check", "--format", "json", server.url("/unvisited.mp3"))
        assert result.code == 1
        assert "access.blocked-address" in [f["code"] for f in _results(result.out)[0]["findings"]]
        assert server.hits["/unvisited.mp3"] == 0

    @pytest.mark.parametrize("source", ["option", "environment"])
    def test_allowed_loopback_is_checked(self, run_cli: RunCli, server: LoopbackServer, source: str) -> None:
        """--allow-network (or MEDIACHECK_ALLOW_NETWORKS) lets the URL through; the MP3 passes, the page fails."""
        urls = [server.url("/hold.mp3"), server.url("/share"), server.url("/moved.mp3")]
        if source == "option":
            result = run_cli("check", "--format", "json", "--allow-network", LOOPBACK, *urls)
        else:
            env = {"MEDIACHECK_ALLOW_NETWORKS": f"10.0.0.0/8,{LOOPBACK}"}
            result = run_cli("check", "--format", "json", *urls, env=env)
        results = _results(result.out)
        assert [r["ok"] for r in results] == [True, False, True]
        assert [r["target"] for r in results] == urls
        assert results[0]["fetch"]["status"] == 200
        assert "format.not-mp3" in [f["code"] for f in results[1]["findings"]]
        assert result.code == 1

    def test_text_shows_status_and_redirects(self, run_cli: RunCli, server: LoopbackServer) -> None:
        """A fetched target's text line starts its facts with the HTTP status and how many redirects led there."""
        result = run_cli("check", "--allow-network", LOOPBACK, server.url("/moved.mp3"), server.url("/hold.mp3"))
        lines = [line for line in result.out.splitlines() if line.startswith(("PASS", "FAIL"))]
        assert lines[0].startswith(f"PASS {server.url('/moved.mp3')}  HTTP 200 after 1 redirect · mp3 · 2.000 s")
        assert lines[1].startswith(f"PASS {server.url('/hold.mp3')}  HTTP 200 · mp3 · 2.000 s")

    def test_timeout_option_bounds_each_fetch(self, run_cli: RunCli, server: LoopbackServer) -> None:
        """--timeout is the total time one fetch may take: a trickling body fails with access.timeout."""
        result = run_cli("check", "--format", "json", "--allow-network", LOOPBACK, "--timeout", "0.5",
                         server.url("/slow.mp3"))
        assert result.code == 1
        findings = _results(result.out)[0]["findings"]
        assert [f["code"] for f in findings if f["severity"] == "error"] == ["access.timeout"]

    @pytest.mark.parametrize("url", ["http://", "https://exa mple.com/a.mp3", "ftp://example.com/a.mp3",
                                     "https://user:secret@example.com/a.mp3"])
    def test_bad_url_fails_alone(self, run_cli: RunCli, server: LoopbackServer, url: str) -> None:
        """A malformed or unfetchable URL is a failing url. result; the good URL after it still passes."""
        result = run_cli("check", "--format", "json", "--allow-network", LOOPBACK, url, server.url("/hold.mp3"))
        assert result.code == 1
        bad, good = _results(result.out)
        assert bad["target"] == url
        assert bad["findings"][0]["code"].startswith("url.")
        assert good["ok"] is True
        assert "Traceback" not in result.err

    @pytest.mark.ffmpeg
    def test_deep_decodes_fetched_audio(self, run_cli: RunCli, server: LoopbackServer) -> None:
        """--deep on a URL decodes what was fetched: the report carries the decode measurements."""
        result = run_cli("check", "--format", "json", "--deep", "--allow-network", LOOPBACK, server.url("/hold.mp3"))
        assert result.code == 0, result.err
        audio = _results(result.out)[0]["media"]["audio"]
        assert audio["decoded"] is True
        assert audio["decoded_duration_s"] == pytest.approx(2.0, abs=0.002)

    def test_github_annotations_are_titled_by_url(self, run_cli: RunCli, server: LoopbackServer) -> None:
        """For a URL, GitHub annotations carry the URL (escaped) as the title, not a file."""
        result = run_cli("check", "--format", "github", "--allow-network", LOOPBACK, server.url("/share"))
        escaped = server.url("/share").replace(":", "%3A")
        assert re.search(rf"^::error title={re.escape(escaped)}::format\.not-mp3: ", result.out, re.MULTILINE)
        assert re.search(rf"^::warning title={re.escape(escaped)}::url\.plain-http: ", result.out, re.MULTILINE)


class TestBatch:
    """Many targets, files and URLs mixed, come back complete and in the order given."""

    def test_200_mixed_targets_in_order(self, run_cli: RunCli, server: LoopbackServer, short_mp3: Path,
                                        not_mp3: Path) -> None:
        """200 targets (files, URLs, failing ones among them) give 200 results in the given order."""
        pool = [str(short_mp3), server.url("/batch.mp3"), str(not_mp3), server.url("/share"), server.url("/moved.mp3")]
        targets = [f"{pool[i % len(pool)]}" + (f"?n={i}" if "://" in pool[i % len(pool)] else "") for i in range(200)]
        result = run_cli("check", "--format", "json", "--allow-network", LOOPBACK, "--concurrency", "16",
                         "-", stdin="\n".join(targets).encode())
        document = json.loads(result.out)
        assert [r["target"] for r in document["results"]] == targets
        assert [r["ok"] for r in document["results"]] == [i % 5 in (0, 1, 4) for i in range(200)]
        assert document["summary"] == {"checked": 200, "passed": 120, "failed": 80}
        assert server.hits["/batch.mp3"] == 40

    def test_concurrency_is_honoured(self, run_cli: RunCli) -> None:
        """--concurrency 3 never has more than three requests in flight, and does use more than one."""
        lock = threading.Lock()
        in_flight = [0, 0]  # now, most seen

        def slow(handler: BaseHTTPRequestHandler) -> None:
            with lock:
                in_flight[0] += 1
                in_flight[1] = max(in_flight)
            time.sleep(0.05)
            with lock:
                in_flight[0] -= 1
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with LoopbackServer({"/x.mp3": slow}) as slow_server:
            urls = [slow_server.url(f"/x.mp3?{i}") for i in range(12)]
            result = run_cli("check", "--quiet", "--allow-network", LOOPBACK, "--concurrency", "3", *urls)
        assert result.code == 1
        assert 2 <= in_flight[1] <= 3


def test_sigint_during_fetches_exits_130() -> None:
    """Ctrl-C while fetches hang on a server that never answers: exit 130, no traceback, promptly."""
    started = threading.Event()
    release = threading.Event()

    def hang(handler: BaseHTTPRequestHandler) -> None:
        started.set()
        release.wait(30)

    with LoopbackServer({"/hang.mp3": hang}) as hanging:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "MEDIACHECK_ALLOW_NETWORKS")}
        process = subprocess.Popen(
            [sys.executable, "-m", "mediacheck", "check", "--allow-network", LOOPBACK,
             *[hanging.url(f"/hang.mp3?{i}") for i in range(4)]],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert started.wait(60), "the CLI never reached the server"
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=20)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130, err
    assert b"Traceback" not in err
    assert err.strip().endswith(b"mediacheck: interrupted")
