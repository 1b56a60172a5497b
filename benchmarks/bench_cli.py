"""Benchmark the `mediacheck` command line as users run it: start-up, 200 local files, 100 URLs at two concurrencies.

Every number comes from timing a real `mediacheck` process (the installed console script) on this machine:

- start-up: `mediacheck --version`, median of many runs, next to `python -c pass` (the interpreter's own floor);
- files: one `mediacheck check` of 200 distinct copies of the committed fixture MP3s (target: under 3 s);
- URLs: 100 URLs served by a loopback server that waits a fixed latency before answering each request, once
  with `--concurrency 1` and once with `--concurrency 16` (target: at least 4x faster). The latency stands in
  for the network: a real HTTPS fetch costs a DNS lookup, the TCP and TLS handshakes and the request, three
  to four round trips, so 100 ms is a modest figure for one fetch; 50 ms is measured too. Without latency
  there is nothing to overlap: a loopback fetch is CPU-bound, and one process's CPU is what it is.

Each figure is the median of several runs (the machine is shared).

Run: `python benchmarks/bench_cli.py` (about a minute). Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEDIACHECK = str(Path(sys.executable).with_name("mediacheck"))


def _wall(cmd: list[str], *, stdin: bytes | None = None) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, check=False, cwd=ROOT)
    return time.perf_counter() - started, done


def bench_startup(runs: int) -> dict[str, float]:
    """Median wall time of `mediacheck --version` and of a bare interpreter, and the import cost behind it."""
    version = [_wall([MEDIACHECK, "--version"])[0] for _ in range(runs)]
    bare = [_wall([sys.executable, "-c", "pass"])[0] for _ in range(runs)]
    best = min(version)
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c", "import mediacheck.cli"], capture_output=True,
                             text=True, check=True).stderr.splitlines()
    cumulative_us = max(int(line.split("|")[1]) for line in imports if line.endswith("| mediacheck.cli"))
    return {"version_s": statistics.median(version), "version_best_s": best,
            "python_bare_s": statistics.median(bare), "import_cli_s": cumulative_us / 1e6}


def bench_files(count: int, runs: int) -> dict[str, float]:
    """Wall time of one `mediacheck check` over ``count`` distinct local copies of the fixture MP3s."""
    sources = sorted((ROOT / "fixtures").glob("*.mp3"))
    with tempfile.TemporaryDirectory() as tmp:
        targets = []
        for i in range(count):
            copy = Path(tmp) / f"{i:03d}-{sources[i % len(sources)].name}"
            shutil.copyfile(sources[i % len(sources)], copy)
            targets.append(str(copy))
        times = []
        for _ in range(runs):
            elapsed, done = _wall([MEDIACHECK, "check", "--format", "json", *targets])
            summary = json.loads(done.stdout)["summary"]
            assert summary["checked"] == count, summary
            times.append(elapsed)
        total_bytes = sum(Path(t).stat().st_size for t in targets)
    return {"files": count, "files_mb": total_bytes / 1e6, "files_s": statistics.median(times),
            "files_best_s": min(times)}


class _LatencyServer(ThreadingHTTPServer):
    """A threaded loopback server with a listen backlog real servers have.

    socketserver's default backlog of 5 drops connection attempts when 16 arrive at once, and each dropped
    SYN costs the client a 1 s retransmission: that measures the test server, not the CLI.
    """

    daemon_threads = True
    request_queue_size = 128

    def server_bind(self) -> None:
        """Bind without HTTPServer's ``socket.getfqdn``: a reverse lookup of the address would ask DNS."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


def bench_urls(count: int, latency_s: float, high: int, runs: int) -> dict[str, float]:
    """Wall time of `mediacheck check` over ``count`` loopback URLs at concurrency 1 and ``high``."""
    body = (ROOT / "fixtures" / "cbr-128k-stereo-10s.mp3").read_bytes()

    class Slow(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            time.sleep(latency_s)
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    result: dict[str, float] = {"urls": count, "latency_s": latency_s, "url_bytes": len(body)}
    server = _LatencyServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        stdin = "\n".join(f"{origin}/hold.mp3?n={i}" for i in range(count)).encode()
        for concurrency in (1, high):
            times = []
            for _ in range(runs):
                elapsed, done = _wall([MEDIACHECK, "check", "--format", "json", "--allow-network", "127.0.0.0/8",
                                       "--concurrency", str(concurrency), "-"], stdin=stdin)
                summary = json.loads(done.stdout)["summary"]
                assert summary == {"checked": count, "passed": count, "failed": 0}, summary
                times.append(elapsed)
            result[f"concurrency_{concurrency}_s"] = statistics.median(times)
    finally:
        server.shutdown()
        server.server_close()
    result["speedup"] = result["concurrency_1_s"] / result[f"concurrency_{high}_s"]
    return result


def main() -> None:
    """Run every benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--file-runs", type=int, default=3)
    parser.add_argument("--url-runs", type=int, default=3)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.1],
                        help="seconds the server waits per request (one URL benchmark per value)")
    args = parser.parse_args()

    startup = bench_startup(args.startup_runs)
    files = bench_files(200, args.file_runs)
    urls = [bench_urls(100, latency, 16, args.url_runs) for latency in args.latency]
    print(f"start-up  mediacheck --version           {startup['version_s'] * 1000:7.0f} ms  (target < 300 ms; "
          f"best {startup['version_best_s'] * 1000:.0f} ms, bare python {startup['python_bare_s'] * 1000:.0f} ms, "
          f"import mediacheck.cli "
          f"{startup['import_cli_s'] * 1000:.0f} ms)")
    print(f"files     200 files, {files['files_mb']:.1f} MB, one invocation {files['files_s']:7.2f} s   "
          f"(target < 3 s; best {files['files_best_s']:.2f} s)")
    for bench in urls:
        lag = f"{bench['latency_s'] * 1000:3.0f} ms latency"
        print(f"urls      100 URLs, {lag}, --concurrency 1  {bench['concurrency_1_s']:7.2f} s")
        print(f"urls      100 URLs, {lag}, --concurrency 16 {bench['concurrency_16_s']:7.2f} s"
              f"   speed-up {bench['speedup']:.1f}x (target >= 4x)")
    print(json.dumps({"startup": startup, "files": files, "urls": urls}))


if __name__ == "__main__":
    main()
