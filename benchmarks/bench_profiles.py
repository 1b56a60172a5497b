"""Benchmark platform profiles: what the profile hooks cost the MP3 path, and the WAV scan against an ffmpeg decode.

Usage: ``python benchmarks/bench_profiles.py [--baseline COMMIT]`` (builds the large MP3s and WAVs into
``fixtures/_large/`` first if missing). Part one checks each large MP3 with no profile, with ``profile="daily"``
and with ``profile="twilio"`` (limits lifted) and, with ``--baseline``, with the package as it was at COMMIT
(extracted with ``git archive`` and imported as ``mediacheck_base``), round by round in one process so machine
load hits all of them alike, and prints the medians and the ratios to the no-profile run (and the best of the
rounds: on a shared machine the minimum is the run least disturbed by others). Part two times a full ffmpeg
decode (``-f null``) against mediacheck's WAV scan of long WAVs, checks the scan's frame count against the
decode's, and measures the scan's peak Python memory. Results go to ``benchmarks/_work/bench_profiles.json``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
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
ROUNDS = 31


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


def load_baseline(commit: str) -> Any:
    """The package as it was at ``commit``, importable beside this one as ``mediacheck_base``."""
    folder = Path(tempfile.mkdtemp(prefix="mediacheck-base-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "mediacheck"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    package = folder / "mediacheck"
    (package / "service").unlink(missing_ok=True)  # the service symlink: not needed for a scan
    for module in package.rglob("*.py"):
        module.write_text(re.sub(r"\bmediacheck([._])", r"mediacheck_base\1", module.read_text()))
    package.rename(folder / "mediacheck_base")
    sys.path.insert(0, str(folder))
    return importlib.import_module("mediacheck_base")


def mp3_path_cost(baseline: Any = None) -> list[dict[str, Any]]:
    """Median seconds of a full MP3 scan with no profile, daily and twilio (and the baseline), round by round."""
    rows = []
    for name in MP3S:
        path = LARGE / name
        contenders = {
            "none": functools.partial(check_file, path, limits=UNLIMITED),
            "daily": functools.partial(check_file, path, limits=UNLIMITED, profile="daily"),
            "twilio": functools.partial(check_file, path, limits=UNLIMITED, profile="twilio"),
        }
        if baseline is not None:
            base_limits = baseline.Limits(size_limit_bytes=10**12, duration_limit_s=1e9)
            contenders["baseline"] = functools.partial(baseline.check_file, path, limits=base_limits)
        runs: dict[str, list[float]] = {key: [] for key in contenders}
        for action in contenders.values():  # warm the page cache and the lookup tables
            action()
        for _ in range(ROUNDS):
            for key, action in contenders.items():
                runs[key].append(_seconds(action))
        medians = {key: statistics.median(values) for key, values in runs.items()}
        best = {key: min(values) for key, values in runs.items()}
        rows.append({"file": name, **{f"{k}_s": round(v, 5) for k, v in medians.items()},
                     **{f"{k}_ratio": round(v / medians["none"], 3) for k, v in medians.items() if k != "none"},
                     **{f"{k}_best_s": round(v, 5) for k, v in best.items()},
                     **{f"{k}_best_ratio": round(v / best["none"], 3) for k, v in best.items() if k != "none"}})
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
    parser = argparse.ArgumentParser(description="Benchmark platform profiles.")
    parser.add_argument("--baseline", metavar="COMMIT", help="also time the package as it was at COMMIT")
    args = parser.parse_args()
    _ensure_inputs()
    cost = mp3_path_cost(load_baseline(args.baseline) if args.baseline else None)
    wav = wav_scan()
    out = ROOT / "benchmarks" / "_work"
    out.mkdir(exist_ok=True)
    (out / "bench_profiles.json").write_text(json.dumps({"mp3_path": cost, "wav": wav}, indent=1))
    print(f"MP3 full scan, median (best) of {ROUNDS} interleaved rounds, ratio to no profile:\n")
    keys = [k for k in ("baseline", "none", "daily", "twilio") if f"{k}_s" in cost[0]]
    titles = {"baseline": "before (baseline)", "none": "no profile", "daily": 'profile="daily"',
              "twilio": 'profile="twilio"'}
    print("| file | " + " | ".join(titles[k] for k in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for r in cost:
        cells = []
        for k in keys:
            ratio = "" if k == "none" else f" ({r[k + '_ratio']:.3f}x; best {r[k + '_best_ratio']:.3f}x)"
            cells.append(f"{r[k + '_s'] * 1000:.2f} ms (best {r[k + '_best_s'] * 1000:.2f}){ratio}")
        print(f"| `{r['file']}` | " + " | ".join(cells) + " |")
    print("\n| WAV | size | plays | ffmpeg decode | mediacheck scan | speed-up | sample-exact | peak memory |")
    print("|---|---:|---:|---:|---:|---:|:---:|---:|")
    for r in wav:
        print(f"| `{r['file']}` | {r['bytes'] / 1e6:.1f} MB | {r['duration_s']:.3f} s | {r['ffmpeg_decode_s']:.3f} s "
              f"| {r['scan_s'] * 1000:.1f} ms | **{r['speedup']:,}x** | {'yes' if r['sample_exact'] else 'NO'} "
              f"| {r['peak_memory_bytes'] / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
