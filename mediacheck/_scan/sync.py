"""The stream lock and the searches that find it: the first frame sync, and the locked stream's again after junk.

A sync is a legal MPEG header from which ``CONFIRM_FRAMES`` consistent frames chain (or, where FFmpeg would start
playing, two frames it pairs; or a chain cut short exactly at a tag or the stream's end). The first search takes any
layer and gives up after ``SYNC_SEARCH_LIMIT`` bytes; once locked, the resync looks for the locked stream's frames
again past junk, stray frames and the claimed bodies of mid-stream tags, and notices a second stream joined on.
:class:`FrameSync` holds the lock and the counters both halves share; :class:`mediacheck._scan.scanner.StreamScanner`
builds the chunk feeding, the frame loop and the tag handling on it.
"""

from __future__ import annotations

import functools
import math
import re

from mediacheck._limits import Limits
from mediacheck._rules import CORRUPT_JUNK_MIN_BYTES, CORRUPT_JUNK_SHARE
from mediacheck._scan import mpeg as _mpeg
from mediacheck._scan.mpeg import FRAME_LENGTH, FREE_FORMAT, LOCK_MASK, chain_frames, ffmpeg_pair
from mediacheck._scan.offchain import OffChain
from mediacheck._scan.playback import FFmpegPlayback
from mediacheck._scan.tag_ledger import TagLedger

# A sync is trusted after this many consecutive consistent frames (false syncs inside junk, pictures or
# other formats rarely chain four times); a shorter chain counts only if it ends exactly at a tag or the end.
CONFIRM_FRAMES = 4
# With no frame sync in this many bytes after the leading tags, the file is not MPEG audio.
SYNC_SEARCH_LIMIT = 128 * 1024
_TAG_MAGIC_BYTES = len(b"APETAGEX")
_LONGEST_TAG_MAGIC = len(b"LYRICSBEGIN")
_MAX_FREE_FORMAT_SEARCH = _mpeg.MAX_FRAME_BYTES + 4

# The scanner's states: leading tags, sniffing, the first sync, the frame loop, the resync, done.
START, SNIFF, SYNC, FRAMES, RESYNC, FINISHED = range(6)
# What a judged header leads to when it is no sync: step past it and search on.
_NO_SYNC = -1


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


