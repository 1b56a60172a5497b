"""A hostile upstream cannot make one fetch do unbounded work: interim floods and fragmented bodies are findings.

Raw-socket loopback servers play the attacks; an honest server that answers in small pieces still passes.
The CPU these attacks cost is measured in benchmarks/bench_hostile_upstream.py, not here.
"""

from __future__ import annotations

import socket
import threading

import httpcore2
import pytest

from mediacheck import Limits
from mediacheck._fetch import SafeFetcher
from mediacheck._fetch_budget import (
    FREE_BODY_EVENTS,
    FREE_FRAMING_BYTES,
    MAX_INTERIM_RESPONSES,
    MIN_BYTES_PER_EVENT,
    FetchBudget,
    UpstreamTooCostly,
)
from tests.fetch.conftest import LOOPBACK, fetch_with
from tests.support.media import MediaFactory
from tests.support.servers import LoopbackServer, RawResponder, RawServer, Static, response_head

INTERIM = b"HTTP/1.1 102 Processing\r\n\r\n"
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"


def _interim_then(interim: list[bytes], body: bytes, *, byte_by_byte: bool = False) -> RawResponder:
    """Send the interim responses (one byte per send if asked), then the answer with ``body``."""

    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = b"".join(interim)
        if byte_by_byte:
            for i in range(len(data)):
                conn.sendall(data[i:i + 1])
        else:
            conn.sendall(data)
        conn.sendall(response_head(headers=[("Content-Length", str(len(body)))]) + body)

    return respond


