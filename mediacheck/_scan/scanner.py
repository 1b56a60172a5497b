"""The incremental MPEG audio stream scanner: chunks of any size in, measured facts out, in O(1) memory.

A small state machine over the byte stream: leading ID3v2 tags, then sniffing the first bytes (other
formats stop the scan at once), then an MPEG frame sync that needs ``CONFIRM_FRAMES`` consistent frames
before it is trusted, then the frame loop, which also skips tags met mid-stream and resyncs after junk.
Between chunks it keeps only a carry-over of at most a few frames (``_carry``) plus a count of bytes to
skip (a frame body or a tag running past the chunk), so a byte-at-a-time feed and a whole-file feed walk
the same states and give the same answer. What tags cost and say is kept by :mod:`mediacheck._scan.tag_ledger`;
the bytes between frames once locked (junk, mid-stream tag bodies) and the detour budget by
:mod:`mediacheck._scan.offchain`; what FFmpeg makes of the stream (where it reads the header and starts playing,
which frames it skips or drops, the lone headers in junk it may decode) by :mod:`mediacheck._scan.playback`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from mediacheck._facts import MediaFacts
from mediacheck._limits import Limits
from mediacheck._rules import CORRUPT_JUNK_SHARE
from mediacheck._scan import mpeg as _mpeg
from mediacheck._scan import tags as _tags
from mediacheck._scan.mpeg import FRAME_LENGTH, FREE_FORMAT, LOCK_MASK, chain_frames, ffmpeg_pair
from mediacheck._scan.offchain import OffChain
from mediacheck._scan.playback import FFmpegPlayback
from mediacheck._scan.sniff import SNIFF_BYTES, Sniffed, sniff
from mediacheck._scan.tag_ledger import TagLedger

# A sync is trusted after this many consecutive consistent frames (false syncs inside junk, pictures or
# other formats rarely chain four times); a shorter chain counts only if it ends exactly at a tag or the end.
CONFIRM_FRAMES = 4
# With no frame sync in this many bytes after the leading tags, the file is not MPEG audio.
SYNC_SEARCH_LIMIT = 128 * 1024
# Bytes kept from the stream's end, to recognise trailing tags (APEv2 footer, Lyrics3v2, ID3v1) in junk.
_TAIL_BYTES = 512
# Enough for a frame header plus the Xing marker check of the frame loop (offset <= 38, 4 bytes).
_FRAME_PEEK = 48
_TAG_MAGIC_BYTES = len(b"APETAGEX")
_LONGEST_TAG_MAGIC = len(b"LYRICSBEGIN")
# Chunks are scanned in slices of at most this size, bounding the copy each scan step makes.
_MAX_PIECE = 256 * 1024
_MAX_FREE_FORMAT_SEARCH = _mpeg.MAX_FRAME_BYTES + 4

_START, _SNIFF, _SYNC, _FRAMES, _RESYNC, _FINISHED = range(6)
_SKIP_FRAME, _SKIP_TAG = 1, 2


def _is_layer_iii(data: bytes, pos: int) -> bool:
    """True when the header at ``pos`` says Layer III."""
    return (data[pos + 1] >> 1) & 3 == 1


@functools.cache  # one per locked stream kind, like the sync patterns it extends
def _resync_pattern(lock: int) -> re.Pattern[bytes]:
    """Any legal header (the locked stream's, or another kind's) or a tag's magic, whichever comes first, in one pass.

    One search (not a sync search plus a ``find`` per tag magic) keeps resyncing linear: searching the rest of
    the buffer again for each stray "ID3" made junk full of them quadratic (65 s of CPU for 0.9 MB). Headers of
    other kinds are matched so that a second stream (another rate or version, joined on) is noticed, not
    silently counted as junk.
    """
    return re.compile(_mpeg.SYNC_CANDIDATE.pattern + b"|ID3|TAG|APETAGEX")


class StreamScanner:
    """Scans a byte stream fed in chunks; ``feed`` returns True once the verdict is certain."""

    def __init__(self, limits: Limits, declared_size: int | None) -> None:
        self._limits = limits
        self._declared_size = declared_size
        self._fed = 0
        self._done = False
        self._stopped_early = False
        self._state = _START
        self._carry = bytearray()
        self._scanned = 0  # bytes handed to the state machine so far (the end of the current buffer)
        self._base = 0  # the stream offset of the current buffer's first byte
        self._need = 1
        self._stall = False
        self._skip = 0
        self._skip_kind = 0
        self._tail = b""
        # Format verdict.
        self._sniffed: Sniffed | None = None
        self._prefix_junk = 0
        # Stream lock and counters (the hot loop keeps these in locals and writes them back).
        self._lock = 0
        self._resync_pattern = _mpeg.SYNC_CANDIDATE
        self._locked_pattern = _mpeg.SYNC_CANDIDATE
        self._abandoned = False
        self._mixed = False
        self._version_bits = 0
        self._layer = 0
        self._rate = 0
        self._spf = 0
        self._channels = 0
        self._xing_at = 0
        self._max_frames = 0
        self._frames = 0
        self._audio_bytes = 0
        self._bitrates_seen = 0
        self._last_frame_bytes = 0
        self._extra_headers = 0
        # Where FFmpeg reads the header and starts playing, which frames it skips or drops, and the lone headers
        # in junk it may decode: the playback duration is FFmpeg's, and the stream duration never less.
        self._ffmpeg = FFmpegPlayback()
        self._free_format = False
        self._free_length = 0
        self._truncated = False
        self._ledger = TagLedger()
        # Bytes between frames once locked; a tag met mid-stream is searched for frames, its size only counted.
        self._off = OffChain(math.ceil(CORRUPT_JUNK_SHARE * limits.size_limit_bytes), self._ledger)
        self._skip_tag_name = "id3v2"

    @property
    def done(self) -> bool:
        """True once more bytes cannot change the verdict."""
        return self._done

    @property
    def bytes_fed(self) -> int:
        """How many bytes the inspector has been fed."""
        return self._fed

    @property
    def detours(self) -> int:
        """Steps taken off the frame chain so far (false headers, junk runs, mid-stream tags, extra Xing frames)."""
        return self._off.detours

    # -- feeding ---------------------------------------------------------------------------------------

    def feed(self, chunk: bytes | bytearray | memoryview) -> bool:
        """Take the next chunk; return True when the source may stop (the verdict is certain)."""
        if self._done:
            return True
        view = memoryview(chunk).cast("B") if not isinstance(chunk, bytes) else memoryview(chunk)
        n = len(view)
        if not n:
            return False
        # Bytes past the size limit are never scanned, so the verdict, the frames and the durations are the
        # same however the stream was chunked; big chunks go through in slices so copies stay small.
        room = self._limits.size_limit_bytes - self._fed
        self._fed += n
        if n <= _MAX_PIECE and n <= room:  # the common case: one piece, the whole chunk
            self._feed_piece(view)
            if self._done:
                return True
            if self._fed >= self._limits.size_limit_bytes:
                self._stop()
            return self._done
        for start in range(0, min(n, room), _MAX_PIECE):
            self._feed_piece(view[start:min(start + _MAX_PIECE, room)])
            if self._done:
                return True
        if self._fed >= self._limits.size_limit_bytes:
            self._stop()
        return self._done

    def _feed_piece(self, view: memoryview) -> None:
        n = len(view)
        self._scanned += n
        if n >= _TAIL_BYTES:
            self._tail = bytes(view[-_TAIL_BYTES:])
        else:
            self._tail = (self._tail + bytes(view))[-_TAIL_BYTES:]
        i = 0
        if self._skip:
            i = min(self._skip, n)
            self._skip -= i
            if self._skip_kind == _SKIP_TAG:
                self._ledger.capture(view[:i])
        if i < n:
            carry = self._carry
            if carry or n - i < self._need:
                carry += view[i:]
                if len(carry) >= self._need:
                    data = bytes(carry)
                    carry.clear()
                    self._run(data, eof=False)
            else:
                whole = view.obj
                if i or type(whole) is not bytes or len(whole) != n:  # exactly bytes: immutable, so no copy needed
                    whole = bytes(view[i:])
                self._run(whole, eof=False)

    def _stop(self) -> None:
        self._done = True
        self._stopped_early = True

    def _run(self, data: bytes, *, eof: bool) -> None:
        pos, end = 0, len(data)
        self._base = self._scanned - end
        handlers = _HANDLERS
        self._stall = False
        self._need = 1
        while pos < end and not self._done and self._state != _FINISHED:
            pos = handlers[self._state](self, data, pos, end, eof)
            if self._stall:
                break
        if self._done:
            return
        if self._stall and not eof:
            # A handler that stalls must ask for more than it has, or the carry would grow without progress.
            self._need = max(self._need, end - pos + 1)
            self._carry += memoryview(data)[pos:]
        elif pos > end:
            self._skip = pos - end

    # -- states ----------------------------------------------------------------------------------------

    def _need_more(self, pos: int, end: int, needed: int) -> int:
        self._stall = True
        self._need = needed
        return pos

    def _at_start(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """Leading tags: ID3v2 (any number of them) and, as some taggers write it, an APEv2 tag."""
        if data[pos] == 0x41:  # "A": an APEv2 tag with a header, placed before the audio
            if end - pos < _tags.APE_HEADER_BYTES and not eof:
                return self._need_more(pos, end, _tags.APE_HEADER_BYTES)
            ape = _tags.ape_size(data[pos:pos + _tags.APE_HEADER_BYTES])
            if ape is not None and ape > _tags.APE_HEADER_BYTES:
                self._ffmpeg.at_start = False  # FFmpeg skips no APE tag: its stream (and header search) starts here
                self._ledger.count("apev2", ape)
                self._skip_kind = _SKIP_TAG
                self._skip_tag_name = "apev2"
                return pos + ape
        if data[pos] != 0x49:  # "I"
            self._state = _SNIFF
            return pos
        if end - pos < _tags.ID3V2_HEADER_BYTES and not eof:
            return self._need_more(pos, end, _tags.ID3V2_HEADER_BYTES)
        size = _tags.leading_id3v2_size(data[pos:pos + _tags.ID3V2_HEADER_BYTES])
        if size is None:
            self._state = _SNIFF
            return pos
        if self._ffmpeg.at_start:
            self._ffmpeg.leading_bytes += size
        self._detour()  # a real file has a tag or two here; a flood of tiny ones (9 MB: 1 s of CPU) is given up on
        if self._done:
            return pos
        return self._enter_id3v2(data, pos, end, size)

    def _enter_id3v2(self, data: bytes, pos: int, end: int, size: int) -> int:
        self._ledger.count("id3v2", size)
        self._skip_tag_name = "id3v2"
        self._ledger.begin_id3v2(size)
        self._skip_kind = _SKIP_TAG
        self._ledger.capture(memoryview(data)[pos:pos + size])
        return pos + size

    def _at_sniff(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        if end - pos < SNIFF_BYTES and not eof:
            return self._need_more(pos, end, SNIFF_BYTES)
        verdict = sniff(data[pos:pos + SNIFF_BYTES])
        if verdict is not None:
            self._sniffed = verdict
            self._stop()
            return pos
        self._ffmpeg.read_header(data, pos)
        self._state = _SYNC
        return pos

    def _at_sync(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """Search for a trustworthy frame sync: the first one (any layer), or the locked stream's after junk."""
        initial = self._state == _SYNC
        lock = None if initial else self._lock
        # After the lock the pattern also matches tag magics, so one search finds whichever comes first.
        pattern = _mpeg.SYNC_CANDIDATE if initial else self._resync_pattern
        while True:
            if not initial and self._base + pos < self._ffmpeg.stray_until:
                # Inside a stray frame: FFmpeg's parser cut that frame whole, so no frame or tag starts in it.
                upto = min(end, self._ffmpeg.stray_until - self._base)
                self._take(data, pos, upto)
                pos = upto
                if self._done or pos >= end:
                    return pos
            if self._off.tag_run_left and not initial:
                # Inside a mid-stream tag's claimed size: only the locked stream's frames can end it early.
                limit = min(end, pos + self._off.tag_run_left)
                match = self._locked_pattern.search(data, pos, limit)
                if match is None:
                    if limit == end and not eof:
                        kept = max(pos, end - 2)  # a header's first bytes may be cut by the buffer's end
                        self._take(data, pos, kept)
                        return self._need_more(kept, end, 3)
                    self._take(data, pos, limit)
                    pos = limit
                    if not self._off.tag_run_left:  # the tag ended where it said: look at what follows, as after a skip
                        self._state = _FRAMES
                        return pos
                    if pos >= end:
                        return pos
                    continue
                candidate = match.start()
            else:
                match = pattern.search(data, pos, end)
                candidate = match.start() if match is not None else -1
                if candidate > end - _TAG_MAGIC_BYTES and not eof and data[candidate] != 0xFF:
                    candidate = -1  # "TAG" or "ID3" this close to the end may be inside a cut "APETAGEX": wait
            if candidate >= 0 and data[candidate] != 0xFF:
                self._take(data, pos, candidate)
                self._state = _FRAMES
                return candidate
            if candidate < 0:
                if not eof:
                    # Keep the last bytes: a tag's magic ("TAG", "APETAGEX") may be cut by the buffer's end.
                    kept = max(pos, end - _TAG_MAGIC_BYTES + 1)
                    self._take(data, pos, kept)
                    if initial and self._prefix_junk > SYNC_SEARCH_LIMIT:
                        return self._give_up_sync(kept)
                    return self._need_more(kept, end, _TAG_MAGIC_BYTES)
                candidate = end
            self._take(data, pos, candidate)
            pos = candidate
            if self._done:
                return pos
            if initial and self._prefix_junk > SYNC_SEARCH_LIMIT:
                return self._give_up_sync(pos)
            if pos == end:
                return pos
            if end - pos < 4:
                if eof:
                    self._take(data, pos, end)
                    return end
                return self._need_more(pos, end, 4)
            foreign = lock is not None and (data[pos + 1] << 8 | data[pos + 2]) & LOCK_MASK != lock
            if self._free_format and not initial and not foreign:
                count, after = self._chain_free(data, pos, end, self._free_length, self._lock)
            else:
                count, after = chain_frames(data, pos, end, CONFIRM_FRAMES, None if foreign else lock)
            if foreign:
                if count >= CONFIRM_FRAMES:
                    return self._mixed_stream(pos)
                if count >= 1 and after + 4 > end and not eof:
                    return self._need_more(pos, end, after + 4 - pos)
            elif (count >= 1 and count < CONFIRM_FRAMES and after + 4 <= end < after + _LONGEST_TAG_MAGIC and not eof
                  and data[after] in b"TIAL"):
                # A short chain that breaks where a tag may start: wait until its magic can be read whole.
                return self._need_more(pos, end, after + _LONGEST_TAG_MAGIC - pos)
            elif count >= CONFIRM_FRAMES or (count >= 1 and after + 4 <= end and self._is_tag_start(data, after, end)
                                             and self._short_chain_will_do(data, pos, initial, count)):
                return self._lock_at(data, pos, end, eof)
            elif count >= 1 and after + 4 > end:
                if not eof:
                    return self._need_more(pos, end, after + 4 - pos)
                if (after == end or count >= 2) and self._short_chain_will_do(data, pos, initial, count):
                    return self._lock_at(data, pos, end, eof)
            elif (count >= 2 and initial and _is_layer_iii(data, pos)
                  and ffmpeg_pair(data, pos, pos + FRAME_LENGTH[data[pos + 1] << 8 | data[pos + 2]])):
                # Two consecutive frames are where FFmpeg starts playing, whatever follows (two frames and a damaged
                # ID3v1 tag; three frames, zeros, then the rest): the scan locks there too. Equal in every bit
                # FFmpeg compares, two false headers in junk or audio data pair by chance about once in 10**7.
                # (Layer I/II is named only after a full chain.)
                return self._lock_at(data, pos, end, eof)
            elif count == 0 and initial and self._is_free_format_start(data, pos, end, eof):
                if self._stall:
                    return pos
                return self._lock_at(data, pos, end, eof)
            after = pos + 1
            if count:
                self._count_stray(data, pos, initial, count)
                if not initial:  # FFmpeg's parser takes the stray frame whole: nothing inside it starts a frame
                    after = max(after, min(end, self._ffmpeg.stray_until - self._base))
            self._take(data, pos, after)
            pos = after
            self._detour()  # a false header: the candidate did not chain
            if self._done:
                return pos

    def _short_chain_will_do(self, data: bytes, pos: int, initial: bool, count: int) -> bool:
        """Whether a chain shorter than ``CONFIRM_FRAMES`` that ends exactly at a tag or the stream's end may lock.

        After the lock it always may (the stream's kind is known). A first sync needs Layer III (Layer I/II is named
        only on a full chain) right after the leading tags (a lone frame there is a file of one frame): elsewhere a
        legal header in junk or damaged audio ends exactly at a tag or the end by chance often enough to matter,
        so there it takes two frames FFmpeg would pair.
        """
        return not initial or (_is_layer_iii(data, pos) and not self._prefix_junk)

    def _count_stray(self, data: bytes, pos: int, initial: bool, count: int) -> None:
        """A legal header (of any kind) that does not chain: junk to the scan, but FFmpeg's parser may decode it."""
        key = data[pos + 1] << 8 | data[pos + 2]
        pair = initial and count >= 2 and ffmpeg_pair(data, pos, pos + FRAME_LENGTH[key])  # only asked before the lock
        self._ffmpeg.count_stray(key, self._base + pos, not initial, pair)

    @staticmethod
    def _chain_free(data: bytes, pos: int, end: int, length: int, lock: int) -> tuple[int, int]:
        """Like :func:`chain_frames` for a free-format stream, whose frame ``length`` no header table knows."""
        count = 0
        while count < CONFIRM_FRAMES and pos + 4 <= end and data[pos] == 0xFF:
            key = data[pos + 1] << 8 | data[pos + 2]
            if not FREE_FORMAT[key] or key & LOCK_MASK != lock:
                break
            count += 1
            pos += length + ((key >> 1) & 1)
        return count, pos

    def _mixed_stream(self, pos: int) -> int:
        """Frames of another kind (rate, version or layer) chain after the lock: two streams joined; a certain fail.

        FFmpeg plays both parts (18.1 s for 10 s at 44.1 kHz joined to 8 s at 24 kHz, which the locked stream
        alone measures as 10 s), so counting the second part as junk would pass files that play too long.
        """
        self._mixed = True
        self._state = _FINISHED
        self._stop()
        return pos

    def _give_up_sync(self, pos: int) -> int:
        """No MPEG frames within the search limit: the verdict (not MP3) is certain."""
        self._state = _FINISHED
        self._stop()
        return pos

    def _take(self, data: bytes, pos: int, upto: int) -> None:
        """Account the bytes from ``pos`` to ``upto`` as off the chain (read first if they are a tag's body)."""
        if upto <= pos:
            return
        if self._off.tag_run_left:
            self._ledger.capture(memoryview(data)[pos:upto])
        if self._state != _SYNC:
            self._ffmpeg.note_offchain(data, pos, upto)
        self._add_junk(upto - pos)

    def _add_junk(self, n: int) -> None:
        if n <= 0:
            return
        if self._state == _SYNC:
            self._prefix_junk += n
        elif self._off.add(n):
            self._state = _FINISHED
            self._stop()

    def _detour(self) -> None:
        """Count one step off the frame chain; past the budget the stream is damaged and the scan ends."""
        if self._off.detour(self._frames):
            # Before any lock this many false headers mean no MPEG stream (natural data has a few per 128 KiB).
            self._abandoned = True
            self._state = _FINISHED
            self._stop()

    @staticmethod
    def _is_tag_start(data: bytes, pos: int, end: int) -> bool:
        return data.startswith((b"TAG", b"ID3", b"APETAGEX", b"LYRICSBEGIN"), pos, end)

    def _is_free_format_start(self, data: bytes, pos: int, end: int, eof: bool) -> bool:
        """A free-format stream: its frame length is the distance to the next identical header, for a whole chain.

        One recurrence of a header's first two bytes is no evidence (``ff fb`` in 300 bytes of zeros before a
        clean file, or in random bytes, recurs within a few KB by chance): the length it implies must carry a
        chain of ``CONFIRM_FRAMES`` free-format headers of one kind, as a standard sync must.
        """
        key = data[pos + 1] << 8 | data[pos + 2]
        if not FREE_FORMAT[key]:
            return False
        needed = CONFIRM_FRAMES * _MAX_FREE_FORMAT_SEARCH
        window_end = min(end, pos + needed)
        if window_end - pos < needed and not eof:
            self._need_more(pos, end, needed)
            return True
        head = data[pos:pos + 2]
        lock = key & LOCK_MASK
        padding = (data[pos + 2] >> 1) & 1
        nxt = pos + 24
        for _ in range(CONFIRM_FRAMES * 2):  # a few recurrences inside the first frame's data, at most
            nxt = data.find(head, nxt, min(window_end, pos + _MAX_FREE_FORMAT_SEARCH))
            if nxt < 0:
                return False
            length = nxt - pos - padding
            count, after = self._chain_free(data, pos, window_end, length, lock)
            if count >= CONFIRM_FRAMES or (eof and after == end and count >= 2):
                self._free_length = length
                self._free_format = True
                return True
            nxt += 1
        return False

    def _lock_at(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
        if self._state == _RESYNC:
            self._state = _FRAMES
            self._off.back_on_chain()
            if not self._ffmpeg.pair_found:
                walked = self._ffmpeg.pair_on_chain(data, pos, end, self._base, self._lock)
                if walked >= 0:  # everything before FFmpeg's first pair is junk to it
                    self._ffmpeg.unplayed = self._frames + self._extra_headers + walked
                    self._max_frames = self._stop_budget()
            return pos
        self._lock = (b1 << 8 | b2) & LOCK_MASK
        self._resync_pattern = _resync_pattern(self._lock)
        self._locked_pattern = _mpeg.sync_pattern(self._lock)
        self._version_bits = (b1 >> 3) & 3
        self._layer = _mpeg.LAYER_OF_BITS[(b1 >> 1) & 3]
        self._rate = _mpeg.sample_rate(b1, b2)
        self._spf = _mpeg.samples_per_frame(self._version_bits, self._layer)
        self._channels = 1 if _mpeg.is_mono(b3) else 2
        self._xing_at = _mpeg.xing_offset(self._version_bits, self._channels == 1)
        self._ffmpeg.locked_at(self._base + pos)
        if self._layer != 3:
            self._state = _FINISHED
            self._stop()
            return pos
        self._state = _FRAMES
        if self._free_format:
            # Free format is rare and FFmpeg decodes none of it: we measure it, off the fast path.
            self._max_frames = self._stop_budget()
            return pos
        entry = pos
        if self._ffmpeg.skips_header_frame_at(self._base + pos):
            entry = pos + self._ffmpeg.header_frame_bytes  # elsewhere the frame FFmpeg skipped was junk to the scan
        # A first Xing/Info frame FFmpeg does not take for a header (no counts, or not where it looks) stays in the
        # stream: FFmpeg decodes it as a frame of silence (the frame loop counts it) unless its search skips it.
        entry = self._enter_where_ffmpeg_starts(data, entry, end)
        self._max_frames = self._stop_budget()
        return entry

    def _enter_where_ffmpeg_starts(self, data: bytes, entry: int, end: int) -> int:
        """Start at FFmpeg's first two consecutive frames at or after ``entry``, as FFmpeg's demuxer does.

        Whole frames of the locked chain before them still count in the stream but not in the playback (a Lavc
        Info frame FFmpeg does not take for a header: its "original" bit differs from the audio's). Where a frame
        of ours runs over FFmpeg's start (a cut-short first frame), the scan starts where FFmpeg does, and the
        bytes before are junk. With no pair in this buffer the search goes on at each relock.
        """
        start = self._ffmpeg.find_start(data, entry, end, self._base)
        if start < 0:
            return entry
        pos, whole = entry, []
        while pos < start:
            key = data[pos + 1] << 8 | data[pos + 2]
            flen = FRAME_LENGTH[key]
            if data[pos] != 0xFF or not flen or key & LOCK_MASK != self._lock or pos + flen > start:
                break
            whole.append(pos)
            pos += flen
        self._ffmpeg.unplayed = len(whole)
        key = data[pos + 1] << 8 | data[pos + 2]
        if pos == start or data[pos] != 0xFF or not FRAME_LENGTH[key] or key & LOCK_MASK != self._lock:
            return entry  # the frame loop counts those frames, and any tag or junk after them, as usual
        for at in whole:  # counted here, for the loop starts where FFmpeg does
            key = data[at + 1] << 8 | data[at + 2]
            if data[at + self._xing_at:at + self._xing_at + 4] in (b"Xing", b"Info"):
                self._extra_headers += 1
            else:
                self._frames += 1
                self._audio_bytes += FRAME_LENGTH[key]
                self._bitrates_seen |= 1 << (key >> 4 & 15)
        self._prefix_junk += start - pos
        return start

    def _stop_budget(self) -> int:
        """The fewest audio frames after which both durations reach the duration limit (the early-stop budget).

        Both must: a scan that stops for duration reports a playback and a stream duration at least the limit,
        so every reading of the report agrees with "too long". The gapless trim costs a few frames more; a
        header FFmpeg may ignore for a joined file (no end trim) only makes the playback longer.
        """
        limit = self._limits.duration_limit_s
        rate, spf = self._rate, self._spf
        frames = max(1, math.ceil(limit * rate / spf))
        while frames > 1 and (frames - 1) * spf / rate >= limit:
            frames -= 1
        while frames * spf / rate < limit or self._ffmpeg.played_samples(frames, spf, None) / rate < limit:
            frames += 1
        return frames

    def _at_frames(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """The hot loop: follow locked frames by table lookup; hand anything else to the slow path."""
        if self._free_format:
            return self._at_free_frames(data, pos, end, eof)
        if self._ffmpeg.drop_pending and pos + 4 <= end:
            self._drop_after_offchain(data, pos)
        flen_table = FRAME_LENGTH
        lock = self._lock
        lock_mask = LOCK_MASK
        xing_at = self._xing_at
        frames = self._frames
        audio = self._audio_bytes - pos  # counted frames' bytes are the distance walked less the Xing frames'
        seen = self._bitrates_seen
        max_frames = self._max_frames
        flen = 0
        start = pos
        last = -1  # the last header key both checked and counted: a run of equal headers skips the table work
        stop = end - _FRAME_PEEK
        while pos <= stop:
            if data[pos] != 0xFF:
                break
            key = data[pos + 1] << 8 | data[pos + 2]
            if key != last:
                flen = flen_table[key]
                if not flen or key & lock_mask != lock:
                    break
            marker = data[pos + xing_at]
            if (marker == 0x58 or marker == 0x49) and data[pos + xing_at:pos + xing_at + 4] in (b"Xing", b"Info"):
                self._extra_headers += 1
                pos += flen
                audio -= flen
                self._frames = frames  # the detour budget grows with the frames met so far
                self._detour()
                if self._done:
                    break
                last = -1
                continue
            if key != last:
                seen |= 1 << (key >> 4 & 15)
                last = key
            frames += 1
            pos += flen
            if frames >= max_frames:
                break
        self._frames, self._audio_bytes, self._bitrates_seen = frames, audio + pos, seen
        if self._done:
            return pos
        if pos != start:
            self._off.end_junk()
        if pos > end:  # the last frame runs past this buffer: skip its rest as it arrives
            self._last_frame_bytes = flen
            self._skip_kind = _SKIP_FRAME
            if frames >= max_frames:
                self._stop()
            return pos
        if frames >= max_frames:
            self._stop()
            return pos
        return self._frames_slow(data, pos, end, eof)

    def _drop_after_offchain(self, data: bytes, pos: int) -> None:
        """The frame at ``pos`` follows junk or a tag: FFmpeg's decoder drops it (with those bytes in front)."""
        key = data[pos + 1] << 8 | data[pos + 2]
        if (data[pos] == 0xFF and FRAME_LENGTH[key] and key & LOCK_MASK == self._lock
                and self._ffmpeg.drop(self._base + pos)):
            self._max_frames = self._stop_budget()

    def _frames_slow(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """A frame position the fast loop declined: near the buffer's end, a tag, or junk."""
        if pos >= end:
            return pos
        if eof and end - pos < 4 and data[pos] == 0xFF:
            # The stream ends inside a frame header: a cut-short frame decoders drop, not junk.
            self._truncated = True
            return end
        # Near the buffer's end a frame or a short tag's start may be cut: wait for enough bytes to tell.
        if end - pos < _FRAME_PEEK and not eof and (data[pos] == 0xFF or data[pos] in b"ITAL"):
            return self._need_more(pos, end, _FRAME_PEEK)
        if data[pos] == 0xFF and end - pos >= 4:
            key = data[pos + 1] << 8 | data[pos + 2]
            flen = FRAME_LENGTH[key]
            if flen and key & LOCK_MASK == self._lock:
                marker_end = pos + self._xing_at + 4
                if marker_end <= end and data[marker_end - 4:marker_end] in (b"Xing", b"Info"):
                    self._extra_headers += 1
                    self._detour()
                else:
                    self._frames += 1
                    self._audio_bytes += flen
                    self._bitrates_seen |= 1 << (key >> 4 & 15)
                    self._last_frame_bytes = flen
                    self._skip_kind = _SKIP_FRAME
                self._off.end_junk()
                if self._frames >= self._max_frames:
                    self._stop()
                return pos + flen
        return self._at_tag_or_junk(data, pos, end, eof)

    def _at_tag_or_junk(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        rest = end - pos
        if data[pos]:  # a tag's magic, or junk that is not a zero byte (the decoder skips zeros)
            self._ffmpeg.drop_pending = True
        if data.startswith(b"ID3", pos, end):
            if rest < _tags.ID3V2_HEADER_BYTES and not eof:
                return self._need_more(pos, end, _tags.ID3V2_HEADER_BYTES)
            size = _tags.id3v2_size(data[pos:pos + _tags.ID3V2_HEADER_BYTES])
            if size is not None:
                self._off.end_junk()
                self._detour()
                return self._enter_tag_run(data, "id3v2", pos, _tags.ID3V2_HEADER_BYTES, size)
        elif data.startswith(b"TAG", pos, end):
            if rest < _tags.ID3V1_BYTES and not eof:
                return self._need_more(pos, end, _tags.ID3V1_BYTES)
            self._ledger.count("id3v1", min(rest, _tags.ID3V1_BYTES))
            self._ledger.note_id3v1(data[pos:pos + _tags.ID3V1_BYTES])
            self._off.end_junk()
            self._detour()
            self._skip_kind = _SKIP_TAG
            self._skip_tag_name = "id3v1"
            return pos + _tags.ID3V1_BYTES
        elif data.startswith(b"APETAGEX", pos, end):
            if rest < _tags.APE_HEADER_BYTES and not eof:
                return self._need_more(pos, end, _tags.APE_HEADER_BYTES)
            size = _tags.ape_size(data[pos:pos + _tags.APE_HEADER_BYTES])
            if size is not None:
                # A tag written without a header (footer only) has its items before the footer: the bytes just
                # read as junk are those items, as far as the footer's size says.
                self._off.reclaim_trailing("apev2", _tags.ape_items_before_footer(data[pos:pos + size]))
                self._off.end_junk()
                self._detour()
                return self._enter_tag_run(data, "apev2", pos, _tags.APE_HEADER_BYTES, size)
        elif data.startswith(b"LYRICSBEGIN", pos, end):
            # Lyrics3 blocks have no length up front: count everything up to the next frame or tag as the tag.
            self._off.begin_lyrics(11)
            self._ledger.count("lyrics3", 11)
            self._state = _RESYNC
            self._detour()
            return pos + 11
        if data[pos] == 0xFF and rest >= 4 and FRAME_LENGTH[data[pos + 1] << 8 | data[pos + 2]]:
            self._count_stray(data, pos, False, 1)  # a header of another kind where the chain broke
        self._off.start_junk()
        self._state = _RESYNC
        self._add_junk(1)
        self._detour()  # the frame chain broke: a run of junk begins
        return pos + 1

    def _enter_tag_run(self, data: bytes, kind: str, pos: int, header: int, size: int) -> int:
        """A tag met after the audio began: count its header, then search its claimed body for frames.

        FFmpeg does not skip tags between frames; it resyncs through them. A claimed size that covers frames
        (a lying header, or a truncated tag) would hide audio that plays, so its body is searched, not skipped.
        """
        self._ledger.count(kind, min(header, size))
        if kind == "id3v2":  # an ID3v2 tag appended after the audio may be the only one: read it as it passes
            self._ledger.begin_id3v2(size)
            self._ledger.capture(memoryview(data)[pos:pos + min(header, size)])
        self._off.begin_tag_run(kind, max(0, size - header))
        self._state = _RESYNC
        return pos + min(header, size)

    def _at_free_frames(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        base = self._free_length
        while pos + 4 <= end:
            if data[pos] != 0xFF:
                break
            key = data[pos + 1] << 8 | data[pos + 2]
            if not FREE_FORMAT[key] or key & LOCK_MASK != self._lock:
                break
            flen = base + ((key >> 1) & 1)
            self._frames += 1
            self._audio_bytes += flen
            self._last_frame_bytes = flen
            pos += flen
            self._off.end_junk()
            if self._frames >= self._max_frames:
                self._stop()
                return pos
        if pos > end:
            self._skip_kind = _SKIP_FRAME
            return pos
        if pos + 4 > end and not eof:
            return self._need_more(pos, end, 4)
        if pos >= end:
            return pos
        return self._at_tag_or_junk(data, pos, end, eof)

    # -- the end ---------------------------------------------------------------------------------------

    def finish(self) -> MediaFacts:
        """End the stream: settle what the last bytes were and return the measured facts."""
        if not self._done:
            if self._carry:
                data = bytes(self._carry)
                self._carry.clear()
                self._run(data, eof=True)
            if self._skip:
                if self._skip_kind == _SKIP_FRAME:
                    # Decoders (FFmpeg among them) still play a cut-short last frame, so it stays counted.
                    self._truncated = True
                    self._audio_bytes -= self._skip
                    self._skip = 0
                elif self._skip_kind == _SKIP_TAG:
                    # A tag that claims more bytes than the file has: count only the bytes that exist.
                    self._ledger.uncount(self._skip_tag_name, self._skip)
                    self._skip = 0
            self._reclassify_trailing_tags()
            self._done = True
        self._ledger.close_capture()  # a tag cut short by the end of the stream (or an early stop)
        return self._facts()

    def _reclassify_trailing_tags(self) -> None:
        if self._state in (_RESYNC, _FRAMES):
            self._off.reclassify_tail(self._tail)

    def _facts(self) -> MediaFacts:
        """The measurements so far, as the rules and the report take them."""
        size = self._declared_size if self._declared_size is not None else self._fed
        complete = not self._stopped_early
        common: dict[str, Any] = {"tag_bytes": self._ledger.total, "tag_kinds": self._ledger.kinds,
                                  "tags": self._ledger.summary()}
        if self._sniffed is not None:
            return MediaFacts(self._sniffed.format, self._sniffed.description, size, complete, **common)
        if self._layer == 0:
            if not complete and self._prefix_junk <= SYNC_SEARCH_LIMIT and not self._abandoned:
                # Stopped (at the size limit) inside a tag or before any frame: the format is not known yet.
                return MediaFacts("unknown", "not determined before the scan stopped", size, complete,
                                  format_known=False, **common)
            if self._ledger.met and self._prefix_junk <= SYNC_SEARCH_LIMIT and not self._abandoned:
                return MediaFacts("id3", "an ID3 tag with no audio", size, complete, **common)
            if not size:
                return MediaFacts("empty", "an empty file (0 bytes)", size, complete, **common)
            return MediaFacts("unknown", "data of an unknown kind (no MPEG audio frames found)", size, complete,
                              **common)
        version = _mpeg.VERSION_NAMES[self._version_bits]
        common.update(layer=self._layer, mpeg_version=version, sample_rate=self._rate, channels=self._channels)
        if self._layer != 3:
            return MediaFacts(f"mp{self._layer}", f"MPEG-{version} Layer {self._layer} audio", size, complete,
                              **common)
        # A Xing/Info frame met after the first audio frame (the second part of a joined file) is still a frame
        # to a decoder: FFmpeg plays it as a frame of silence, and only a header where it looks for one is skipped
        # as metadata. So it counts in both durations. For "less than 60 s" that is the conservative reading (the
        # caller hears that silence), and it makes a joined file's playback equal FFmpeg's decode to the sample,
        # where leaving it out came one frame short.
        chained = self._frames + self._extra_headers
        known_size = self._declared_size if self._declared_size is not None else self._fed if complete else None
        playback = self._ffmpeg.played_samples(chained, self._spf, known_size)
        vbr = self._ffmpeg.header
        stream = chained * self._spf + self._ffmpeg.stray_samples(self._rate, self._spf)
        opens = self._ffmpeg.opens(size, complete, self._free_format)
        return MediaFacts(
            "mp3", f"MPEG-{version} Layer III audio", size, complete, playback_samples=playback,
            stream_samples=stream, header_frames=vbr.frames if vbr is not None else None,
            header_kind=vbr.kind if vbr is not None else None,
            audio_frames=self._frames, extra_header_frames=self._extra_headers,
            junk_bytes=self._off.junk + self._prefix_junk,
            junk_runs=self._off.runs + (1 if self._prefix_junk else 0),
            truncated_last_frame=self._truncated, free_format=self._free_format, abandoned=self._abandoned,
            mixed_streams=self._mixed, ffmpeg_opens=opens,
            variable_bitrate=self._bitrates_seen.bit_count() > 1, audio_bytes=self._audio_bytes, **common)


# Each state's handler, looked up once per buffer (built once here, not per call, and holding no instance).
_HANDLERS: dict[int, Callable[[StreamScanner, bytes, int, int, bool], int]] = {
    _START: StreamScanner._at_start, _SNIFF: StreamScanner._at_sniff, _SYNC: StreamScanner._at_sync,
    _FRAMES: StreamScanner._at_frames, _RESYNC: StreamScanner._at_sync,
}
