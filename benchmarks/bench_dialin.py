"""Benchmark the dial-in lint: the field rules alone, and the whole check with a slow DNS answer and a slow server.

Run: ``python benchmarks/bench_dialin.py`` (add ``--rounds N``; about ten seconds). Two numbers:

- field rules: microseconds to lint the spec's example body without network work (hold music off, webhook
  on an exempted literal address), next to ``json.loads`` of the same body as the in-process baseline;
- whole check: the webhook's host answered by a resolver that takes ``--latency`` seconds and the hold music
  served from loopback after the same delay. The sync call does one after the other; the async twin vets
  the webhook while the hold music downloads, so it should take about half as long.

Medians of interleaved rounds, because the CI machine is shared and noisy. Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import anyio

from mediacheck import alint_dialin_config, lint_dialin_config
from mediacheck._ffmpeg import find_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.servers import LoopbackServer

SPEC_EXAMPLE = {"type": "pinless_dialin", "name_prefix": "Customer1", "phone_number": "+18058700061",
                "room_creation_api": "https://127.0.0.1/api/dial",
                "hold_music_url": "https://example.com/static/ringtone.mp3",
                "timeout_config": {"message": "No agent is available right now"}}
LOOPBACK = ("127.0.0.0/8",)


def median_us(fn: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat * 1e6


def make_mp3(directory: Path) -> bytes:
    out = directory / "hold.mp3"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=30", "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "64k", str(out)],
                   check=True)
    return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()

    text = json.dumps(SPEC_EXAMPLE)
    rules, baseline = [], []
    for _ in range(args.rounds):
        baseline.append(median_us(lambda: json.loads(text), 2000))
        rules.append(median_us(lambda: lint_dialin_config(SPEC_EXAMPLE, check_hold_music=False,
                                                          allow_networks=LOOPBACK), 2000))

    with tempfile.TemporaryDirectory() as tmp:
        mp3 = make_mp3(Path(tmp))

    def slow_music(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(args.latency)
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.send_header("Content-Length", str(len(mp3)))
        handler.end_headers()
        handler.wfile.write(mp3)

    def slow_dns(host: str, port: int) -> list[str]:
        time.sleep(args.latency)
        return ["93.184.215.14"]  # vetted only: the webhook is never connected to

    sync_s, async_s = [], []
    with LoopbackServer({"/hold.mp3": slow_music}) as server:
        body = {**SPEC_EXAMPLE, "room_creation_api": "https://your-app.example.com/api/dial",
                "hold_music_url": server.url("/hold.mp3")}
        for _ in range(args.rounds):
            started = time.perf_counter()
            report = lint_dialin_config(body, allow_networks=LOOPBACK, resolver=slow_dns)
            sync_s.append(time.perf_counter() - started)
            assert report.ok, report.to_dict()
            started = time.perf_counter()
            report = anyio.run(lambda: alint_dialin_config(body, allow_networks=LOOPBACK, resolver=slow_dns))
            async_s.append(time.perf_counter() - started)
            assert report.ok, report.to_dict()

    results = {
        "rules_us": round(statistics.median(rules), 1),
        "json_loads_us": round(statistics.median(baseline), 1),
        "rules_vs_json_loads": round(statistics.median(rules) / statistics.median(baseline), 1),
        "latency_s": args.latency,
        "sync_s": round(statistics.median(sync_s), 3),
        "async_s": round(statistics.median(async_s), 3),
        "async_speedup": round(statistics.median(sync_s) / statistics.median(async_s), 2),
    }
    print(f"field rules (spec example, no network): {results['rules_us']} µs "
          f"({results['rules_vs_json_loads']}x json.loads of the same body)")
    print(f"whole check, DNS and server each {args.latency:g} s late: sync {results['sync_s']} s, "
          f"async {results['async_s']} s ({results['async_speedup']}x)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
