"""Benchmark the guarded fetch against a plain httpx2 streaming download of the same URL over loopback.

Run: ``python benchmarks/bench_fetch.py`` (add ``--rounds N``). The input is a 270 s, 320 kbps stereo MP3
(10.8 MB) made with ffmpeg in a temporary folder and served by the tests' loopback server. Reported:

- ``ratio``: median ``check_url`` time with the limits lifted (the whole body scanned) over the median time
  of ``httpx2.Client().stream(...)`` reading the same body; both build a fresh client per call (sharing one SSL
  context, as check_url does), and the two are interleaved round by round because the machine is shared and
  noisy. Target: at most 2.5. ``reused_clients`` repeats it with one long-lived client each (the service's case).
- the body bytes ``check_url`` reads under the default limits before rejecting the file, when the server
  announces Content-Length (rejected from the header) and when it streams chunked (rejected by duration).
  Target: at most 2.6 MB.
- the tracemalloc peak of one check of the 10.8 MB file and of a 1/10 slice of it: flat means the memory a
  check needs does not grow with the body.
- ``cpu_per_check_ms``: the CPU time of the checking thread (``time.thread_time``, so the loopback server's
  threads are not counted) per check of a typical hold-music file (30 s, 128 kbps, 480 KB) under the default
  limits: ``check_url`` (a fresh fetcher each time), one shared ``SafeFetcher``, and the shared fetcher's async
  ``acheck`` (the service's path). ``--only cpu`` runs just this part (seconds instead of a minute).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import anyio
import certifi
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediacheck import Limits, SafeFetcher, check_url
from mediacheck._ffmpeg import find_ffmpeg
from tests.support.servers import LoopbackServer, Static

LOOPBACK = ("127.0.0.0/8",)
LIFTED = Limits(size_limit_bytes=10**9, duration_limit_s=10**6)


def make_typical_mp3(ffmpeg: str, out: Path) -> bytes:
    """30 s of a tone, 44.1 kHz mono, 128 kbps CBR: 480 KB, a typical hold-music file."""
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=44100:duration=30", "-ac", "1", "-c:a", "libmp3lame",
                    "-b:a", "128k", str(out)], check=True)
    return out.read_bytes()


def make_mp3(ffmpeg: str, out: Path) -> bytes:
    """270 s of a tone under pink noise, 44.1 kHz stereo, 320 kbps CBR: 10.8 MB."""
    graph = ("sine=frequency=440:sample_rate=44100:duration=270[a];anoisesrc=color=pink:duration=270:"
             "amplitude=0.1:sample_rate=44100[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo")
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph,
                    "-c:a", "libmp3lame", "-b:a", "320k", str(out)], check=True)
    return out.read_bytes()


# Built once, as check_url shares one default context: loading the CA bundle (~20 ms) is not what we compare.
SSL_CONTEXT = ssl.create_default_context(cafile=certifi.where())


def plain_download(url: str, client: httpx2.Client | None = None) -> int:
    """The baseline: stream the body with httpx2 (a fresh client unless one is given) and count it."""
    total = 0
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(httpx2.Client(verify=SSL_CONTEXT))
        with client.stream("GET", url) as response:
            for chunk in response.iter_raw():
                total += len(chunk)
    return total


def guarded_check(url: str, fetcher: SafeFetcher | None = None) -> int:
    """check_url (or a reused SafeFetcher) with the limits lifted, so the whole body is fetched and scanned."""
    report = (fetcher.check(url) if fetcher is not None else
              check_url(url, limits=LIFTED, allow_networks=LOOPBACK))
    if report.fetch is None or report.media is None or report.media.format != "mp3":
        raise RuntimeError(f"unexpected report: {report.to_dict()}")
    return report.fetch.bytes_read


def interleaved(rounds: int, contenders: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds per contender, running them in turn each round."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_bytes(run: Callable[[], object]) -> int:
    """The tracemalloc peak of one call."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def cpu_ms_per_check(run: Callable[[], object], checks: int) -> float:
    """Milliseconds of this thread's CPU per call, over ``checks`` calls."""
    started = time.thread_time()
    for _ in range(checks):
        run()
    return (time.thread_time() - started) / checks * 1000