class FrameSync:
    """The lock on one MPEG stream, the counters the scan keeps of it, and the searches for a trustworthy sync."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._state = START
        self._done = False
        self._stopped_early = False
        self._base = 0  # the stream offset of the current buffer's first byte
        self._need = 1
        self._stall = False
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
        self._extra_headers = 0
        # Where FFmpeg reads the header and starts playing, which frames it skips or drops, and the lone headers
        # in junk it may decode: the playback duration is FFmpeg's, and the stream duration never less.
        self._ffmpeg = FFmpegPlayback()
        self._free_format = False
        self._free_length = 0
        self._ledger = TagLedger()
        # Bytes between frames once locked; a tag met mid-stream is searched for frames, its size only counted.
        # The scan may stop on junk only where the rules will call the file corrupt: a quarter of the size limit,
        # and never less than their minimum, or a small limit stopped it on junk they call a blemish (a pass that
        # never saw the frames after the junk).
        junk_cap = max(math.ceil(CORRUPT_JUNK_SHARE * limits.size_limit_bytes), CORRUPT_JUNK_MIN_BYTES)
        self._off = OffChain(junk_cap, self._ledger)

    def _stop(self) -> None:
        self._done = True
        self._stopped_early = True

    def _need_more(self, pos: int, end: int, needed: int) -> int:
        self._stall = True
        self._need = needed
        return pos

    # -- the first sync ----------------------------------------------------------------------------------

    def _at_sync(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """Search for the first trustworthy frame sync (any layer) after the leading tags, within the search limit."""
        pattern = _mpeg.SYNC_CANDIDATE
        while True:
            match = pattern.search(data, pos, end)
            if match is None:
                if not eof:
                    # Keep the last bytes, as the resync does (a header's first bytes may be cut by the buffer's end).
                    kept = max(pos, end - _TAG_MAGIC_BYTES + 1)
                    self._take(data, pos, kept)
                    if self._prefix_junk > SYNC_SEARCH_LIMIT:
                        return self._give_up_sync(kept)
                    return self._need_more(kept, end, _TAG_MAGIC_BYTES)
                candidate = end
            else:
                candidate = match.start()
            self._take(data, pos, candidate)
            pos = candidate
            if self._done:
                return pos
            if self._prefix_junk > SYNC_SEARCH_LIMIT:
                return self._give_up_sync(pos)
            if pos == end:
                return pos
            if end - pos < 4:
                return self._at_stream_end(data, pos, end, eof)
            count, after = chain_frames(data, pos, end, CONFIRM_FRAMES, None)
            at = self._judge_chain(data, pos, end, eof, True, count, after)
            if at != _NO_SYNC:
                return at
            pos = self._past_false_header(data, pos, end, True, count)
            if self._done:
                return pos

    def _judge_first_pair(self, data: bytes, pos: int, end: int, eof: bool, count: int) -> int:
        """Before any lock, where no chain decides: FFmpeg's first pair of frames, or a free-format stream."""
        if (count >= 2 and _is_layer_iii(data, pos)
                and ffmpeg_pair(data, pos, pos + FRAME_LENGTH[data[pos + 1] << 8 | data[pos + 2]])):
            # Two consecutive frames are where FFmpeg starts playing, whatever follows (two frames and a damaged
            # ID3v1 tag; three frames, zeros, then the rest): the scan locks there too. Equal in every bit
            # FFmpeg compares, two false headers in junk or audio data pair by chance about once in 10**7.
            # (Layer I/II is named only after a full chain.)
            return self._lock_at(data, pos, end, eof)
        if count == 0 and self._is_free_format_start(data, pos, end, eof):
            if self._stall:
                return pos
            return self._lock_at(data, pos, end, eof)
        return _NO_SYNC

    # -- the resync ----------------------------------------------------------------------------------------

    def _at_resync(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """After the lock: find the locked stream's next frame (or a tag's magic) past junk, strays and tag bodies."""
        while True:
            if self._base + pos < self._ffmpeg.stray_until:
                # Inside a stray frame: FFmpeg's parser cut that frame whole, so no frame or tag starts in it.
                upto = min(end, self._ffmpeg.stray_until - self._base)
                self._take(data, pos, upto)
                pos = upto
                if self._done or pos >= end:
                    return pos
            if self._off.tag_run_left:
                # Inside a mid-stream tag's claimed size: only the locked stream's frames can end it early.
                match = self._locked_pattern.search(data, pos, min(end, pos + self._off.tag_run_left))
                if match is None:
                    return self._through_tag_run(data, pos, end, eof)
                candidate = match.start()
            else:
                candidate = self._next_resync_candidate(data, pos, end, eof)
                if candidate < 0:
                    # Keep the last bytes: a tag's magic ("TAG", "APETAGEX") may be cut by the buffer's end.
                    kept = max(pos, end - _TAG_MAGIC_BYTES + 1)
                    self._take(data, pos, kept)
                    return self._need_more(kept, end, _TAG_MAGIC_BYTES)
                if candidate < end and data[candidate] != 0xFF:  # a tag's magic: the frame loop reads the tag
                    self._take(data, pos, candidate)
                    self._state = FRAMES
                    return candidate
            self._take(data, pos, candidate)
            pos = candidate
            if self._done or pos == end:
                return pos
            if end - pos < 4:
                return self._at_stream_end(data, pos, end, eof)
            at, count = self._judge_resync_candidate(data, pos, end, eof)
            if at != _NO_SYNC:
                return at
            pos = self._past_false_header(data, pos, end, False, count)
            if self._done:
                return pos

    def _next_resync_candidate(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """Where the next legal header (any kind) or tag magic starts, ``end`` at the stream's end, -1 to wait."""
        match = self._resync_pattern.search(data, pos, end)
        if match is None:
            return end if eof else -1
        candidate = match.start()
        if candidate > end - _TAG_MAGIC_BYTES and not eof and data[candidate] != 0xFF:
            return -1  # "TAG" or "ID3" this close to the end may be inside a cut "APETAGEX": wait
        return candidate

    def _through_tag_run(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """No frame of the locked stream in the tag's claimed bytes at hand: they are the tag's (or wait for more).

        Where the claim ends, what follows is looked at as after any skip; where the buffer ends first, the search
        goes on as the next buffer comes.
        """
        limit = min(end, pos + self._off.tag_run_left)
        if limit == end and not eof:
            kept = max(pos, end - 2)  # a header's first bytes may be cut by the buffer's end
            self._take(data, pos, kept)
            return self._need_more(kept, end, 3)
        self._take(data, pos, limit)
        if not self._off.tag_run_left:  # the tag ended where it said
            self._state = FRAMES
        return limit

    def _judge_resync_candidate(self, data: bytes, pos: int, end: int, eof: bool) -> tuple[int, int]:
        """Judge a legal header met after the lock: (where to stop, or ``_NO_SYNC``; the frames that chained)."""
        lock = self._lock
        if (data[pos + 1] << 8 | data[pos + 2]) & LOCK_MASK != lock:  # another kind: a second stream, or a stray
            count, after = chain_frames(data, pos, end, CONFIRM_FRAMES, None)
            if count >= CONFIRM_FRAMES:
                return self._mixed_stream(pos), count
            if count >= 1 and after + 4 > end and not eof:
                return self._need_more(pos, end, after + 4 - pos), count
            return _NO_SYNC, count
        if self._free_format:
            count, after = self._chain_free(data, pos, end, self._free_length, lock)
        else:
            count, after = chain_frames(data, pos, end, CONFIRM_FRAMES, lock)
        return self._judge_chain(data, pos, end, eof, False, count, after), count

    # -- judging a candidate -----------------------------------------------------------------------------

    def _at_stream_end(self, data: bytes, pos: int, end: int, eof: bool) -> int:
        """Fewer than a header's 4 bytes left: off the chain at the stream's end, else wait for more."""
        if eof:
            self._take(data, pos, end)
            return end
        return self._need_more(pos, end, 4)

    def _judge_chain(self, data: bytes, pos: int, end: int, eof: bool, initial: bool, count: int, after: int) -> int:
        """Lock on a chain of ``count`` frames from ``pos`` (ending at ``after``), wait for the bytes that decide, or
        say ``_NO_SYNC``: a full chain locks; a shorter one where it ends at a tag or the stream's end."""
        if count >= CONFIRM_FRAMES:
            return self._lock_at(data, pos, end, eof)
        if count:
            if after + 4 > end:
                if not eof:
                    return self._need_more(pos, end, after + 4 - pos)
                if (after == end or count >= 2) and self._short_chain_will_do(data, pos, initial, count):
                    return self._lock_at(data, pos, end, eof)
                return _NO_SYNC
            if end < after + _LONGEST_TAG_MAGIC and not eof and data[after] in b"TIAL":
                # A short chain that breaks where a tag may start: wait until its magic can be read whole.
                return self._need_more(pos, end, after + _LONGEST_TAG_MAGIC - pos)
            if self._is_tag_start(data, after, end) and self._short_chain_will_do(data, pos, initial, count):
                return self._lock_at(data, pos, end, eof)
        return self._judge_first_pair(data, pos, end, eof, count) if initial else _NO_SYNC

    def _past_false_header(self, data: bytes, pos: int, end: int, initial: bool, count: int) -> int:
        """Step past a candidate that did not chain (a stray frame FFmpeg's parser takes whole, after the lock)."""
        after = pos + 1
        if count:
            self._count_stray(data, pos, initial, count)
            if not initial:  # FFmpeg's parser takes the stray frame whole: nothing inside it starts a frame
                after = max(after, min(end, self._ffmpeg.stray_until - self._base))
        self._take(data, pos, after)
        self._detour()  # a false header: the candidate did not chain
        return after

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
        self._state = FINISHED
        self._stop()
        return pos

    def _give_up_sync(self, pos: int) -> int:
        """No MPEG frames within the search limit: the verdict (not MP3) is certain."""
        self._state = FINISHED
        self._stop()
        return pos

    def _take(self, data: bytes, pos: int, upto: int) -> None:
        """Account the bytes from ``pos`` to ``upto`` as off the chain (read first if they are a tag's body)."""
        if upto <= pos:
            return
        if self._off.tag_run_left:
            self._ledger.capture(memoryview(data)[pos:upto])
        if self._state != SYNC:
            self._ffmpeg.note_offchain(data, pos, upto)
        self._add_junk(upto - pos)

    def _add_junk(self, n: int) -> None:
        if n <= 0:
            return
        if self._state == SYNC:
            self._prefix_junk += n
        elif self._off.add(n):
            self._state = FINISHED
            self._stop()

    def _detour(self) -> None:
        """Count one step off the frame chain; past the budget the stream is damaged and the scan ends."""
        if self._off.detour(self._frames):
            # Before any lock this many false headers mean no MPEG stream (natural data has a few per 128 KiB).
            self._abandoned = True
            self._state = FINISHED
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
        if self._state == RESYNC:
            self._state = FRAMES
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
            self._state = FINISHED
            self._stop()
            return pos
        self._state = FRAMES
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

        Recomputed at every frame FFmpeg drops, so it costs a few steps, not one per frame dropped so far (that made
        "4 frames then a stray byte" quadratic): FFmpeg plays at most the frames it demuxes less those it drops, so
        the search for the playback starts that many frames past the stream's budget, at most a gapless trim short.
        """
        limit = self._limits.duration_limit_s
        rate, spf = self._rate, self._spf
        frames = max(1, math.ceil(limit * rate / spf))
        while frames > 1 and (frames - 1) * spf / rate >= limit:
            frames -= 1
        while frames * spf / rate < limit:
            frames += 1
        frames += self._ffmpeg.unplayed + self._ffmpeg.dropped
        while self._ffmpeg.played_samples(frames, spf, None) / rate < limit:
            frames += 1
        return frames
