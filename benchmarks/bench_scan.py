"""Benchmark the core scan against an ffmpeg full decode of the same long files, in the same run.

Usage: ``python benchmarks/bench_scan.py`` (builds ``fixtures/_large/`` first if it is missing). For each file
it times (median of several runs) a full ffmpeg decode (``ffmpeg -i FILE -f null -``) and mediacheck's full
analysis (limits lifted so nothing stops early), checks that our playback duration is sample-exact against the
decoded sample count, and measures the peak Python memory of a check with tracemalloc. It also times the
default check (which stops at the 60 s / 10 MB verdict). Then the worst case: each hostile 9 MB body from
``fixtures/hostile.py`` checked with the default limits in 64 KiB chunks (as a fetch or an upload feeds it), CPU
time and the bytes read before the verdict. Results go to ``benchmarks/_work/bench_scan.json`` and are printed
as the Markdown tables docs/performance.md quotes.

``--baseline COMMIT`` instead compares this package with itself as it was at COMMIT (loaded beside it as
``mediacheck_base``, see ``bench_profiles.load_baseline``), round by round in one process so machine load hits
both alike: the full scan of each large file and the CPU of each hostile body, medians and best of ``--rounds``,
with the ratio new/old. This is how a change to the scanner shows it costs the frame loop nothing.
"""

from __future__ import annotations

import argparse
import functools
import importlib
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

from fixtures.hostile import WORST_CASES  # noqa: E402
from fixtures.make_fixtures import FFMPEG, LARGE  # noqa: E402
from mediacheck import Limits, check_file  # noqa: E402
from mediacheck._inspector import Inspector  # noqa: E402

FILES = ("cbr-320k-270s.mp3", "vbr-600s.mp3", "mono-8k-3600s.mp3")
UNLIMITED = Limits(size_limit_bytes=10**12, duration_limit_s=1e9)
RUNS = 5
HOSTILE_BYTES = 9_000_000