def cpu_per_check(body: bytes, rounds: int, checks: int = 20) -> dict[str, float]:
    """Median CPU per check of ``body`` for a fresh check_url, a shared fetcher and its async twin."""
    times: dict[str, list[float]] = {"check_url": [], "shared_fetcher": [], "shared_fetcher_async": []}
    with LoopbackServer({"/hold.mp3": Static(body)}) as server:
        url = server.url("/hold.mp3")

        def fresh() -> None:
            if not check_url(url, allow_networks=LOOPBACK).ok:
                raise RuntimeError("the typical file failed")

        async def async_rounds(fetcher: SafeFetcher) -> float:
            started = time.thread_time()
            for _ in range(checks):
                if not (await fetcher.acheck(url)).ok:
                    raise RuntimeError("the typical file failed")
            return (time.thread_time() - started) / checks * 1000

        with SafeFetcher(allow_networks=LOOPBACK) as fetcher:
            fresh()
            fetcher.check(url)  # warm: imports, the CA bundle, the first connection
            for _ in range(rounds):
                times["check_url"].append(cpu_ms_per_check(fresh, checks))
                times["shared_fetcher"].append(cpu_ms_per_check(lambda: fetcher.check(url), checks))

        async def run_async() -> None:
            async with SafeFetcher(allow_networks=LOOPBACK) as fetcher:
                await fetcher.acheck(url)
                for _ in range(rounds):
                    times["shared_fetcher_async"].append(await async_rounds(fetcher))

        anyio.run(run_async)
    return {name: round(statistics.median(values), 2) for name, values in times.items()}


def main() -> None:
    """Build the input, run every measurement and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", choices=["cpu"], help="run only the CPU-per-check measurement")
    args = parser.parse_args()
    ffmpeg = find_ffmpeg()
    with tempfile.TemporaryDirectory() as folder:
        typical = make_typical_mp3(ffmpeg, Path(folder) / "typical.mp3")
    cpu = cpu_per_check(typical, args.rounds)
    if args.only == "cpu":
        print(json.dumps({"cpu_per_check_ms": cpu, "rounds": args.rounds}, indent=2))
        return
    with tempfile.TemporaryDirectory() as folder:
        body = make_mp3(ffmpeg, Path(folder) / "long.mp3")
    tenth = body[: len(body) // 10]
    routes = {"/long.mp3": Static(body), "/chunked.mp3": Static(body, chunked=True, chunk_size=64 * 1024),
              "/tenth.mp3": Static(tenth)}
    with LoopbackServer(routes) as server:
        url = server.url("/long.mp3")
        if plain_download(url) != len(body) or guarded_check(url) != len(body):
            raise RuntimeError("the contenders did not read the whole body")
        medians = interleaved(args.rounds, {"httpx2_stream_s": lambda: plain_download(url),
                                            "check_url_s": lambda: guarded_check(url)})
        with httpx2.Client(verify=SSL_CONTEXT) as client, \
                SafeFetcher(limits=LIFTED, allow_networks=LOOPBACK) as fetcher:
            pooled = interleaved(args.rounds, {"httpx2_stream_s": lambda: plain_download(url, client),
                                               "check_url_s": lambda: guarded_check(url, fetcher)})
        announced = check_url(url, allow_networks=LOOPBACK)
        chunked = check_url(server.url("/chunked.mp3"), allow_networks=LOOPBACK)
        peak_full = peak_bytes(lambda: guarded_check(url))
        peak_tenth = peak_bytes(lambda: guarded_check(server.url("/tenth.mp3")))
    if announced.fetch is None or chunked.fetch is None:
        raise RuntimeError("a check without fetch facts")
    result = {
        "body_bytes": len(body),
        **{name: round(value, 4) for name, value in medians.items()},
        "ratio": round(medians["check_url_s"] / medians["httpx2_stream_s"], 2),
        "reused_clients": {**{name: round(value, 4) for name, value in pooled.items()},
                           "ratio": round(pooled["check_url_s"] / pooled["httpx2_stream_s"], 2)},
        "default_limits_content_length": {"codes": [f.code for f in announced.errors],
                                          "bytes_read": announced.fetch.bytes_read},
        "default_limits_chunked": {"codes": [f.code for f in chunked.errors], "bytes_read": chunked.fetch.bytes_read},
        "peak_tracemalloc_bytes": {"10.8MB": peak_full, "1.08MB": peak_tenth},
        "cpu_per_check_ms": cpu,
        "rounds": args.rounds,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
