"""Benchmark platform profiles: what the profile hooks cost the MP3 path, and the WAV scan against an ffmpeg decode.

Usage: ``python benchmarks/bench_profiles.py`` (builds the large MP3s and WAVs into ``fixtures/_large/`` first if
missing). Part one checks each large MP3 with no profile, with ``profile="daily"`` and with ``profile="twilio"``
(limits lifted), round by round in one process so machine load hits all three alike, and prints the medians and
the ratios to the no-profile run. Part two times a full ffmpeg decode (``-f null``) against mediacheck's WAV scan of
long WAVs, checks the scan's frame count against the decode's, and measures the scan's peak Python memory.
Results go to ``benchmarks/_work/bench_profiles.json``.
"""

from __future__ import annotations

import functools
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.make_fixtures import FFMPEG, LARGE  # noqa: E402
from fixtures.make_wav_fixtures import ffmpeg_frames  # noqa: E402
from mediacheck import Limits, check_file  # noqa: E402
from mediacheck._profiles import Profile  # noqa: E402

MP3S = ("cbr-320k-270s.mp3", "vbr-600s.mp3", "mono-8k-3600s.mp3")
# name -> ffmpeg arguments of a long WAV (a tone, so the encode is quick)
WAVS = {
    "ulaw-8k-mono-300s.wav": ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw", "-t", "300"],
    "s16-44k-stereo-270s.wav": ["-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le", "-t", "270"],
    "s24-48k-stereo-120s.wav": ["-ar", "48000", "-ac", "2", "-c:a", "pcm_s24le", "-t", "120"],
}
UNLIMITED = Limits(size_limit_bytes=10**12, duration_limit_s=1e9)
ANY_WAV = Profile(name="any-wav", title="any WAV", formats=("wav",))
ROUNDS = 15


def _seconds(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _ensure_inputs() -> None:
    if not (LARGE / "manifest.json").exists():
        subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_fixtures.py"), "--large-only"], check=True)
    for name, args in WAVS.items():
        path = LARGE / name
        if not path.exists():
            subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                            "sine=f=440:r=48000:d=600", *args, str(path)], check=True)


def mp3_path_cost() -> list[dict[str, Any]]:
    """Median seconds of a full MP3 scan with no profile, daily and twilio, interleaved round by round."""
    rows = []
    for name in MP3S:
        path = LARGE / name
        runs: dict[str, list[float]] = {"none": [], "daily": [], "twilio": []}
        contenders = {
            "none": functools.partial(check_file, path, limits=UNLIMITED),
            "daily": functools.partial(check_file, path, limits=UNLIMITED, profile="daily"),
            "twilio": functools.partial(check_file, path, limits=UNLIMITED, profile="twilio"),
        }
        for action in contenders.values():  # warm the page cache and the lookup tables
            action()
        for _ in range(ROUNDS):
            for key, action in contenders.items():
                runs[key].append(_seconds(action))
        medians = {key: statistics.median(values) for key, values in runs.items()}
        rows.append({"file": name, **{f"{k}_s": round(v, 5) for k, v in medians.items()},
                     "daily_ratio": round(medians["daily"] / medians["none"], 3),
                     "twilio_ratio": round(medians["twilio"] / medians["none"], 3)})
    return rows


def _peak(path: Path) -> int:
    tracemalloc.start()
    try:
        check_file(path, limits=UNLIMITED, profile=ANY_WAV)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def wav_scan() -> list[dict[str, Any]]:
    """ffmpeg's full decode against the WAV scan of each long WAV, with the frame counts compared."""
    rows = []
    for name in WAVS:
        path = LARGE / name
        report = check_file(path, limits=UNLIMITED, profile=ANY_WAV)
        media = report.media
        if media is None or media.frames is None or media.sample_rate is None:
            raise SystemExit(f"{name}: not measured: {report.codes()}")
        truth = ffmpeg_frames(FFMPEG, path)
        decode = [_seconds(lambda p=path: subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-i", str(p), "-f",
                                                          "null", "-"], check=True)) for _ in range(3)]
        scan = [_seconds(functools.partial(check_file, path, limits=UNLIMITED, profile=ANY_WAV)) for _ in range(7)]
        rows.append({"file": name, "bytes": path.stat().st_size, "duration_s": media.duration_s,
                     "frames": media.frames, "ffmpeg_frames": truth, "sample_exact": media.frames == truth,
                     "ffmpeg_decode_s": round(statistics.median(decode), 4),
                     "scan_s": round(statistics.median(scan), 5),
                     "speedup": round(statistics.median(decode) / statistics.median(scan)),
                     "peak_memory_bytes": _peak(path)})
    return rows


def main() -> None:
    """Run both parts, write the JSON results and print the Markdown tables."""
    _ensure_inputs()
    cost = mp3_path_cost()
    wav = wav_scan()
    out = ROOT / "benchmarks" / "_work"
    out.mkdir(exist_ok=True)
    (out / "bench_profiles.json").write_text(json.dumps({"mp3_path": cost, "wav": wav}, indent=1))
    print(f"MP3 full scan, median of {ROUNDS} interleaved rounds:\n")
    print("| file | no profile | profile=\"daily\" | profile=\"twilio\" |")
    print("|---|---:|---:|---:|")
    for r in cost:
        print(f"| `{r['file']}` | {r['none_s'] * 1000:.2f} ms | {r['daily_s'] * 1000:.2f} ms ({r['daily_ratio']:.3f}x) "
              f"| {r['twilio_s'] * 1000:.2f} ms ({r['twilio_ratio']:.3f}x) |")
    print("\n| WAV | size | plays | ffmpeg decode | mediacheck scan | speed-up | sample-exact | peak memory |")
    print("|---|---:|---:|---:|---:|---:|:---:|---:|")
    for r in wav:
        print(f"| `{r['file']}` | {r['bytes'] / 1e6:.1f} MB | {r['duration_s']:.3f} s | {r['ffmpeg_decode_s']:.3f} s "
              f"| {r['scan_s'] * 1000:.1f} ms | **{r['speedup']:,}x** | {'yes' if r['sample_exact'] else 'NO'} "
              f"| {r['peak_memory_bytes'] / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
