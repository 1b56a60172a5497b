"""What FFmpeg makes of the scanned stream: where it starts, which frames it skips or drops, what it trims and decodes.

The scan counts frames; whether they play is FFmpeg's call, and the playback duration has to be FFmpeg's to the
sample, the stream duration never less. This mirrors, in order of the bytes:

* the demuxer (libavformat/mp3dec.c, ``mp3_read_header``): ID3v2 tags at the start are skipped (by
  libavformat/id3v2.c); a Xing/Info/VBRI header is read only right after them (``mp3_parse_vbr_tags``) and its
  frame skipped when it carries a count; then every byte is tried for two consecutive frames equal under
  ``MP3_MASK``, everything before them skipped as junk, and a file without them (within 64 KiB) refused;
* the parser (libavcodec/mpegaudio_parser.c): it cuts a frame at any legal header it meets, of any kind, and hands
  whatever came before it to the decoder in the same packet;
* the decoder (libavcodec/mpegaudiodec_template.c, ``decode_frame``): a packet that does not start with a header
  (zeros aside) is dropped, frame and all; a lone frame of another kind is decoded, at its own rate or the one it
  was playing;
* the gapless trim (``start_skip_samples``, ``first_discard_sample``; applied by libavcodec/decode.c): see
  :func:`mediacheck._scan.xing.gapless_samples`.
"""

from __future__ import annotations

from mediacheck._scan import mpeg as _mpeg
from mediacheck._scan.mpeg import FRAME_LENGTH, LOCK_MASK, ffmpeg_pair
from mediacheck._scan.xing import VBR_HEADER_BYTES, VbrHeader, effective_frame_count, gapless_samples, parse_vbr_header

# FFmpeg's MP3 demuxer looks this far (from the end of the leading ID3v2 tags and any Xing frame) for two
# consecutive frames; with none there it refuses a shorter file, and a longer one it plays from the start.
FFMPEG_PAIR_SEARCH = 64 * 1024
# At most this many candidates are tried (in Python) for FFmpeg's first pair; clean streams need one or two.
_PAIR_TRIES = 64


