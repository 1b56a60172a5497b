"""Benchmark the service under each denial-of-service attack, run alongside 32 honest checks.

- service: a real uvicorn process with the guarded protocol (service/server.py), as `bench_service.py` starts it,
  with a soft limit of 1,024 descriptors (systemd's default, where 1,100 half-open requests used to lock everyone
  out; the server raises it towards its hard limit); ``--fd-hard-limit 1024`` pins the hard limit too (the cap then
  shrinks to 512 connections); it checks URLs of a ~1 MB MP3 served by a loopback media server;
- honest load: 32 clients (127.0.0.1 and 127.0.0.4 to .34), each a keep-alive connection sending `POST /v1/checks`
  back to back (bench_service's load generator), about 9 checks a second each: under the default pace of 20 a
  second per client (``MEDIACHECK_CHECK_RATE_PER_CLIENT``), as many users are; and a load balancer's probe: a new
  connection with `GET /healthz` every 50 ms;
- the service keeps its default per-client limits and has 40 check slots: the honest clients' 32 and one more
  client's share. With one honest client allowed all 32 slots, any slot the attacker held turned an honest check
  into a 503, which measured the slot count, not the attack;
- each attack runs in its own process (this script with ``--attacker NAME``) from 127.0.0.2, so per-client
  limits tell it from the honest clients; its hostile upstreams listen on 127.0.0.3;
- phases alternate: no attack, then the attack, each ``--seconds`` long; per attack the script reports the
  honest check rate as a % of the phase just before, /healthz p50/p99, the service's peak RSS (VmHWM, reset
  through /proc/PID/clear_refs at each phase) and the 5xx seen (by honest clients; by the attacker, 503 aside).

Targets: honest rate >= 80 % of unattacked, /healthz p99 <= 100 ms, peak RSS <= 300 MB, zero 5xx.
Attacks are rows of ``ATTACKS``: add one by writing ``async def attack(run: AttackRun) -> None`` and a row.
Run: `python benchmarks/bench_attacks.py --quick` (about 5 minutes: 8-second phases, 1-second drips) or without
``--quick`` (30-second phases, a byte every 10 s; about 15 minutes); ``--only NAME`` picks attacks.
Prints a table and a JSON line; exits 1 on a missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The benchmarks folder is not a package: bench_service is imported from beside this file.
from bench_service import (
    KeepAliveClient,
    cpu_seconds,
    make_mp3,
    run_loop,
    start_media_server,
    start_service,
)

ATTACKER_ADDRESS = "127.0.0.2"  # the attacker's source address: not the honest clients' 127.0.0.1
UPSTREAM_ADDRESS = "127.0.0.3"  # where the attacker's hostile upstreams listen
# 32 honest clients, one connection each; not the attacker's 127.0.0.2 nor the upstreams' 127.0.0.3.
HONEST_SOURCES = ("127.0.0.1", *(f"127.0.0.{host}" for host in range(4, 35)))
CHECKS_PER_CLIENT = 8  # the service's default per-client limit, kept here
HONEST_CONCURRENCY = len(HONEST_SOURCES)
SERVICE_SLOTS = HONEST_CONCURRENCY + CHECKS_PER_CLIENT  # room for the honest load and one more client
PROBE_INTERVAL_S = 0.05
PROBE_TIMEOUT_S = 2.0


# --- the attacker's side -------------------------------------------------------------------------------------

@dataclass
class AttackRun:
    """What an attack function gets: the target, its time box, the drip interval, and counters to fill."""

    port: int
    until: float  # loop.time() at which to stop
    drip_s: float
    mp3: Path
    statuses: Counter[int] = field(default_factory=Counter)
    closed_by_server: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def running(self) -> bool:
        return asyncio.get_running_loop().time() < self.until

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port, local_addr=(ATTACKER_ADDRESS, 0), limit=2**20)

    def record(self, answer: bytes) -> None:
        """Count the status of an HTTP answer (or a close without one)."""
        if answer.startswith(b"HTTP/1.1 ") and len(answer) >= 12 and answer[9:12].isdigit():
            self.statuses[int(answer[9:12])] += 1
        else:
            self.closed_by_server += 1

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, min(seconds, self.until - asyncio.get_running_loop().time())))


async def _hold(run: AttackRun, opening: bytes, drip: bytes, stay: bool) -> None:
    """One crowd member: send ``opening``, then ``drip`` every drip interval; reconnect when the server closes.

    ``stay``: an answer does not end the connection (a kept-alive client); else the member reconnects.
    """
    while run.running():
        try:
            reader, writer = await run.connect()
        except OSError as exc:
            run.errors[type(exc).__name__] += 1
            await run.sleep(0.5)
            continue
        try:
            if opening:
                writer.write(opening)
            while run.running():
                with contextlib.suppress(TimeoutError):
                    answer = await asyncio.wait_for(reader.read(65536), run.drip_s)
                    run.record(answer)
                    if not (stay and answer):
                        break
                    continue
                if drip:
                    writer.write(drip)
                    await writer.drain()
        except OSError:
            run.closed_by_server += 1
        finally:
            writer.close()
        # Reconnect on the next tick, as slowloris does: reconnecting at once would make this a connection
        # flood, which costs an accept per attempt whatever the server does (a firewall's job, not a server's).
        await run.sleep(run.drip_s)


def crowd(size: int, opening: bytes, drip: bytes, stay: bool = False) -> Callable[[AttackRun], Awaitable[None]]:
    """``size`` connections that each send ``opening`` and then one ``drip`` per interval."""

    async def attack(run: AttackRun) -> None:
        members = []
        for _ in range(size):
            members.append(asyncio.create_task(_hold(run, opening, drip, stay)))
            await asyncio.sleep(0)
        await asyncio.gather(*members)

    return attack


async def _send_huge(run: AttackRun, head: bytes, size: int) -> None:
    """Send ``head`` and ``size`` bytes of header padding, reading the answer whenever it comes."""
    reader, writer = await run.connect()
    answer = asyncio.create_task(reader.read(65536))
    piece = b"a" * (256 * 1024)
    try:
        writer.write(head)
        sent = 0
        while sent < size and not answer.done():
            writer.write(piece)
            sent += len(piece)
            await writer.drain()
        if not answer.done():
            writer.write(b"\r\n\r\n")
            await writer.drain()
        run.record(await asyncio.wait_for(answer, 60))
    except (OSError, TimeoutError) as exc:
        if answer.done() and not answer.cancelled() and answer.exception() is None:
            run.record(answer.result())
        else:
            run.errors[type(exc).__name__] += 1
    finally:
        answer.cancel()
        writer.close()


def huge_headers(head: bytes, size: int, loops: int, pause_s: float) -> Callable[[AttackRun], Awaitable[None]]:
    """``loops`` clients each sending ``head`` plus ``size`` bytes, again ``pause_s`` after every answer."""

    async def loop(run: AttackRun) -> None:
        while run.running():
            try:
                await _send_huge(run, head, size)
            except OSError as exc:
                run.errors[type(exc).__name__] += 1
            await run.sleep(pause_s)

    async def attack(run: AttackRun) -> None:
        await asyncio.gather(*(loop(run) for _ in range(loops)))

    return attack


def _check_request(url: str) -> bytes:
    body = json.dumps({"url": url}).encode()
    return (b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def _upstream(handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> str:
    """Start a hostile upstream on the attacker's loopback address; returns its base URL."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        writer.close()

    server = await asyncio.start_server(serve, UPSTREAM_ADDRESS, 0, backlog=1024)
    return f"http://{UPSTREAM_ADDRESS}:{server.sockets[0].getsockname()[1]}"