def _endless_interim(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    burst = INTERIM * 64
    while not stopping.is_set():
        conn.sendall(burst)


def _one_byte_chunks(body: bytes, *, extension: bytes = b"") -> RawResponder:
    """A chunked answer sending ``body`` over and over in 1-byte chunks, endlessly."""

    def respond(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        conn.sendall(response_head(headers=[("Transfer-Encoding", "chunked")]))
        framed = b"".join(b"1" + extension + b"\r\n" + body[i:i + 1] + b"\r\n" for i in range(len(body)))
        while not stopping.is_set():
            conn.sendall(framed)

    return respond


LIMITS = Limits(timeout_s=10.0)


class TestInterimResponses:
    """1xx responses before the answer: a few are fine, a flood is refused at once."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_a_few_interim_responses_are_fine(self, mode: str, short_mp3: bytes) -> None:
        """103 Early Hints and a few 102s, then the file: the check passes."""
        interim = [EARLY_HINTS] + [INTERIM] * (MAX_INTERIM_RESPONSES - 1)
        with RawServer(_interim_then(interim, short_mp3)) as server, \
                SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert report.ok, report.findings
        assert report.fetch is not None
        assert report.fetch.bytes_read == len(short_mp3)

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize("byte_by_byte", [False, True])
    def test_one_too_many_is_refused(self, mode: str, byte_by_byte: bool, short_mp3: bytes) -> None:
        """One interim response over the cap fails the fetch, even when every status line arrives a byte at a time."""
        interim = [INTERIM] * (MAX_INTERIM_RESPONSES + 1)
        with RawServer(_interim_then(interim, short_mp3, byte_by_byte=byte_by_byte)) as server, \
                SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert [f.code for f in report.errors] == ["access.interim-responses"]
        assert report.fetch is not None
        assert report.fetch.bytes_read == 0

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_endless_interim_responses_end_at_once(self, mode: str) -> None:
        """A server sending 102 Processing forever is refused long before the 10 s deadline (no access.timeout)."""
        with RawServer(_endless_interim) as server, SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert [f.code for f in report.errors] == ["access.interim-responses"]  # refused, not access.timeout
        assert report.errors[0].message.endswith(
            f"sent more than {MAX_INTERIM_RESPONSES} interim (1xx) responses before its answer.")
        assert report.fetch is not None
        assert report.fetch.bytes_read == 0


@pytest.fixture(scope="module")
def dense_mp3(make_media: MediaFactory) -> bytes:
    """A 50-second 320 kbps MP3 (2 MB): passes, and has no early verdict to hide behind."""
    return make_media.tone_mp3(50, "320k").read_bytes()


class TestFragmentedBodies:
    """A body in tiny pieces (or buried in framing) is refused after a bounded amount of work."""

    def test_the_framing_allowance_covers_one_read(self) -> None:
        """A read is checked before its body bytes count, so the free allowance must hold one whole read: were
        httpcore2 to read more at a time, every plain download past the allowance would be refused."""
        assert httpcore2.HTTP11Connection.READ_NUM_BYTES <= FREE_FRAMING_BYTES
        assert httpcore2.AsyncHTTP11Connection.READ_NUM_BYTES <= FREE_FRAMING_BYTES

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_one_byte_chunks_are_refused(self, mode: str, dense_mp3: bytes) -> None:
        """Real MP3 bytes in endless 1-byte chunks: access.fragmented-body after about FREE_BODY_EVENTS bytes."""
        # 16 KB of real frames, repeated: more than the budget lets through, and no early "not MP3" verdict.
        with RawServer(_one_byte_chunks(dense_mp3[:16_384])) as server, \
                SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert [f.code for f in report.errors] == ["access.fragmented-body"]
        assert report.fetch is not None
        assert FREE_BODY_EVENTS <= report.fetch.bytes_read <= 2 * FREE_BODY_EVENTS

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_chunk_extension_padding_is_refused(self, mode: str, dense_mp3: bytes) -> None:
        """1-byte chunks each carrying a 10 KB chunk extension are refused within the first 64 KiB of framing."""
        responder = _one_byte_chunks(dense_mp3[:4096], extension=b";x=" + b"a" * 10_000)
        with RawServer(responder) as server, SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert [f.code for f in report.errors] == ["access.fragmented-body"]
        assert report.fetch is not None
        assert report.fetch.bytes_read < 20

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_honest_small_chunks_pass(self, mode: str, dense_mp3: bytes) -> None:
        """A 2 MB file in 300-byte chunks (about 7,000 of them, past the free events) passes: it is not fragmented."""
        assert len(dense_mp3) // 300 > FREE_BODY_EVENTS
        with LoopbackServer({"/a.mp3": Static(dense_mp3, chunked=True, chunk_size=300)}) as server, \
                SafeFetcher(limits=LIMITS, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert report.ok, report.findings
        assert report.fetch is not None
        assert report.fetch.bytes_read == len(dense_mp3)


def _feed(budget: FetchBudget, *, size: int, times: int) -> None:
    """Read ``times`` pieces of ``size`` body bytes, each handed up as one chunk."""
    piece = b"x" * size
    for _ in range(times):
        budget.on_read(piece)
        budget.on_body_chunk(size)


class TestBudgetAccount:
    """The per-fetch account itself, fed as the network stream and the body loop feed it."""

    def test_tiny_events_exhaust_the_event_budget(self) -> None:
        """1-byte reads of a Content-Length body (no framing to blame) are refused after the free events."""
        budget = FetchBudget(deadline=0.0)
        with pytest.raises(UpstreamTooCostly) as raised:
            _feed(budget, size=1, times=10 * FREE_BODY_EVENTS)
        assert raised.value.kind == "body-events"
        assert budget.body_events == FREE_BODY_EVENTS + FREE_BODY_EVENTS // MIN_BYTES_PER_EVENT + 1

    def test_segment_sized_reads_never_exhaust_it(self) -> None:
        """A 10 MB body read a TCP segment (536 bytes, a small MSS) at a time is within budget all the way."""
        budget = FetchBudget(deadline=0.0)
        _feed(budget, size=536, times=10_000_000 // 536)
        assert budget.body_events == 10_000_000 // 536

    @pytest.mark.parametrize("piece", [1, 5, 13, 64 * 1024])
    def test_interim_responses_are_counted_however_the_reads_fall(self, piece: int) -> None:
        """Status lines split across reads are each counted once; the answer's head ends the count."""
        stream = INTERIM * MAX_INTERIM_RESPONSES + response_head(headers=[("Content-Length", "40")]) + INTERIM * 40
        budget = FetchBudget(deadline=0.0)
        budget.start_response()
        for start in range(0, len(stream), piece):
            budget.on_read(stream[start:start + piece])
        assert budget.interim_responses == MAX_INTERIM_RESPONSES
        budget.start_response()
        with pytest.raises(UpstreamTooCostly):
            _feed_head(budget, INTERIM, piece)
        assert budget.interim_responses == MAX_INTERIM_RESPONSES + 1


def _feed_head(budget: FetchBudget, data: bytes, piece: int) -> None:
    for start in range(0, len(data), piece):
        budget.on_read(data[start:start + piece])
