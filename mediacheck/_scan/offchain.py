"""Accounts for the bytes of a locked stream that are not frames, and the budget that bounds a hostile body.

Once the scanner has locked onto a stream, whatever breaks the frame chain lands here: junk (counted in runs,
capped at a quarter of the size limit but never under the rules' 64 KiB minimum, where "corrupt" is certain),
the inside of a tag met mid-stream (its claimed size is believed for counting, while the scanner still searches
it for frames), a Lyrics3 block (no size up front, so at most the largest one possible), and tags recognised at
the very end from the stream's tail. Each step off the chain is a detour; past ``MAX_DETOURS`` the stream is
given up as damaged.
"""

from __future__ import annotations

from mediacheck._scan import tags as _tags
from mediacheck._scan.tag_ledger import TagLedger

# Once a stream is locked, each step off the frame chain costs Python work: a false header tried and dropped,
# a run of junk begun, a tag met mid-stream, a second Xing/Info frame. A clean file takes a handful (one per
# joined part or tag); hostile bodies can pack one into every 4-5 bytes, which cost ~3 s of CPU per 9 MB before
# this cap. Past it the stream is called damaged and the scan stops, so a check's worst case stays a few ms.
MAX_DETOURS = 1000
# Each audio frame met earns this share of a detour on top, so a long stream joined from many parts (one Info
# frame each) is not cut off when the limits are lifted; the work stays linear, a detour per four frames at most.
DETOURS_PER_FRAME = 0.25


class OffChain:
    """Junk, mid-stream tag bodies and Lyrics3 blocks between frames, and the count of detours."""

    def __init__(self, junk_cap: int, ledger: TagLedger) -> None:
        self.junk = 0
        self.runs = 0
        self.trailing = 0  # junk since the last frame or tag (a run still open, or the stream's tail)
        self.detours = 0
        self.tag_run_left = 0  # bytes of a mid-stream tag's claimed size not yet met
        self._junk_cap = junk_cap
        self._ledger = ledger
        self._tag_run_kind = ""
        self._in_lyrics = False
        self._lyrics_left = 0

    def add(self, n: int) -> bool:
        """Account ``n`` bytes met between frames; True when junk has reached its cap (the scan may stop)."""
        if self._in_lyrics:
            inside = min(n, self._lyrics_left)
            self._lyrics_left -= inside
            self._ledger.count("lyrics3", inside)
            n -= inside
            if not n:
                return False
            self._in_lyrics = False  # longer than any Lyrics3 block can be: what follows is junk
        if self.tag_run_left:
            inside = min(n, self.tag_run_left)
            self.tag_run_left -= inside
            self._ledger.count(self._tag_run_kind, inside)
            n -= inside
            if not n:
                return False
        if self.trailing == 0:
            self.runs += 1
        capped = self.junk + n >= self._junk_cap
        if capped:
            # A quarter of the size budget (at least 64 KiB) is junk: whatever follows, the file is corrupt (the
            # rules' share and minimum) or too large, so the verdict is certain. Stopping at exactly the cap keeps
            # chunking invisible.
            n = self._junk_cap - self.junk
        self.junk += n
        self.trailing += n
        return capped

    def detour(self, audio_frames: int) -> bool:
        """Count one step off the frame chain; True once the budget (``MAX_DETOURS`` + frames' share) is spent."""
        self.detours += 1
        return self.detours > MAX_DETOURS + audio_frames * DETOURS_PER_FRAME

    def begin_lyrics(self, marker_bytes: int) -> None:
        """A Lyrics3 block starts (its marker already counted): what follows is lyrics, up to the largest block."""
        self._in_lyrics = True
        self._lyrics_left = _tags.LYRICS3_MAX_BYTES - marker_bytes

    def begin_tag_run(self, kind: str, claimed: int) -> None:
        """A tag met mid-stream claims ``claimed`` more bytes: count them as that tag until frames resume."""
        self._tag_run_kind = kind
        self.tag_run_left = claimed
        self._in_lyrics = False

    def end_junk(self) -> None:
        """A frame or a tag follows: the open junk run (if any) is closed."""
        self.trailing = 0

    def start_junk(self) -> None:
        """The frame chain broke on bytes that are no tag: a Lyrics3 block (if one was open) has ended."""
        self._in_lyrics = False

    def back_on_chain(self) -> None:
        """Frames chain again (also inside a tag's claimed size: the claim lied, and decoders play them)."""
        self.trailing = 0
        self._in_lyrics = False
        self.tag_run_left = 0

    def reclaim_trailing(self, kind: str, n: int) -> None:
        """The last ``n`` bytes of the open junk run (at most all of it) were a tag's: count them as ``kind``."""
        if n and self.trailing:
            self._move_to_tag(kind, min(n, self.trailing))

    def reclassify_tail(self, tail: bytes) -> None:
        """Junk at the very end that is a footer-only APEv2 tag, a Lyrics3v2 block or an ID3v1 tag is a tag."""
        junk = self.trailing
        if not junk:
            return
        end = len(tail)
        if junk >= _tags.ID3V1_BYTES and tail[end - 128:end - 125] == b"TAG":
            self._move_to_tag("id3v1", _tags.ID3V1_BYTES)
            end -= _tags.ID3V1_BYTES
            junk -= _tags.ID3V1_BYTES
        lyrics = _tags.lyrics3v2_size(tail[:end])
        if lyrics is not None and junk:
            moved = min(lyrics, junk)
            self._move_to_tag("lyrics3", moved)
            end -= min(moved, end)
            junk -= moved
        ape = _tags.ape_footer_size(tail[end - 32:end]) if end >= 32 else None
        if ape is not None and junk:
            self._move_to_tag("apev2", min(ape, junk))

    def _move_to_tag(self, kind: str, n: int) -> None:
        n = min(n, self.junk)
        self.junk -= n
        self.trailing -= n
        if not self.junk:
            self.runs = 0
        elif not self.trailing:
            self.runs -= 1
        self._ledger.count(kind, n)
