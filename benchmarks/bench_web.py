"""Benchmark the web page: what drawing the waveform adds to the deep check, and what the page's routes cost.

Run: ``python benchmarks/bench_web.py`` (add ``--rounds N``). The input is made with ffmpeg in a temporary
folder (59 s of a tone under pink noise, 128 kbps stereo: the common shape of hold music). Contenders are
interleaved round by round and medians reported, because the machine is shared and noisy; the waveform's cost
is a ratio against the deep check alone in the same run. The routes are timed over HTTP against a real
uvicorn on loopback.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import uvicorn

from mediacheck import DEFAULT_LIMITS, check_file
from mediacheck._deep import deep_check_file, deep_check_with_waveform
from mediacheck._ffmpeg import find_ffmpeg, load_pydub
from mediacheck.service.app import create_app
from mediacheck.service.settings import Settings

MP3_GRAPH = ("sine=frequency=440:sample_rate=44100:duration=59[a];anoisesrc=color=pink:duration=59:"
             "amplitude=0.1:sample_rate=44100[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo")


def _interleaved(rounds: int, contenders: dict[str, Callable[[], object]]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_waveform(mp3: Path, rounds: int) -> dict[str, float]:
    """Median seconds of the deep check with and without the waveform, their ratio, and the column count."""
    core = check_file(mp3)
    load_pydub()  # imported once, as a long-running service has it
    medians = _interleaved(rounds, {
        "deep_s": lambda: deep_check_file(core, mp3, DEFAULT_LIMITS),
        "deep_waveform_s": lambda: deep_check_with_waveform(core, mp3, DEFAULT_LIMITS),
    })
    medians["ratio"] = medians["deep_waveform_s"] / medians["deep_s"]
    _, waveform = deep_check_with_waveform(core, mp3, DEFAULT_LIMITS)
    medians["columns"] = len(waveform.rms) if waveform is not None else 0
    return medians


def bench_builder(rounds: int) -> dict[str, float]:
    """Median seconds the waveform builder alone takes over 59 one-second blocks of 44.1 kHz stereo PCM: the
    Python it adds to the deep check, free of ffmpeg's noise."""
    import array
    import random

    from mediacheck._waveform import WaveformBuilder

    audioop = load_pydub()[2]
    noise = random.Random(1)
    block = array.array("h", [noise.randint(-20000, 20000) for _ in range(2 * 44100)]).tobytes()

    def build() -> None:
        builder = WaveformBuilder(44100, 2, audioop, expected_s=59.0)
        for _ in range(59):
            builder.feed(block)
        builder.build()

    return _interleaved(rounds, {"builder_s": build})


@contextmanager
def _serve() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(api_keys=())), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def bench_routes(mp3: Path, rounds: int) -> dict[str, float]:
    """Median seconds of /v1/checks/upload, /web/check and /web/fix on the same (too long) upload; page and
    fragment sizes."""
    data = mp3.read_bytes()
    files = {"file": ("hold.mp3", data, "audio/mpeg")}
    with _serve() as base, httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/")
        assets = sum(len(client.get(f"/web/static/{name}").content) for name in ("app.js", "app.css", "favicon.svg"))
        fragment = client.post("/web/check", files=files)
        medians = _interleaved(rounds, {
            "api_upload_s": lambda: client.post("/v1/checks/upload", files=files).raise_for_status(),
            "page_check_s": lambda: client.post("/web/check", files=files).raise_for_status(),
            "page_fix_s": lambda: client.post("/web/fix", files=files).raise_for_status(),
        })
    medians.update(page_bytes=len(page.content), asset_bytes=assets, fragment_bytes=len(fragment.content))
    return medians


def main() -> None:
    """Run both benchmarks and print the numbers docs/performance.md quotes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds per measurement (default 11)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        made = {}
        for seconds in (59, 75):  # 75 s fails, so the page offers Fix and /web/fix has work to do
            made[seconds] = Path(tmp) / f"hold-{seconds}s.mp3"
            subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                            MP3_GRAPH.replace("duration=59", f"duration={seconds}"), "-c:a", "libmp3lame",
                            "-b:a", "128k", str(made[seconds])], check=True)
        drawn = bench_waveform(made[59], args.rounds)
        drawn.update(bench_builder(args.rounds))
        routes = bench_routes(made[75], max(3, args.rounds // 2))
    print(f"deep check of a 59 s 128 kbps stereo MP3: {drawn['deep_s'] * 1000:.0f} ms; with the waveform "
          f"({drawn['columns']:.0f} columns) {drawn['deep_waveform_s'] * 1000:.0f} ms: ratio {drawn['ratio']:.2f}x; "
          f"the builder alone over 59 s of stereo PCM: {drawn['builder_s'] * 1000:.1f} ms")
    print(f"a 75 s 128 kbps stereo MP3 over HTTP: /v1/checks/upload {routes['api_upload_s'] * 1000:.0f} ms; "
          f"/web/check (verdict, deep check, picture) {routes['page_check_s'] * 1000:.0f} ms; "
          f"/web/fix {routes['page_fix_s'] * 1000:.0f} ms")
    print(f"page {routes['page_bytes'] / 1024:.1f} KiB + assets {routes['asset_bytes'] / 1024:.1f} KiB; "
          f"check fragment with its picture {routes['fragment_bytes'] / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