def url_checks(upstream: Callable[[AttackRun], Callable[[asyncio.StreamReader, asyncio.StreamWriter],
                                                        Awaitable[None]]],
               loops: int, hang_up: bool) -> Callable[[AttackRun], Awaitable[None]]:
    """``loops`` clients asking the service to check a URL on a hostile upstream, over and over.

    ``hang_up``: send the request and close at once (the check should be cancelled); else wait for the answer.
    """

    async def attack(run: AttackRun) -> None:
        base = await _upstream(upstream(run))
        request = _check_request(f"{base}/hold.mp3")

        async def loop() -> None:
            while run.running():
                try:
                    reader, writer = await run.connect()
                    writer.write(request)
                    await writer.drain()
                    if hang_up:
                        writer.close()
                        await run.sleep(1.0)
                        continue
                    run.record(await reader.read(65536))
                    writer.close()
                except OSError as exc:
                    run.errors[type(exc).__name__] += 1
                    await run.sleep(0.1)

        await asyncio.gather(*(loop() for _ in range(loops)))

    return attack


def tarpit(run: AttackRun) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """An upstream that accepts the request and never answers."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await run.sleep(run.until)

    return handler


def processing_flood(run: AttackRun) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """An upstream that answers with `102 Processing` interim responses, endlessly and as fast as it can."""
    burst = b"HTTP/1.1 102 Processing\r\n\r\n" * 1000

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while run.running():
            writer.write(burst)
            await writer.drain()

    return handler


def one_byte_chunks(run: AttackRun) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """An upstream that sends a real MP3, endlessly, in chunked encoding one byte per chunk."""
    audio = run.mp3.read_bytes()
    chunked = b"".join(b"1\r\n%c\r\n" % byte for byte in audio[:65536])

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: chunked\r\n\r\n")
        while run.running():
            writer.write(chunked)
            await writer.drain()

    return handler


def _multipart(boundary: bytes, parts: bytes) -> bytes:
    return (b"POST /v1/checks/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n"
            b"Content-Length: %d\r\n\r\n" % len(parts) + parts)


def uploads(request: Callable[[], bytes], loops: int, pause_s: float) -> Callable[[AttackRun], Awaitable[None]]:
    """``loops`` clients each sending a prepared upload request, again ``pause_s`` after every answer."""

    async def attack(run: AttackRun) -> None:
        payload = request()

        async def loop() -> None:
            while run.running():
                try:
                    reader, writer = await run.connect()
                    writer.write(payload)
                    await writer.drain()
                    run.record(await asyncio.wait_for(reader.read(65536), 60))
                    writer.close()
                except (OSError, TimeoutError) as exc:
                    run.errors[type(exc).__name__] += 1
                await run.sleep(pause_s)

        await asyncio.gather(*(loop() for _ in range(loops)))

    return attack


def _part_bomb() -> bytes:
    """A 16 MB upload of empty parts (the issue measured 329k of them at 3.4 s of CPU)."""
    part = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n"
    count = (16_000_000 - 64) // len(part)
    return _multipart(b"b", part * count + b"--b--\r\n")


def _long_boundary() -> bytes:
    boundary = b"b" * 300
    return _multipart(boundary, b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"file\"; "
                      b"filename=\"a.mp3\"\r\n\r\nID3\r\n--" + boundary + b"--\r\n")


_SLOW_UPLOAD_HEAD = (b"POST /v1/checks/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000\r\n\r\n"
                     b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n\r\n")


@dataclass(frozen=True)
class Attack:
    """A row of the attack table: the guard it tests (headers, timeouts, slots, multipart), what it does, and the
    function that does it."""

    guard: str
    description: str
    run: Callable[[AttackRun], Awaitable[None]]


ATTACKS: dict[str, Attack] = {
    "header-16mb-line": Attack("headers", "4 clients, each sending a 16 MB request line, again every 0.25 s",
                               huge_headers(b"GET /", 16 * 2**20, loops=4, pause_s=0.25)),
    "header-128mb": Attack("headers", "2 clients, each sending one 128 MB header, again every 0.5 s",
                           huge_headers(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ", 128 * 2**20,
                                        loops=2, pause_s=0.5)),
    "idle-connections": Attack("timeouts", "1,000 connections that send nothing (reopened when closed)",
                               crowd(1000, b"", b"")),
    "slow-headers": Attack("timeouts", "1,100 half-sent request heads, a header byte per drip interval",
                           crowd(1100, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", b"a")),
    "slow-body": Attack("timeouts", "1,100 half-open URL checks, a body byte per drip interval",
                        crowd(1100, b"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                                    b"\r\nContent-Length: 1000\r\n\r\n{", b" ")),
    "keep-alive-crlf": Attack("timeouts", "1,000 kept-alive connections sending a bare CRLF per drip interval",
                              crowd(1000, b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"\r\n",
                                    stay=True)),
    "slow-uploads": Attack("slots", "32 uploads of a 10 MB file, 3 bytes per drip interval",
                           crowd(32, _SLOW_UPLOAD_HEAD + b"ID3", b"\x04\x00\x00")),
    "hung-up-url-checks": Attack("slots", "32 URL checks of a never-answering upstream, the client hanging up",
                                 url_checks(tarpit, loops=32, hang_up=True)),
    "upstream-102-flood": Attack("slots", "8 URL checks of an upstream sending endless `102 Processing`",
                                 url_checks(processing_flood, loops=8, hang_up=False)),
    "upstream-1-byte-chunks": Attack("slots", "8 URL checks of an upstream sending an MP3 in 1-byte chunks",
                                     url_checks(one_byte_chunks, loops=8, hang_up=False)),
    "multipart-part-bomb": Attack("multipart", "2 clients, each uploading 16 MB of empty multipart parts",
                                  uploads(_part_bomb, loops=2, pause_s=0.0)),
    "multipart-long-boundary": Attack("multipart", "4 clients sending uploads with a 300-character boundary",
                                      uploads(_long_boundary, loops=4, pause_s=0.05)),
}


def attacker_main(name: str, port: int, seconds: float, drip_s: float, mp3: Path) -> None:
    """Run one attack for ``seconds`` and print what it saw as one JSON line."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def main() -> AttackRun:
        run = AttackRun(port=port, until=asyncio.get_running_loop().time() + seconds, drip_s=drip_s, mp3=mp3)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ATTACKS[name].run(run), seconds + 5)
        return run

    run = run_loop(main())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"statuses": {str(code): count for code, count in run.statuses.items()},
                      "closed_by_server": run.closed_by_server, "errors": dict(run.errors),
                      "cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}), flush=True)
    os._exit(0)  # connections still open are the point of some attacks; do not wait for them to close


