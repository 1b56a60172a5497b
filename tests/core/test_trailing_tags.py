"""Tags the scan could only take for junk while it ran are counted as tags once the stream has ended.

Two ways a trailing tag goes unrecognised mid-scan: a Lyrics3v2 block after junk (the resync looks for frames
and tag magics, and "LYRICSBEGIN" is none of those), and tags inside a stray frame's span (FFmpeg's parser
takes a stray frame whole, so nothing inside it starts a tag). At the end, the stream's last bytes say what
they were (an ID3v1 tag, a Lyrics3v2 size and marker, an APEv2 footer): they are moved from junk to tags, so
the junk warning counts only the real junk and the tag summary lists every tag.
"""

from __future__ import annotations

import struct

import pytest

from mediacheck._check import check_chunks
from tests.core.conftest import chunks
from tests.core.test_scanner import FRAME_COUNT, FRAMES

JUNK = b"\x55" * 50
ID3V1 = b"TAG" + b"Title".ljust(30, b"\0") + b"Artist".ljust(30, b"\0") + bytes(128 - 63)
_LYRICS_BODY = b"LYRICSBEGIN" + b"IND00003110" + b"LYR00011hello world"
LYRICS3V2 = _LYRICS_BODY + b"%06d" % len(_LYRICS_BODY) + b"LYRICS200"
_APE_ITEMS = b"\x05\x00\x00\x00\x00\x00\x00\x00Title\x00hello"
# A footer-only APEv2 tag (version 2000, size = items + footer, one item, no header flag).
APEV2_FOOTER_ONLY = _APE_ITEMS + b"APETAGEX" + struct.pack("<IIII", 2000, len(_APE_ITEMS) + 32, 1, 0) + bytes(8)
# A header of the stream's own kind that does not chain: its 313-byte span covers everything after it here.
STRAY_HEADER = FRAMES[:4]

CASES = [
    pytest.param(FRAMES + JUNK + LYRICS3V2, {"lyrics3": len(LYRICS3V2)}, len(JUNK), id="lyrics3-after-junk"),
    pytest.param(FRAMES + JUNK + STRAY_HEADER + JUNK + ID3V1, {"id3v1": 128}, 2 * len(JUNK) + 4,
                 id="id3v1-inside-a-stray-frame"),
    pytest.param(FRAMES + JUNK + STRAY_HEADER + APEV2_FOOTER_ONLY + LYRICS3V2 + ID3V1,
                 {"apev2": len(APEV2_FOOTER_ONLY), "id3v1": 128, "lyrics3": len(LYRICS3V2)}, len(JUNK) + 4,
                 id="apev2-lyrics3-id3v1-inside-a-stray-frame"),
]


@pytest.mark.parametrize("chunk_size", [1, 1000, 1 << 20], ids=["bytewise", "1000", "whole"])
@pytest.mark.parametrize(("data", "tags", "junk"), CASES)
def test_trailing_tags_are_tags_not_junk(data: bytes, tags: dict[str, int], junk: int, chunk_size: int) -> None:
    """Every trailing tag is counted by kind with its exact size, the junk warning counts only the junk before
    them, and every audio frame is still found, however the stream was chunked."""
    report = check_chunks(chunks(data, chunk_size))
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.media.tags is not None
    assert report.media.tags["by_kind"] == tags
    assert report.media.tags["bytes"] == sum(tags.values())
    junk_messages = [f.message for f in report.findings if f.code == "format.junk"]
    assert junk_messages == [f"{junk} bytes in 1 place(s) are not audio frames; players skip them."]
    assert report.ok


@pytest.mark.parametrize("chunk_size", [1, 1000, 1 << 20], ids=["bytewise", "1000", "whole"])
@pytest.mark.parametrize("kept", [3, 10, 64, 100, 127])
def test_an_id3v1_tag_cut_short_counts_the_bytes_it_has(kept: int, chunk_size: int) -> None:
    """An ID3v1 tag cut short by the end of the file counts the bytes that exist, once: not those less the bytes
    it lacks (which made the tag bytes negative and the audio share of the file larger than the file)."""
    data = FRAMES + ID3V1[:kept]
    report = check_chunks(chunks(data, chunk_size), declared_size=len(data))
    assert report.media is not None
    assert report.media.frames == FRAME_COUNT
    assert report.media.tags is not None
    assert report.media.tags["by_kind"] == {"id3v1": kept}
    assert report.media.tags["bytes"] == kept
    assert report.ok
