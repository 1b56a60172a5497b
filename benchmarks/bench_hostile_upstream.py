"""Benchmark what a hostile upstream costs one fetch: CPU of the fetching thread, wall time, the verdict.

Run: ``python benchmarks/bench_hostile_upstream.py`` (add ``--timeout S``, default 10; each attack runs until
the fetch gives up, so at worst that long). Raw-socket loopback servers play:

- ``endless_102``: ``102 Processing`` interim responses in a tight loop, never a final answer;
- ``one_byte_chunks``: a chunked body of 1-byte chunks, sent as fast as the socket takes them: a real 320 kbps
  MP3, repeated, so the scanner has no early verdict before the 60 s limit (2.4 MB, 2.4 million chunks);
- ``one_byte_writes``: the same MP3 bytes with a Content-Length (9.9 MB), written 1 byte per send with Nagle
  off, so each read comes back nearly empty;
- ``chunk_extensions``: 1-byte chunks of it, each carrying a 60 KB chunk extension (parsing per body byte);
- ``slow_cdn`` (the honest case the budgets must let through): a 30 s, 64 kbps MP3 (240 KB) sent in
  1,400-byte writes at about 64 KB/s.

Each server runs in its own process (in-process threads would share the GIL with the check and hide its cost);
CPU is ``time.thread_time`` of the thread running the (sync) check. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediacheck import Limits, SafeFetcher
from mediacheck._ffmpeg import find_ffmpeg
from tests.support.servers import RawServer, response_head

LOOPBACK = ("127.0.0.0/8",)
Responder = Callable[[socket.socket, bytes, threading.Event], None]


def endless_102(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    """Interim responses until the client hangs up."""
    burst = b"HTTP/1.1 102 Processing\r\n\r\n" * 256
    while not stopping.is_set():
        conn.sendall(burst)


def _endless(mp3: bytes) -> Iterator[bytes]:
    while True:
        yield from (mp3[i:i + 1] for i in range(len(mp3)))


def one_byte_chunks(mp3: bytes, conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    """A chunked body of 1-byte chunks of a real MP3, repeated, endless."""
    conn.sendall(response_head(headers=[("Transfer-Encoding", "chunked")]))
    framed = b"".join(b"1\r\n" + mp3[i:i + 1] + b"\r\n" for i in range(len(mp3)))
    while not stopping.is_set():
        conn.sendall(framed)


def one_byte_writes(mp3: bytes, conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    """The MP3, repeated, as a 9.9 MB Content-Length body, one byte per send with Nagle off."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sendall(response_head(headers=[("Content-Length", "9900000")]))
    for byte in _endless(mp3):
        if stopping.is_set():
            return
        conn.send(byte)


def chunk_extensions(mp3: bytes, conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    """1-byte chunks of the MP3, each with a 60 KB chunk extension."""
    conn.sendall(response_head(headers=[("Transfer-Encoding", "chunked")]))
    extension = b";x=" + b"a" * 60_000
    for byte in _endless(mp3):
        if stopping.is_set():
            return
        conn.sendall(b"1" + extension + b"\r\n" + byte + b"\r\n")


def slow_cdn(mp3: bytes, conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    """The honest slow server: the whole file in 1,400-byte writes at about 64 KB/s."""
    conn.sendall(response_head(headers=[("Content-Length", str(len(mp3)))]))
    for start in range(0, len(mp3), 1400):
        if stopping.wait(1400 / 64_000):
            return
        conn.sendall(mp3[start:start + 1400])


def make_mp3(bitrate: str) -> bytes:
    """30 s of a tone, 44.1 kHz mono, at ``bitrate``."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "hold.mp3"
        subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=30", "-ac", "1", "-c:a", "libmp3lame", "-b:a", bitrate,
                        str(out)], check=True)
        return out.read_bytes()


def _serve(respond: Responder, pipe: Connection) -> None:
    with RawServer(respond) as server:
        pipe.send(server.port)
        pipe.recv()  # told to stop


def measure(respond: Responder, timeout_s: float) -> dict[str, object]:
    """One sync check against ``respond`` served by another process: thread CPU, wall time, codes, bytes read."""
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(respond, theirs), daemon=True)
    server.start()
    try:
        port = ours.recv()
        with SafeFetcher(limits=Limits(timeout_s=timeout_s), allow_networks=LOOPBACK) as fetcher:
            wall, cpu = time.perf_counter(), time.thread_time()
            report = fetcher.check(f"http://127.0.0.1:{port}/hold.mp3")
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    finally:
        ours.send("stop")
        server.join(10)
    return {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "cpu_share": round(cpu / wall, 2),
            "codes": [f.code for f in report.errors], "ok": report.ok,
            "bytes_read": report.fetch.bytes_read if report.fetch else None}


def main() -> None:
    """Run every attack and the honest slow server once; print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="the fetch deadline, seconds")
    args = parser.parse_args()
    dense, light = make_mp3("320k"), make_mp3("64k")
    attacks: dict[str, Responder] = {
        "endless_102": endless_102,
        "one_byte_chunks": functools.partial(one_byte_chunks, dense),
        "one_byte_writes": functools.partial(one_byte_writes, dense),
        "chunk_extensions": functools.partial(chunk_extensions, dense),
        "slow_cdn": functools.partial(slow_cdn, light),
    }
    results = {name: measure(respond, args.timeout) for name, respond in attacks.items()}
    print(json.dumps({"timeout_s": args.timeout, **results}, indent=2))


if __name__ == "__main__":
    main()
