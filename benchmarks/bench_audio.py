"""Benchmark the audio side: the deep check against a plain ffmpeg decode, and fix of a 3-minute WAV.

Run: ``python benchmarks/bench_audio.py`` (add ``--rounds N``). Inputs are made with ffmpeg in a temporary
folder. Timings interleave the contenders round by round and report medians, because the CI machine is
shared and noisy; the deep-check figure is a ratio against ffmpeg decoding the same file in the same run.
Memory is the peak resident size of the fixing process plus that of its largest child (ffmpeg), read
from ``getrusage`` in a fresh interpreter, so it is an upper bound of what fix holds at once.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mediacheck import DEFAULT_LIMITS, check_file
from mediacheck._deep import deep_check_file
from mediacheck._ffmpeg import find_ffmpeg, load_pydub

# 59 s of a tone under pink noise, 44.1 kHz stereo at 128 kbps: the most common shape of hold music.
MP3_GRAPH = ("sine=frequency=440:sample_rate=44100:duration=59[a];anoisesrc=color=pink:duration=59:"
             "amplitude=0.1:sample_rate=44100[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo")
WAV_GRAPH = MP3_GRAPH.replace("duration=59", "duration=180")

FIX_IN_SUBPROCESS = """
import json, resource, sys, time
from mediacheck import fix_file
started = time.perf_counter()
report = fix_file(sys.argv[1], sys.argv[2], overwrite=True)
elapsed = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"ok": report.ok, "elapsed_s": elapsed, "peak_kib": own + child}))
"""


def _make(ffmpeg: str, graph: str, out: Path, *codec: str) -> Path:
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph, *codec,
                    str(out)], check=True)
    return out


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _interleaved(rounds: int, contenders: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median wall seconds per contender (``name``) and median CPU seconds, ffmpeg's included (``name_cpu``)."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            cpu_before, started = _cpu_seconds(), time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(_cpu_seconds() - cpu_before)
    medians = {name: statistics.median(values) for name, values in times.items()}
    medians.update({f"{name}_cpu": statistics.median(values) for name, values in cpu.items()})
    return medians


def bench_deep(ffmpeg: str, folder: Path, rounds: int) -> dict[str, float]:
    """Median seconds of a plain ffmpeg decode and of the deep check of the same 59 s MP3, and their ratio."""
    mp3 = _make(ffmpeg, MP3_GRAPH, folder / "hold-59s.mp3", "-c:a", "libmp3lame", "-b:a", "128k")
    core = check_file(mp3)
    load_pydub()  # import once, as a long-running process would have

    def plain_decode() -> None:
        subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(mp3), "-f", "null", "-"], check=True)

    def deep_check() -> None:
        deep_check_file(core, mp3, DEFAULT_LIMITS)

    medians = _interleaved(rounds, {"plain_decode_s": plain_decode, "deep_check_s": deep_check})
    medians["ratio"] = medians["deep_check_s"] / medians["plain_decode_s"]
    medians["cpu_ratio"] = medians["deep_check_s_cpu"] / medians["plain_decode_s_cpu"]
    return medians


def bench_fix(ffmpeg: str, folder: Path, rounds: int) -> dict[str, float]:
    """Median wall time and the largest peak memory of fixing a 3-minute 44.1 kHz stereo WAV."""
    wav = _make(ffmpeg, WAV_GRAPH, folder / "designer-3min.wav", "-c:a", "pcm_s16le")
    runs = []
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", FIX_IN_SUBPROCESS, str(wav), str(folder / "hold.mp3")],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout))
    if not all(run["ok"] for run in runs):
        raise SystemExit("fix produced a failing file")
    return {
        "wav_bytes": wav.stat().st_size,
        "fix_s": statistics.median(run["elapsed_s"] for run in runs),
        "fix_peak_mib": max(run["peak_kib"] for run in runs) / 1024,
    }


def bench_fix_reads_only_what_it_needs(ffmpeg: str, folder: Path, rounds: int) -> dict[str, float]:
    """Median seconds of fixing a 1-minute and a 30-minute MP3: equal when fix stops reading at the target."""
    from mediacheck import fix_file

    minute = _make(ffmpeg, MP3_GRAPH.replace("duration=59", "duration=60"), folder / "one-minute.mp3",
                   "-c:a", "libmp3lame", "-b:a", "128k")
    half_hour = folder / "thirty-minutes.mp3"
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "29", "-i", str(minute),
                    "-c", "copy", str(half_hour)], check=True)
    out = folder / "hold.mp3"
    medians = _interleaved(rounds, {
        "fix_1min_s": lambda: fix_file(minute, out, overwrite=True),
        "fix_30min_s": lambda: fix_file(half_hour, out, overwrite=True),
    })
    medians["ratio"] = medians["fix_30min_s"] / medians["fix_1min_s"]
    return medians


def main() -> None:
    """Run both benchmarks and print the numbers docs/performance.md quotes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per measurement (default 15)")
    args = parser.parse_args()
    ffmpeg = find_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        folder = Path(tmp)
        deep = bench_deep(ffmpeg, folder, args.rounds)
        fix = bench_fix(ffmpeg, folder, max(3, args.rounds // 3))
        lazy = bench_fix_reads_only_what_it_needs(ffmpeg, folder, max(3, args.rounds // 3))
    print(f"deep check, 59 s 128 kbps stereo MP3: {deep['deep_check_s'] * 1000:.0f} ms; plain ffmpeg decode "
          f"{deep['plain_decode_s'] * 1000:.0f} ms; ratio {deep['ratio']:.2f}x (budget 1.5x); CPU time "
          f"{deep['deep_check_s_cpu'] * 1000:.0f} ms vs {deep['plain_decode_s_cpu'] * 1000:.0f} ms "
          f"({deep['cpu_ratio']:.2f}x)")
    print(f"fix, 3-minute 44.1 kHz stereo WAV ({fix['wav_bytes'] / 1e6:.1f} MB): {fix['fix_s']:.2f} s "
          f"(budget 3 s), peak memory {fix['fix_peak_mib']:.0f} MiB (budget 200 MiB)")
    print(f"fix, 30-minute vs 1-minute 128 kbps MP3: {lazy['fix_30min_s']:.2f} s vs {lazy['fix_1min_s']:.2f} s "
          f"(ratio {lazy['ratio']:.2f}x: only the first 59 s are read)")


if __name__ == "__main__":
    main()
