"""Benchmark the pre-flight service under load against the library alone, on the same URLs in the same run.

- media: a ~1 MB, 50-second 160 kbps MP3 (made with ffmpeg) served by the stdlib's threading HTTP server in
  its own process on loopback (with a listen backlog of 256: the default 5 makes 32 simultaneous connects
  wait out 1-second SYN retries, a tail that belongs to the test server, not to what is measured);
- library alone: ``--checks`` checks of that URL through one shared SafeFetcher, ``--concurrency`` in flight,
  in this process, on the event loop the service runs on (asyncio's own);
- service: a real `uvicorn mediacheck.service.app:app` process (1 worker, the guarded protocol of
  service/server.py), the same number of `POST /v1/checks` sent from this process over ``--concurrency``
  keep-alive connections by a minimal HTTP/1.1 client (a load generator like wrk: httpx would spend ~2 ms CPU
  per request on the two cores the service is measured on);
  per-request latency (p50/p99), status codes, and the service's peak RSS (VmHWM from /proc).

The two alternate for ``--rounds`` rounds (the machine is shared and noisy) and the medians are compared.
Targets: zero 5xx, peak RSS <= 300 MB, service rate >= 50 % of the library's.
Run: `python benchmarks/bench_service.py` (under a minute). Prints a table and a JSON line; exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mediacheck._fetch import SafeFetcher  # noqa: E402 -- needs the repository root on sys.path

LOOPBACK = "127.0.0.0/8"


def make_mp3(folder: Path) -> Path:
    """A ~1 MB MP3 that passes every rule (50 s at 160 kbps), so every check reads the whole file."""
    import imageio_ffmpeg

    out = folder / "hold-1mb.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=50", "-ac", "2", "-codec:a", "libmp3lame", "-b:a", "160k",
                    str(out)], check=True)
    return out


MEDIA_SERVER = """
import functools, http.server, socketserver, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True
    def server_bind(self):  # no socket.getfqdn: a reverse lookup of the address would ask DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
with Server(("127.0.0.1", 0), handler) as server:
    print(server.server_address[1], flush=True)
    server.serve_forever()
"""


def start_media_server(folder: Path) -> tuple[subprocess.Popen[str], int]:
    """A static file server on an ephemeral loopback port, in its own process; returns it and its port."""
    process = subprocess.Popen([sys.executable, "-c", MEDIA_SERVER, str(folder)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def start_service(port: int, concurrency: int, env: dict[str, str] | None = None,
                  fd_limits: tuple[int, int | None] | None = None, log: Any = None,
                  access_log: Any = None) -> subprocess.Popen[bytes]:
    """The service as docs/service.md runs it under uvicorn (the guarded protocol of service/server.py), exempting
    loopback so it may fetch the local media; ``env`` adds settings, ``fd_limits`` sets its descriptor limits
    (soft, hard; None keeps the hard one), ``log`` takes its stderr and ``access_log`` its stdout, where the JSON
    access log goes: give it a file, as a production log would be (left to a terminal or to this script's own
    output, a line per request costs more than it does in production and buries the results)."""
    # Every honest request comes from this one process (one client): its per-client limit must allow the whole load.
    env = {"MEDIACHECK_ALLOW_NETWORKS": LOOPBACK, "MEDIACHECK_MAX_CONCURRENCY": str(concurrency),
           "MEDIACHECK_MAX_CHECKS_PER_CLIENT": str(concurrency), **(env or {})}

    def limit_descriptors() -> None:
        if fd_limits is not None:
            import resource

            soft, hard = fd_limits
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (soft, hard if hard is not None else resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "mediacheck.service.app:app", "--host", "127.0.0.1",
                                "--port", str(port), "--http", "mediacheck.service.server:GuardedHttpProtocol",
                                "--loop", "asyncio", "--ws", "none", "--backlog", "256",
                                "--log-level", "warning", "--no-access-log"],
                               env={**os.environ, **env}, cwd=ROOT, preexec_fn=limit_descriptors, stderr=log,
                               stdout=access_log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_loop(coroutine: Any) -> Any:
    """Run on asyncio's own loop, the one the service runs on (service/server.py says why not uvloop)."""
    return asyncio.run(coroutine)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


async def run_library(url: str, checks: int, concurrency: int) -> dict[str, float]:
    """``checks`` library checks of ``url`` through one SafeFetcher, ``concurrency`` in flight."""
    gate = asyncio.Semaphore(concurrency)
    failures = 0
    async with SafeFetcher(allow_networks=[LOOPBACK]) as fetcher:

        async def one() -> None:
            nonlocal failures
            async with gate:
                report = await fetcher.acheck(url)
            failures += not report.ok

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(checks)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"elapsed_s": elapsed, "checks_per_s": checks / elapsed, "not_ok": failures,
            "cpu_ms_per_check": cpu / checks * 1000}