class FFmpegPlayback:
    """FFmpeg's view of one stream, kept beside the scan: its start, its skipped, dropped and stray frames."""

    def __init__(self) -> None:
        self.at_start = True  # only ID3v2 tags (as FFmpeg skips them) met so far
        self.leading_bytes = 0  # those tags' bytes: where FFmpeg reads the header
        self.header: VbrHeader | None = None  # the Xing/Info/VBRI header FFmpeg takes as one (skipping its frame)
        self.header_frame_bytes = 0
        self.gapless: VbrHeader | None = None  # a LAME-format extension it trims by (even in a frame it plays)
        self.search_from = 0  # where its search for two consecutive frames begins
        self.pair_found = False
        self.entry = -1  # the stream offset of that pair: the first frame it plays
        self.unplayed = 0  # frames of the scan before that pair
        self.drop_pending = False  # junk or a tag since the last frame: the next frame's packet is dropped
        self.dropped = 0
        # Lone legal headers in junk, by stream kind (LOCK_MASK bits): FFmpeg's parser may decode any of them.
        self._stray: dict[int, int] = {}
        self._started = False  # the first pair has been met before the lock (or the search window has passed)
        self.stray_until = 0  # the end of the last stray frame: FFmpeg's parser takes it whole

    # -- where it starts ---------------------------------------------------------------------------------

    def read_header(self, data: bytes, pos: int) -> None:
        """Read a Xing/Info/VBRI header as FFmpeg does at ``pos``, the first byte after the leading ID3v2 tags.

        Only there: a header met anywhere else (after junk, an APE tag, or mid-stream) is a frame FFmpeg
        decodes, with no gapless trim.
        """
        if self.at_start and len(data) - pos >= 4 and data[pos] == 0xFF:
            b1 = data[pos + 1]
            flen = FRAME_LENGTH[b1 << 8 | data[pos + 2]]
            # Free format (FFmpeg decodes none of it) or Layer I/II: no header is read.
            if flen and _mpeg.LAYER_OF_BITS[(b1 >> 1) & 3] == 3:
                found = parse_vbr_header(data[pos:pos + VBR_HEADER_BYTES], (b1 >> 3) & 3,
                                         _mpeg.is_mono(data[pos + 3]))
                if found is not None and found.is_header:
                    self.header, self.header_frame_bytes = found, flen
                if found is not None and found.gapless:
                    # Set as FFmpeg reads the LAME extension, even when the frame (no counts) is then decoded.
                    self.gapless = found
        self.search_from = self.leading_bytes + self.header_frame_bytes

    def skips_header_frame_at(self, offset: int) -> bool:
        """True when the frame at stream ``offset`` is the header frame FFmpeg skips."""
        return self.header is not None and self.at_start and offset == self.leading_bytes

    def find_start(self, data: bytes, pos: int, end: int, base: int) -> int:
        """Where in ``data`` FFmpeg starts playing: its first two consecutive frames from ``pos`` on (-1: not here).

        FFmpeg tries every byte from the start of its search (``mp3_read_header``); candidates are found by the
        sync pattern in C, and at most ``_PAIR_TRIES`` tried here.
        """
        window_end = min(end, self.search_from + FFMPEG_PAIR_SEARCH - base)
        for tried, match in enumerate(_mpeg.SYNC_CANDIDATE.finditer(data, pos, window_end)):
            at = match.start()
            flen = FRAME_LENGTH[data[at + 1] << 8 | data[at + 2]]
            if flen and ffmpeg_pair(data, at, at + flen):
                self.pair_found = True
                self.entry = base + at
                return at
            if tried >= _PAIR_TRIES:
                break
        return -1

    def pair_on_chain(self, data: bytes, pos: int, end: int, base: int, lock: int) -> int:
        """After a relock with no pair yet: frames walked along the chain from ``pos`` to FFmpeg's first pair.

        Returns -1 when there is none here. A pair more than ``FFMPEG_PAIR_SEARCH`` bytes in is never searched
        for: FFmpeg then plays from the start of its search, as it does any file longer than that.
        """
        walked = 0
        window_end = self.search_from + FFMPEG_PAIR_SEARCH - base
        while walked < _PAIR_TRIES and pos + 4 <= end and pos < window_end:
            key = data[pos + 1] << 8 | data[pos + 2]
            flen = FRAME_LENGTH[key]
            if data[pos] != 0xFF or not flen or key & LOCK_MASK != lock:
                return -1
            if ffmpeg_pair(data, pos, pos + flen):
                self.pair_found = True
                self.entry = base + pos
                return walked
            pos += flen
            walked += 1
        return -1

    def opens(self, file_bytes: int, complete: bool, free_format: bool) -> bool:
        """Whether FFmpeg opens the file: two consecutive frames in its window, or a file longer than the window."""
        return self.pair_found or not complete or (
            file_bytes - self.search_from >= FFMPEG_PAIR_SEARCH + 3 and not free_format)

    # -- what its parser and decoder do with junk --------------------------------------------------------

    def note_offchain(self, data: bytes, pos: int, upto: int) -> None:
        """Bytes between frames: unless all zeros (which the decoder skips), the next frame's packet is dropped."""
        if not self.drop_pending and data.count(0, pos, upto) != upto - pos:
            self.drop_pending = True

    def drop(self, offset: int) -> bool:
        """The frame at stream ``offset`` follows junk or a tag: True when the decoder drops it.

        Not the frame FFmpeg's demuxer starts at: its first packet opens there.
        """
        self.drop_pending = False
        if offset == self.entry:
            return False
        self.dropped += 1
        return True

    def count_stray(self, key: int, offset: int, locked: bool, starts_a_pair: bool) -> None:
        """A legal header (header bytes 1-2 ``key``) at stream ``offset`` that does not chain: FFmpeg may decode it.

        Its parser cuts a frame at any legal header it meets and its decoder plays it when only zeros come
        before it, so each counts in the stream duration, the upper bound. Before the lock that holds only from
        where FFmpeg starts playing: its first pair (``starts_a_pair``), or anywhere once its 64 KiB search has
        run out (it then plays from the start of the search). After the lock the parser is where the scan is
        (from FFmpeg's entry on), and it takes the stray frame whole: nothing inside it starts a frame.
        """
        if locked:
            if offset < self.entry:
                return  # before the first pair, which FFmpeg's parser starts at: it never sees this header
            self.stray_until = offset + FRAME_LENGTH[key]
        elif not self._started:
            if offset - self.search_from >= FFMPEG_PAIR_SEARCH:
                self._started = True  # no pair within its window: FFmpeg plays everything from the start
            elif starts_a_pair:
                self._started = self.pair_found = True
                self._stray.clear()  # FFmpeg's search skipped everything before this pair
        kind = key & LOCK_MASK
        self._stray[kind] = self._stray.get(kind, 0) + 1

    def locked_at(self, offset: int) -> None:
        """The scan locked at stream ``offset``: strays before it count only if FFmpeg was already playing."""
        if not self._started and offset - self.search_from < FFMPEG_PAIR_SEARCH:
            self._stray.clear()

    def stray_samples(self, rate: int, spf: int) -> int:
        """The stray headers' duration in samples of the locked stream (``rate``, ``spf``), rounded up.

        A header of another rate or layer counts as FFmpeg's decoder may label it: its samples at its own rate or
        at the stream's, whichever lasts longer (a lone Layer I header in an 8 kHz stream comes out as 384
        samples at 8 kHz), and where its rate is lower, the frame after it at that lower rate too (the decoder
        labels each frame with the rate of the one before: a 22.05 kHz frame in a 44.1 kHz stream comes out as
        576 samples at 44.1 kHz, then the next frame's 1,152 at 22.05 kHz; both measured).
        """
        total = 0
        for kind, count in self._stray.items():
            b1, b2 = kind >> 8, kind & 0xFF
            its_spf = _mpeg.samples_per_frame((b1 >> 3) & 3, _mpeg.LAYER_OF_BITS[(b1 >> 1) & 3])
            its_rate = _mpeg.sample_rate(b1, b2)
            total += -(-count * its_spf * max(its_rate, rate) // its_rate)
            if its_rate < rate:
                total += -(-count * spf * (rate - its_rate) // its_rate)
        return total

    # -- how long it plays -------------------------------------------------------------------------------

    def played_samples(self, frames: int, spf: int, file_bytes: int | None) -> int:
        """Samples FFmpeg plays of ``frames`` frames (audio and Info frames) of the stream.

        Frames before its first pair are never demuxed; the gapless trim is placed on the timeline of those it
        demuxes, dropped packets included, and the frames its decoder drops are then missing.
        """
        timeline = max(0, frames - self.unplayed) * spf
        header = self.gapless
        if header is not None and header.delay is not None and header.padding is not None:
            timeline = gapless_samples(timeline, spf, header.delay, header.padding,
                                       effective_frame_count(header, file_bytes, self.leading_bytes))
        return max(0, timeline - self.dropped * spf)