# --- the measuring side --------------------------------------------------------------------------------------

def reset_peak_rss(pid: int) -> None:
    """Start a new VmHWM window (Linux: writing 5 to clear_refs resets the peak RSS)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def rss_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field_name} in /proc status")


async def probe_healthz(port: int, until: float, latencies: list[float], failures: Counter[str],
                        slowest: list[tuple[float, float]]) -> None:
    """A load balancer's probe: a new connection and `GET /healthz` every 50 ms; a failure counts as 2 s.

    ``slowest`` gets (seconds into the phase, latency) of every probe over 100 ms, to see when stalls happen.
    """
    loop = asyncio.get_running_loop()
    opened = loop.time()
    while loop.time() < until:
        started = time.perf_counter()
        step = "connect"
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                step = "answer"
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                answer = await reader.read()
                writer.close()
            if not answer.startswith(b"HTTP/1.1 200"):
                failures[answer[:12].decode(errors="replace") or "closed"] += 1
            latencies.append(time.perf_counter() - started)
        except (OSError, TimeoutError) as exc:
            failures[f"{step}: {type(exc).__name__}"] += 1
            latencies.append(max(PROBE_TIMEOUT_S, time.perf_counter() - started))
        if latencies[-1] > 0.1:
            slowest.append((round(loop.time() - opened - latencies[-1], 1), round(latencies[-1] * 1000)))
        await asyncio.sleep(max(0.0, PROBE_INTERVAL_S - (time.perf_counter() - started)))


async def honest_load(port: int, url: str, until: float) -> dict[str, Any]:
    """32 keep-alive connections, one per client, checking ``url`` until ``until``; reconnects after errors."""
    loop = asyncio.get_running_loop()
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    not_ok = 0
    body = json.dumps({"url": url}).encode()

    async def connection(source: str) -> None:
        nonlocal not_ok
        client = KeepAliveClient(port, source)
        try:
            while loop.time() < until:
                try:
                    status, payload = await client.post_json("/v1/checks", body)
                except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError) as exc:
                    errors[type(exc).__name__] += 1
                    with contextlib.suppress(OSError):
                        await client.close()
                    client.writer = None
                    continue
                statuses[status] += 1
                not_ok += status == 200 and not json.loads(payload)["ok"]
        finally:
            with contextlib.suppress(OSError):
                await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(HONEST_SOURCES[i % len(HONEST_SOURCES)]) for i in range(HONEST_CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {"checks": statuses[200], "checks_per_s": statuses[200] / elapsed, "not_ok": not_ok,
            "statuses": {str(code): count for code, count in sorted(statuses.items())}, "errors": dict(errors)}


def measure(port: int, url: str, pid: int, seconds: float) -> dict[str, Any]:
    """One phase: honest load and probes for ``seconds``; rates, probe latencies, peak RSS, statuses."""
    reset_peak_rss(pid)

    slow_probes: list[tuple[float, float]] = []

    async def phase() -> tuple[dict[str, Any], list[float], Counter[str]]:
        until = asyncio.get_running_loop().time() + seconds
        latencies: list[float] = []
        failures: Counter[str] = Counter()
        honest, _ = await asyncio.gather(honest_load(port, url, until),
                                         probe_healthz(port, until, latencies, failures, slow_probes))
        return honest, latencies, failures

    cpu_started = cpu_seconds(pid)
    honest, latencies, failures = run_loop(phase())
    service_cpu = cpu_seconds(pid) - cpu_started
    latencies.sort()
    honest.update({
        "healthz_p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "healthz_p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else None,
        "healthz_probes": len(latencies), "healthz_failures": dict(failures),
        "healthz_over_100ms": slow_probes,
        "peak_rss_mb": rss_mb(pid, "VmHWM"),
        # CPU the service spent, in all and per honest check: steadier than rates on a shared machine.
        "service_cpu_share": service_cpu / seconds,
        "service_cpu_ms_per_check": service_cpu / max(1, honest["checks"]) * 1000,
    })
    return honest


def start_attacker(name: str, port: int, seconds: float, drip_s: float, mp3: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "--attacker", name, "--port", str(port), "--seconds",
                             str(seconds), "--drip", str(drip_s), "--mp3", str(mp3)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def finish_attacker(process: subprocess.Popen[str]) -> dict[str, Any]:
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"statuses": {}, "errors": {"attacker-died": 1}}


def logged_errors(log: str) -> dict[str, int]:
    """The exceptions named at the end of each traceback in a stretch of the service's log, counted."""
    errors: Counter[str] = Counter()
    for block in log.split("Traceback (most recent call last):")[1:]:
        last = [line for line in block.splitlines() if line and not line.startswith((" ", "^", "~"))]
        errors[last[0][:120] if last else "?"] += 1
    return dict(errors)