class KeepAliveClient:
    """A minimal HTTP/1.1 client on one keep-alive connection: a load generator that stays out of the way.

    httpx costs about 2 ms of CPU per request here, on the same two cores the service is measured on; this
    sends a pre-built request and reads a Content-Length answer, like wrk or hey would.
    """

    def __init__(self, port: int, source: str | None = None) -> None:
        self.port = port
        self.source = source  # the local address to connect from (a client of its own to per-client limits)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            local = (self.source, 0) if self.source else None
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, local_addr=local)
        assert self.reader is not None
        self.writer.write(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        payload = await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
            self.writer = None


async def run_service(port: int, url: str, checks: int, concurrency: int, pid: int) -> dict[str, Any]:
    """``checks`` `POST /v1/checks` of ``url`` over ``concurrency`` keep-alive connections; latencies, statuses."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    not_ok = 0
    body = json.dumps({"url": url}).encode()
    todo = iter(range(checks))

    async def connection() -> None:
        nonlocal not_ok
        client = KeepAliveClient(port)
        try:
            for _ in todo:
                sent = time.perf_counter()
                status, payload = await client.post_json("/v1/checks", body)
                latencies.append(time.perf_counter() - sent)
                statuses[status] += 1
                not_ok += status != 200 or not json.loads(payload)["ok"]
        finally:
            await client.close()

    started, cpu_started, client_started = time.perf_counter(), cpu_seconds(pid), time.process_time()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_started
    client_cpu = time.process_time() - client_started
    latencies.sort()
    return {
        "elapsed_s": elapsed, "checks_per_s": checks / elapsed, "not_ok": not_ok,
        "cpu_ms_per_check": cpu / checks * 1000, "client_cpu_ms_per_check": client_cpu / checks * 1000,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--service-port", type=int, default=0, help="default: an ephemeral port")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        mp3 = make_mp3(Path(tmp))
        mp3_bytes = mp3.stat().st_size
        media, media_port = start_media_server(Path(tmp))
        url = f"http://127.0.0.1:{media_port}/{mp3.name}"
        port = args.service_port
        if not port:
            import socket

            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        access_log = (Path(tmp) / "access.log").open("w")
        # The load stands for many clients but comes from one address: its pace must not cap the rate measured.
        service = start_service(port, args.concurrency, env={"MEDIACHECK_CHECK_RATE_PER_CLIENT": "0"},
                                access_log=access_log)
        try:
            run_loop(run_library(url, 20, args.concurrency))  # warm-up: page cache, imports, first connections
            run_loop(run_service(port, url, 20, args.concurrency, service.pid))
            libraries, services = [], []
            for _ in range(args.rounds):
                libraries.append(run_loop(run_library(url, args.checks, args.concurrency)))
                services.append(run_loop(run_service(port, url, args.checks, args.concurrency, service.pid)))
            rss_mb = peak_rss_mb(service.pid)
        finally:
            service.terminate()
            service.wait(timeout=30)
            media.terminate()
            media.wait(timeout=30)
            access_log.close()

    def median(runs: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(run[key] for run in runs))

    library_rate, service_rate = median(libraries, "checks_per_s"), median(services, "checks_per_s")
    latencies = sorted(services, key=lambda run: run["checks_per_s"])[len(services) // 2]  # the median round
    statuses: Counter[str] = Counter()
    for run in services:
        statuses.update(run["statuses"])
    five_xx = sum(count for code, count in statuses.items() if code.startswith("5"))
    not_ok = sum(run["not_ok"] for run in libraries + services)
    result = {
        "mp3_bytes": mp3_bytes, "checks": args.checks, "concurrency": args.concurrency, "rounds": args.rounds,
        "library_checks_per_s": [round(run["checks_per_s"], 1) for run in libraries],
        "service_checks_per_s": [round(run["checks_per_s"], 1) for run in services],
        "service_vs_library": round(service_rate / library_rate, 3),
        "p50_ms": round(latencies["p50_ms"]), "p99_ms": round(latencies["p99_ms"]),
        "max_ms": round(latencies["max_ms"]),
        "statuses": dict(statuses), "service_peak_rss_mb": round(rss_mb, 1),
        "cpu_ms_per_check": {"library": round(median(libraries, "cpu_ms_per_check"), 2),
                             "service": round(median(services, "cpu_ms_per_check"), 2),
                             "client": round(median(services, "client_cpu_ms_per_check"), 2)},
    }
    cpu = result["cpu_ms_per_check"]
    print(f"{args.checks} checks of a {mp3_bytes:,}-byte MP3 URL, {args.concurrency} in flight, {args.rounds} rounds")
    print(f"  library alone : {library_rate:7.1f} checks/s  (rounds: {result['library_checks_per_s']})")
    print(f"  via service   : {service_rate:7.1f} checks/s  (rounds: {result['service_checks_per_s']})"
          f" = {result['service_vs_library']:.0%} of the library")
    print(f"  CPU per check : library {cpu['library']:.1f} ms; service process {cpu['service']:.1f} ms"
          f" + its HTTP client {cpu['client']:.1f} ms")
    print(f"  latency       : p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms"
          " (median round)")
    print(f"  statuses      : {dict(statuses)}  (5xx: {five_xx}; reports not ok: {not_ok})")
    print(f"  service RSS   : {rss_mb:.1f} MB peak")
    print(json.dumps(result))
    misses = []
    if five_xx:
        misses.append(f"{five_xx} responses were 5xx")
    if not_ok:
        misses.append("some checks of the good MP3 did not pass")
    if rss_mb > 300:
        misses.append(f"peak RSS {rss_mb:.0f} MB > 300 MB")
    if service_rate < 0.5 * library_rate:
        misses.append(f"service rate {service_rate:.1f}/s < 50% of the library's {library_rate:.1f}/s")
    for miss in misses:
        print(f"MISS: {miss}", file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
