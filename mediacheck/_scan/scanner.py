"""The incremental MPEG audio stream scanner: chunks of any size in, measured facts out, in O(1) memory.

A small state machine over the byte stream: leading ID3v2 tags, then sniffing the first bytes (other
formats stop the scan at once), then an MPEG frame sync that needs ``CONFIRM_FRAMES`` consistent frames
before it is trusted, then the frame loop, which also skips tags met mid-stream and resyncs after junk. The
sync and resync searches and the lock they find live in :mod:`mediacheck._scan.sync` (the base class).
Between chunks it keeps only a carry-over of at most a few frames (``_carry``) plus a count of bytes to
skip (a frame body or a tag running past the chunk), so a byte-at-a-time feed and a whole-file feed walk
the same states and give the same answer. What tags cost and say is kept by :mod:`mediacheck._scan.tag_ledger`;
the bytes between frames once locked (junk, mid-stream tag bodies) and the detour budget by
:mod:`mediacheck._scan.offchain`; what FFmpeg makes of the stream (where it reads the header and starts playing,
which frames it skips or drops, the lone headers in junk it may decode) by :mod:`mediacheck._scan.playback`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mediacheck._facts import MediaFacts
from mediacheck._limits import Limits
from mediacheck._scan import mpeg as _mpeg
from mediacheck._scan import tags as _tags
from mediacheck._scan.mpeg import FRAME_LENGTH, FREE_FORMAT, LOCK_MASK
from mediacheck._scan.sniff import SNIFF_BYTES, Sniffed, sniff
from mediacheck._scan.sync import (
    FINISHED,
    FRAMES,
    RESYNC,
    SNIFF,
    START,
    SYNC,
    SYNC_SEARCH_LIMIT,
    FrameSync,
)

# Bytes kept from the stream's end, to recognise trailing tags (APEv2 footer, Lyrics3v2, ID3v1) in junk.
_TAIL_BYTES = 512
# Enough for a frame header plus the Xing marker check of the frame loop (offset <= 38, 4 bytes).
_FRAME_PEEK = 48
# Chunks are scanned in slices of at most this size, bounding the copy each scan step makes.
_MAX_PIECE = 256 * 1024

_SKIP_FRAME, _SKIP_TAG = 1, 2


class StreamScanner(FrameSync):
    """Scans a byte stream fed in chunks; ``feed`` returns True once the verdict is certain."""

    def __init__(self, limits: Limits, declared_size: int | None) -> None:
        super().__init__(limits)
        self._declared_size = declared_size
        self._fed = 0
        self._carry = bytearray()
        self._scanned = 0  # bytes handed to the state machine so far (the end of the current buffer)
        self._skip = 0
        self._skip_kind = 0
        self._skip_tag_name = "id3v2"
        self._tail = b""
        self._sniffed: Sniffed | None = None  # the format verdict, when the first bytes are another format
        self._truncated = False
        self._last_frame_bytes = 0

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

    def _run(self, data: bytes, *, eof: bool) -> None:
        pos, end = 0, len(data)
        self._base = self._scanned - end
        handlers = _HANDLERS
        self._stall = False
        self._need = 1
        while pos < end and not self._done and self._state != FINISHED:
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
            self._state = SNIFF
            return pos
        if end - pos < _tags.ID3V2_HEADER_BYTES and not eof:
            return self._need_more(pos, end, _tags.ID3V2_HEADER_BYTES)
        size = _tags.leading_id3v2_size(data[pos:pos + _tags.ID3V2_HEADER_BYTES])
        if size is None:
            self._state = SNIFF
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
        self._state = SYNC
        return pos

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
            # Only at the stream's end can fewer than 128 bytes be left: a tag cut short counts what it has, once
            # (skipping past the end as well would take the missing bytes back a second time at the finish).
            taken = min(rest, _tags.ID3V1_BYTES)
            self._ledger.count("id3v1", taken)
            self._ledger.note_id3v1(data[pos:pos + taken])
            self._off.end_junk()
            self._detour()
            return pos + taken
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
            self._state = RESYNC
            self._detour()
            return pos + 11
        if data[pos] == 0xFF and rest >= 4 and FRAME_LENGTH[data[pos + 1] << 8 | data[pos + 2]]:
            self._count_stray(data, pos, False, 1)  # a header of another kind where the chain broke
        self._off.start_junk()
        self._state = RESYNC
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
        self._state = RESYNC
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
        if self._state in (RESYNC, FRAMES):
            self._off.reclassify_tail(self._tail)

    def _facts(self) -> MediaFacts:
        """The measurements so far, as the rules and the report take them."""
        # A declared size (a Content-Length, a caller's size) never hides bytes fed beyond it: the larger counts.
        size = self._fed if self._declared_size is None else max(self._declared_size, self._fed)
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
        known_size = size if self._declared_size is not None or complete else None
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

# Each state's handler, looked up once per buffer (built once here, not per call, and holding no instance).
_HANDLERS: dict[int, Callable[[StreamScanner, bytes, int, int, bool], int]] = {
    START: StreamScanner._at_start, SNIFF: StreamScanner._at_sniff, SYNC: StreamScanner._at_sync,
    FRAMES: StreamScanner._at_frames, RESYNC: StreamScanner._at_resync,
}
