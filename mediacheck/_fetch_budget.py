"""What one fetch may cost: one total deadline, and bounded work per byte of answer however the server sends it.

httpx2's timeouts are per operation, so a server dripping a byte a second never trips them: the deadline lives
here, in a context variable set for the duration of one fetch, and every network step gets only the time left.

Time alone does not bound the CPU a fetch burns before its deadline. A hostile server can keep a core busy
with answers that cost little to send and much to take apart: endless ``102 Processing`` interim responses
(httpcore reads past every one of them, unseen by us), a body in 1-byte chunks (each one an event through
h11, httpcore, httpx2 and the scanner), or chunk headers padded with extensions. So each fetch also keeps:

- an interim budget: at most ``MAX_INTERIM_RESPONSES`` 1xx responses before the real answer (a CDN sends one
  ``103 Early Hints``, a slow WebDAV server a few ``102``; nothing honest sends dozens);
- an event budget: after ``FREE_BODY_EVENTS`` body events, at least ``MIN_BYTES_PER_EVENT`` body bytes on
  average per event. An honest slow server is slow in time, not in events: a 16 KB/s CDN still delivers a
  TCP segment (500-1,460 bytes) or more per read, and chunked servers write kilobytes per chunk;
- a framing budget: the bytes read for the body at most ``MAX_FRAMING_FACTOR`` times the body bytes they
  carry, plus ``FREE_FRAMING_BYTES`` (chunk headers, trailers; honest chunked framing is a few percent).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

MAX_INTERIM_RESPONSES = 8
# Each body event costs about 7 µs on its way through h11, httpcore2, httpx2 and the scanner: 512 free events keep
# what a fragmenting server can cost near an honest check's few milliseconds (4,096 let it cost ~30 ms a fetch).
FREE_BODY_EVENTS = 512
MIN_BYTES_PER_EVENT = 256
MAX_FRAMING_FACTOR = 2
# At least one read (httpcore2 reads 64 KiB at a time): each read is checked before the body bytes it carries
# are counted, so a smaller allowance refuses the first read of any plain download (measured with 256 KiB reads).
FREE_FRAMING_BYTES = 64 * 1024

# Status lines are counted in the bytes read before the answer's head is done: h11 itself bounds each head
# (100 KiB), so bounding their number bounds the work. "\nHTTP/1.1 102" is 13 bytes; the carry keeps enough of
# one read to see a status line split between two. bytes.find, not a regex: a regex scan of each 64 KiB read
# cost 0.1-1.7 ms, a find stops at the first status line (the answer's own, in an honest response).
_STATUS_START = b"\nHTTP/"
_STATUS_LENGTH = 13
_STATUS_LINE = re.compile(rb"\nHTTP/\d\.\d \d\d\d")


class DeadlineExceeded(Exception):
    """The fetch's total time budget ran out."""


class UpstreamTooCostly(Exception):
    """The server's answer costs more work than any honest file server's would; ``kind`` says which budget."""

    def __init__(self, kind: str, count: int) -> None:
        super().__init__(f"{kind}: {count}")
        self.kind = kind  # "interim-responses", "body-events" or "body-framing"
        self.count = count


@dataclass
class FetchBudget:
    """The running account of one fetch: its deadline and the work the server's answer has cost so far."""

    deadline: float
    awaiting_head: bool = False
    interim_responses: int = 0
    body_events: int = 0
    body_bytes: int = 0
    body_wire_bytes: int = 0
    _carry: bytes = b"\n"
    _answer_seen: bool = False

    def start_response(self) -> None:
        """A request was sent: what is read next is a response head, until ``end_head``."""
        self.awaiting_head = True
        self._carry = b"\n"
        self._answer_seen = False

    def end_head(self) -> None:
        """The final response head arrived: what is read next is body."""
        self.awaiting_head = False

    def on_read(self, data: bytes) -> None:
        """Account for bytes read off the connection; raise UpstreamTooCostly past a budget."""
        if self.awaiting_head:
            if not self._answer_seen:
                self._count_interim(data)
            return
        self.body_wire_bytes += len(data)
        if self.body_wire_bytes > MAX_FRAMING_FACTOR * self.body_bytes + FREE_FRAMING_BYTES:
            raise UpstreamTooCostly("body-framing", self.body_wire_bytes)

    def _count_interim(self, data: bytes) -> None:
        seen = self._carry + data
        start = 0
        while (at := seen.find(_STATUS_START, start)) >= 0 and at + _STATUS_LENGTH <= len(seen):
            start = at + 1
            if at + _STATUS_LENGTH <= len(self._carry) or not _STATUS_LINE.match(seen, at):
                continue  # counted with the previous read, or no status line after all
            if seen[at + _STATUS_LENGTH - 3] != ord("1"):
                self._answer_seen = True  # the answer's own head: what follows is its headers and body
                return
            self.interim_responses += 1
            if self.interim_responses > MAX_INTERIM_RESPONSES:
                raise UpstreamTooCostly("interim-responses", self.interim_responses)
        self._carry = seen[-_STATUS_LENGTH:]

    def on_body_chunk(self, size: int) -> None:
        """Account for one body chunk handed up the stack; raise UpstreamTooCostly past the event budget."""
        self.body_events += 1
        self.body_bytes += size
        if self.body_events > FREE_BODY_EVENTS + self.body_bytes // MIN_BYTES_PER_EVENT:
            raise UpstreamTooCostly("body-events", self.body_events)


_current: ContextVar[FetchBudget | None] = ContextVar("mediacheck_fetch_budget", default=None)


@contextlib.contextmanager
def fetch_deadline(seconds: float) -> Iterator[FetchBudget]:
    """Give every network step inside this block a share of one total budget of ``seconds``, and count its work."""
    budget = FetchBudget(deadline=time.monotonic() + seconds)
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def current_budget() -> FetchBudget | None:
    """The budget of the fetch running in this context, if any."""
    return _current.get()


def time_left(timeout: float | None = None) -> float | None:
    """The smaller of ``timeout`` and the time left before the deadline; raise once it has passed."""
    budget = _current.get()
    if budget is None:
        return timeout
    remaining = budget.deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceeded("the fetch deadline passed")
    return remaining if timeout is None else min(timeout, remaining)