def _median_seconds(action: Any, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _ffmpeg_decode(path: Path) -> None:
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"], check=True)


def _cpu_median(action: Any, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.process_time()
        action()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def _hostile_check(data: bytes) -> tuple[int, list[str]]:
    """Feed ``data`` the way a fetch does (64 KiB chunks, default limits): bytes read and error codes."""
    inspector = Inspector()
    for at in range(0, len(data), 64 * 1024):
        if inspector.feed(data[at:at + 64 * 1024]):
            break
    inspection = inspector.finish()
    return inspector.bytes_fed, [f.code for f in inspection.findings if f.severity.value == "error"]


def _worst_cases() -> list[dict[str, Any]]:
    rows = []
    for name, build in WORST_CASES.items():
        data = build(HOSTILE_BYTES)
        fed, codes = _hostile_check(data)
        cpu_s = _cpu_median(functools.partial(_hostile_check, data), RUNS)
        rows.append({"case": name, "bytes": len(data), "bytes_read": fed, "errors": codes, "cpu_s": round(cpu_s, 5)})
    return rows


def _peak_memory(path: Path) -> int:
    tracemalloc.start()
    try:
        check_file(path, limits=UNLIMITED)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _hostile_check_with(inspector_class: Any, data: bytes) -> None:
    inspector = inspector_class()
    for at in range(0, len(data), 64 * 1024):
        if inspector.feed(data[at:at + 64 * 1024]):
            break
    inspector.finish()


def compare_with(commit: str, rounds: int) -> None:
    """Time the full scans and the hostile bodies against the package at ``commit``, alternating, and print both."""
    from benchmarks.bench_profiles import load_baseline

    base = load_baseline(commit)
    base_inspector = importlib.import_module("mediacheck_base._inspector").Inspector
    base_unlimited = base.Limits(size_limit_bytes=10**12, duration_limit_s=1e9)
    cases: dict[str, tuple[Any, Any, Any]] = {}
    for name in FILES:
        path = LARGE / name
        cases[name] = (time.perf_counter, functools.partial(base.check_file, path, limits=base_unlimited),
                       functools.partial(check_file, path, limits=UNLIMITED))
    for name, build in WORST_CASES.items():
        data = build(HOSTILE_BYTES)
        cases[f"hostile: {name}"] = (time.process_time, functools.partial(_hostile_check_with, base_inspector, data),
                                     functools.partial(_hostile_check_with, Inspector, data))
    print(f"median (best) of {rounds} alternating rounds; baseline {commit} vs this tree\n")
    print("| case | baseline | this tree | ratio (median) | ratio (best) |")
    print("|---|---:|---:|---:|---:|")
    for name, (clock, old, new) in cases.items():
        old(), new()  # warm the page cache and the lookup tables
        timings: dict[str, list[float]] = {"old": [], "new": []}
        for turn in range(rounds):
            order = (("old", old), ("new", new)) if turn % 2 == 0 else (("new", new), ("old", old))
            for key, action in order:
                started = clock()
                action()
                timings[key].append(clock() - started)
        med = {key: statistics.median(values) for key, values in timings.items()}
        best = {key: min(values) for key, values in timings.items()}
        print(f"| {name} | {med['old'] * 1000:.1f} ({best['old'] * 1000:.1f}) ms "
              f"| {med['new'] * 1000:.1f} ({best['new'] * 1000:.1f}) ms "
              f"| {med['new'] / med['old']:.3f} | {best['new'] / best['old']:.3f} |")


def main() -> None:
    """Run the benchmark, write the JSON results and print the Markdown table."""
    parser = argparse.ArgumentParser(description="Benchmark the core scan.")
    parser.add_argument("--baseline", metavar="COMMIT", help="compare the scan with the package as it was at COMMIT")
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds with --baseline (default 11)")
    args = parser.parse_args()
    manifest_path = LARGE / "manifest.json"
    if not manifest_path.exists():
        subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_fixtures.py"), "--large-only"], check=True)
    if args.baseline:
        compare_with(args.baseline, args.rounds)
        return
    truth = {e["file"]: e for e in json.loads(manifest_path.read_text())["fixtures"]}
    rows: list[dict[str, Any]] = []
    for name in FILES:
        path = LARGE / name
        entry = truth[name]
        report = check_file(path, limits=UNLIMITED)
        media = report.media
        if media is None or media.duration_s is None or media.sample_rate is None:
            raise SystemExit(f"{name}: no MP3 measurements: {report.codes()}")
        ours_samples = round(media.duration_s * media.sample_rate)
        decode_s = _median_seconds(functools.partial(_ffmpeg_decode, path), 3)
        scan_s = _median_seconds(functools.partial(check_file, path, limits=UNLIMITED), RUNS)
        default_s = _median_seconds(functools.partial(check_file, path), RUNS)
        rows.append({
            "file": name, "bytes": path.stat().st_size, "duration_s": media.duration_s,
            "frames": media.frames, "ffmpeg_samples": entry["ffmpeg_samples"], "our_samples": ours_samples,
            "sample_exact": ours_samples == entry["ffmpeg_samples"],
            "ffmpeg_decode_s": round(decode_s, 4), "scan_s": round(scan_s, 5), "speedup": round(decode_s / scan_s, 1),
            "default_check_s": round(default_s, 5), "peak_memory_bytes": _peak_memory(path),
        })
    small_peak = _peak_memory(ROOT / "fixtures" / "cbr-noxing-5s.mp3")
    worst = _worst_cases()
    out = ROOT / "benchmarks" / "_work"
    out.mkdir(exist_ok=True)
    (out / "bench_scan.json").write_text(json.dumps({"rows": rows, "peak_memory_60kb_file": small_peak,
                                                     "worst_cases": worst}, indent=1))
    print("| file | size | plays | ffmpeg decode | mediacheck full scan | speed-up | sample-exact | "
          "default check (early stop) | peak memory |")
    print("|---|---:|---:|---:|---:|---:|:---:|---:|---:|")
    for r in rows:
        print(f"| `{r['file']}` | {r['bytes'] / 1e6:.1f} MB | {r['duration_s']:.3f} s | {r['ffmpeg_decode_s']:.3f} s "
              f"| {r['scan_s'] * 1000:.1f} ms | **{r['speedup']:.0f}x** | {'yes' if r['sample_exact'] else 'NO'} "
              f"| {r['default_check_s'] * 1000:.1f} ms | {r['peak_memory_bytes'] / 1024:.0f} KiB |")
    print(f"\nPeak memory checking a 60 KB file: {small_peak / 1024:.0f} KiB.")
    print("\n| hostile 9 MB body | bytes read | errors | CPU |")
    print("|---|---:|---|---:|")
    for w in worst:
        print(f"| {w['case']} | {w['bytes_read']:,} | {', '.join(w['errors'])} | {w['cpu_s'] * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