def five_xx(statuses: dict[str, int], *, but_503: bool = False) -> int:
    return sum(count for code, count in statuses.items() if code.startswith("5") and not (but_503 and code == "503"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8-second phases and 1-second drips (smoke run)")
    parser.add_argument("--seconds", type=float, help="length of each phase (default 30, or 8 with --quick)")
    parser.add_argument("--only", action="append", choices=sorted(ATTACKS), help="run only this attack (repeatable)")
    parser.add_argument("--fd-limit", type=int, default=1024, help="the service's soft descriptor limit (1024)")
    parser.add_argument("--fd-hard-limit", type=int, help="the service's hard descriptor limit (default: unchanged)")
    parser.add_argument("--service-log", type=Path, help="keep the service's log (stderr) in this file")
    parser.add_argument("--service-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the service, e.g. MEDIACHECK_CHECK_RATE_PER_CLIENT=0 (repeatable)")
    parser.add_argument("--attacker", choices=sorted(ATTACKS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--drip", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--mp3", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds = args.seconds or (8.0 if args.quick else 30.0)
    if args.attacker:
        attacker_main(args.attacker, args.port, seconds, args.drip, args.mp3)
        return 0
    drip_s = 1.0 if args.quick else 10.0
    names = args.only or list(ATTACKS)

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = make_mp3(Path(tmp))
        media, media_port = start_media_server(Path(tmp))
        url = f"http://127.0.0.1:{media_port}/{mp3.name}"
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log_path = args.service_log or Path(tmp) / "service.log"
        log = log_path.open("w")
        access_log = (Path(tmp) / "access.log").open("w")  # a file, as in production (not this script's output)
        service_env = {"MEDIACHECK_MAX_CHECKS_PER_CLIENT": str(CHECKS_PER_CLIENT),
                       **dict(setting.split("=", 1) for setting in args.service_env)}
        service = start_service(port, SERVICE_SLOTS, env=service_env,
                                fd_limits=(args.fd_limit, args.fd_hard_limit), log=log,
                                access_log=access_log)
        try:
            measure(port, url, service.pid, 2.0)  # warm-up: imports, page cache, first connections
            for name in names:
                baseline = measure(port, url, service.pid, seconds)
                log_seen = len(log_path.read_text())
                attacker = start_attacker(name, port, seconds, drip_s, mp3)
                time.sleep(0.3)  # the attack's first connections land before the window opens
                attacked = measure(port, url, service.pid, seconds)
                seen = finish_attacker(attacker)
                rows.append({"attack": name, "guard": ATTACKS[name].guard, "baseline": baseline,
                             "attacked": attacked, "attacker": seen,
                             "service_errors": logged_errors(log_path.read_text()[log_seen:]),
                             "ratio": attacked["checks_per_s"] / baseline["checks_per_s"]})
                print_row(rows[-1])
                time.sleep(min(seconds, 12.0))  # let the server shed what the attack left behind
        finally:
            service.terminate()
            service.wait(timeout=30)
            media.terminate()
            media.wait(timeout=30)
            log.close()
            access_log.close()
            warnings = [line for line in log_path.read_text().splitlines() if line.startswith("WARNING")]
            print("\n".join(sorted(set(warnings))), file=sys.stderr)

    misses = []
    for row in rows:
        attacked = row["attacked"]
        honest_5xx = five_xx(attacked["statuses"])
        attack_5xx = five_xx(row["attacker"]["statuses"], but_503=True)
        row["misses"] = [text for failed, text in [
            (row["ratio"] < 0.8, f"honest rate {row['ratio']:.0%} < 80 %"),
            ((attacked["healthz_p99_ms"] or 1e9) > 100, f"/healthz p99 {attacked['healthz_p99_ms']:.0f} ms > 100 ms"),
            (attacked["peak_rss_mb"] > 300, f"peak RSS {attacked['peak_rss_mb']:.0f} MB > 300 MB"),
            (honest_5xx > 0, f"{honest_5xx} honest 5xx"),
            (attack_5xx > 0, f"{attack_5xx} 5xx (not 503) answered to the attacker"),
            (sum(row["service_errors"].values()) > 0, f"errors in the service's log: {row['service_errors']}"),
        ] if failed]
        misses.extend(f"{row['attack']}: {text}" for text in row["misses"])
    print(json.dumps({"seconds": seconds, "drip_s": drip_s, "fd_limit": args.fd_limit,
                      "fd_hard_limit": args.fd_hard_limit, "rows": rows}))
    for miss in misses:
        print(f"MISS: {miss}", file=sys.stderr)
    return 1 if misses else 0


def print_row(row: dict[str, Any]) -> None:
    base, hit = row["baseline"], row["attacked"]
    print(f"{row['attack']:<24} ({row['guard']:<9}) honest {hit['checks_per_s']:6.1f}/s"
          f" vs {base['checks_per_s']:6.1f}/s"
          f" = {row['ratio']:4.0%}  /healthz p50 {hit['healthz_p50_ms']:6.1f} ms p99 {hit['healthz_p99_ms']:7.1f} ms"
          f" (unattacked p50 {base['healthz_p50_ms']:.1f} p99 {base['healthz_p99_ms']:.1f})"
          f"  RSS {hit['peak_rss_mb']:5.0f} MB  service CPU {hit['service_cpu_share']:.0%} of a core,"
          f" {hit['service_cpu_ms_per_check']:.1f} ms per honest check (unattacked {base['service_cpu_share']:.0%},"
          f" {base['service_cpu_ms_per_check']:.1f} ms)  honest {hit['statuses']} {hit['errors'] or ''}"
          f"  probe failures {hit['healthz_failures'] or 0}  service log errors {row['service_errors'] or 0}"
          f"  attacker saw {row['attacker']}", flush=True)
    print(f"{'':<24} probes over 100 ms (s into phase, ms): attacked {hit['healthz_over_100ms'][:12]}"
          f" unattacked {base['healthz_over_100ms'][:12]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
