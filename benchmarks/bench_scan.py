"""Benchmark the core scan against an ffmpeg full decode of the same long files, in the same run.

Usage: ``python benchmarks/bench_scan.py`` (builds ``fixtures/_large/`` first if it is missing). For each file
it times (median of several runs) a full ffmpeg decode (``ffmpeg -i FILE -f null -``) and mediacheck's full
analysis (limits lifted so nothing stops early), checks that our playback duration is sample-exact against the
decoded sample count, and measures the peak Python memory of a check with tracemalloc. It also times the
default check (which stops at the 60 s / 10 MB verdict). Then the worst case: each hostile 9 MB body from
``fixtures/hostile.py`` checked with the default limits in 64 KiB chunks (as a fetch or an upload feeds it), CPU
time and the bytes read before the verdict. Results go to ``benchmarks/_work/bench_scan.json`` and are printed
as the Markdown tables docs/performance.md quotes.
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


def main() -> None:
    """Run the benchmark, write the JSON results and print the Markdown table."""
    manifest_path = LARGE / "manifest.json"
    if not manifest_path.exists():
        subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_fixtures.py"), "--large-only"], check=True)
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
            "ffmpeg_decode_s": round(decode_s, 4), "scan_s": round(scan_s, 4), "speedup": round(decode_s / scan_s, 1),
            "default_check_s": round(default_s, 4), "peak_memory_bytes": _peak_memory(path),
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
              f"| {r['scan_s']:.3f} s | **{r['speedup']:.0f}x** | {'yes' if r['sample_exact'] else 'NO'} "
              f"| {r['default_check_s'] * 1000:.1f} ms | {r['peak_memory_bytes'] / 1024:.0f} KiB |")
    print(f"\nPeak memory checking a 60 KB file: {small_peak / 1024:.0f} KiB.")
    print("\n| hostile 9 MB body | bytes read | errors | CPU |")
    print("|---|---:|---|---:|")
    for w in worst:
        print(f"| {w['case']} | {w['bytes_read']:,} | {', '.join(w['errors'])} | {w['cpu_s'] * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
