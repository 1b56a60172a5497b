"""Tag blocks around MPEG audio (ID3v2, ID3v1, APEv2, Lyrics3): their sizes for skipping, their content for the report.

The scanner only needs each tag's length so it can skip it and count its bytes (tags spend the size
budget but play nothing). Content (title, artist, embedded pictures) comes from mutagen, fed the first
ID3v2 tag's first ``TAG_CAPTURE_BYTES``; of a bigger tag only the frames inside that prefix are read (the
frame running past it, usually a picture, is listed from its header), so memory stays O(1) whatever a tag claims.
Mutagen is handed only the frames the report uses, never a compressed one: it inflates compressed frames
whole, and a 190 KB zlib frame in a stranger's tag made a check allocate 200 MB and spend 1.7 s. A tag with
none of those frames is not handed to it at all (nor is mutagen imported).
"""

from __future__ import annotations

import io
from typing import Any

ID3V2_HEADER_BYTES = 10
ID3V1_BYTES = 128
APE_HEADER_BYTES = 32
# The most a Lyrics3v2 block can span: a 6-digit size (from LYRICSBEGIN on) plus its 15-byte end marker.
LYRICS3_MAX_BYTES = 999_999 + 15
# Tags up to this size are kept for mutagen to read (a typical cover picture fits); larger ones are only counted.
TAG_CAPTURE_BYTES = 256 * 1024


def id3v2_size(header: bytes) -> int | None:
    """Total bytes of the ID3v2 tag whose 10-byte header this is (header, body and footer), or None if invalid."""
    if len(header) < ID3V2_HEADER_BYTES or header[:3] != b"ID3":
        return None
    major, flags = header[3], header[5]
    if major not in (2, 3, 4) or header[4] == 0xFF or any(b & 0x80 for b in header[6:10]):
        return None
    body = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
    footer = ID3V2_HEADER_BYTES if major == 4 and flags & 0x10 else 0
    return ID3V2_HEADER_BYTES + body + footer


def leading_id3v2_size(header: bytes) -> int | None:
    """Total bytes of an ID3v2 tag at the start of a file as FFmpeg skips it, or None where FFmpeg sees no tag.

    FFmpeg skips consecutive ID3v2 tags before probing (``ff_id3v2_match`` and ``id3v2_parse`` in
    libavformat/id3v2.c): any version byte but 0xFF (a version it cannot read is skipped by its size, not kept
    as audio), a revision byte other than 0xFF, a syncsafe size, and the 10-byte footer only for v2.4. Where
    the Xing/Info header is looked for depends on where these end, so the scanner skips exactly what FFmpeg does.
    """
    if len(header) < ID3V2_HEADER_BYTES or header[:3] != b"ID3":
        return None
    if header[3] == 0xFF or header[4] == 0xFF or any(b & 0x80 for b in header[6:10]):
        return None
    body = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
    footer = ID3V2_HEADER_BYTES if header[3] == 4 and header[5] & 0x10 else 0
    return ID3V2_HEADER_BYTES + body + footer


def ape_size(header: bytes) -> int | None:
    """Total bytes of an APEv2 tag starting here (header + items + footer), 32 for a lone footer; None if invalid."""
    if len(header) < APE_HEADER_BYTES or header[:8] != b"APETAGEX":
        return None
    size = int.from_bytes(header[12:16], "little")
    flags = int.from_bytes(header[20:24], "little")
    if flags & (1 << 29):  # this is the header: size counts items and footer, not the header itself
        return APE_HEADER_BYTES + size
    return APE_HEADER_BYTES


def ape_items_before_footer(footer: bytes) -> int:
    """Bytes of items that precede a lone APEv2 footer (a tag written without a header), 0 for anything else."""
    if len(footer) < APE_HEADER_BYTES or footer[:8] != b"APETAGEX":
        return 0
    flags = int.from_bytes(footer[20:24], "little")
    if flags & (1 << 29) or flags & (1 << 31):  # a header, or a footer whose tag has one: its items follow it
        return 0
    return max(0, int.from_bytes(footer[12:16], "little") - APE_HEADER_BYTES)


def ape_footer_size(footer: bytes) -> int | None:
    """Total bytes of the APEv2 tag that ends with this 32-byte footer (including its header if flagged)."""
    if len(footer) < APE_HEADER_BYTES or footer[:8] != b"APETAGEX":
        return None
    size = int.from_bytes(footer[12:16], "little")
    flags = int.from_bytes(footer[20:24], "little")
    return size + (APE_HEADER_BYTES if flags & (1 << 31) else 0)


def lyrics3v2_size(tail: bytes) -> int | None:
    """Bytes of a Lyrics3v2 block whose end (6-digit size + ``LYRICS200``) is the end of ``tail``."""
    if len(tail) < 15 or tail[-9:] != b"LYRICS200" or not tail[-15:-9].isdigit():
        return None
    return int(tail[-15:-9]) + 15


def _latin1_field(raw: bytes) -> str | None:
    text = raw.split(b"\x00", 1)[0].decode("latin-1").strip()
    return text or None


def describe_id3v1(tag: bytes) -> dict[str, Any]:
    """Title and artist of a 128-byte ID3v1 tag."""
    return {"title": _latin1_field(tag[3:33]), "artist": _latin1_field(tag[33:63])}


def describe_id3v2(tag: bytes) -> dict[str, Any]:
    """Title, artist and embedded pictures (type, MIME, bytes) of a complete ID3v2 tag, read by mutagen."""
    return describe_id3v2_prefix(tag)


# The frames the report reads (v2.3/2.4 ids, then v2.2's): everything else is left out of mutagen's work.
_WANTED_FRAMES = frozenset({b"TIT2", b"TPE1", b"APIC", b"TT2", b"TP1", b"PIC"})
# Frame flag bits (second flag byte) for compression and encryption, in v2.3 and v2.4.
_PACKED_FLAGS = {3: 0x80 | 0x40, 4: 0x08 | 0x04}


def _read_with_mutagen(tag: bytes) -> dict[str, Any]:
    try:
        from mutagen.id3 import ID3

        parsed: Any = ID3(io.BytesIO(tag))
    except Exception:  # mutagen raises many kinds on damaged tags; an unreadable tag is not a verdict
        return {"readable": False}
    pictures = [{"mime": frame.mime, "type": int(frame.type), "bytes": len(frame.data)}
                for frame in parsed.getall("APIC")]

    def text(frame_id: str) -> str | None:
        frame = parsed.get(frame_id)
        return str(frame.text[0]) if frame is not None and frame.text else None

    return {"readable": True, "title": text("TIT2"), "artist": text("TPE1"), "pictures": pictures}


def _syncsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _utf16_end(body: bytes, start: int) -> int:
    """Just past the UTF-16 NUL that ends the text at ``start``: a whole code unit, so "c" (63 00) then 00 00 ends
    at the second pair, not at the 00 00 straddling them."""
    for at in range(start, len(body) - 1, 2):
        if not body[at] and not body[at + 1]:
            return at + 2
    raise ValueError("no terminator")


def _picture_head(frame_id: bytes, size: int, body: bytes) -> dict[str, Any]:
    """MIME type, picture type and image bytes of an APIC (v2.3/2.4) or PIC (v2.2) frame from its first bytes."""
    try:
        encoding = body[0]
        if frame_id == b"PIC":
            mime, at = "image/" + body[1:4].decode("latin-1").lower(), 4
        else:
            end = body.index(b"\x00", 1)
            mime, at = body[1:end].decode("latin-1"), end + 1
        kind = body[at]
        desc_end = _utf16_end(body, at + 1) if encoding in (1, 2) else body.index(b"\x00", at + 1) + 1
        return {"mime": mime, "type": kind, "bytes": size - desc_end}
    except (IndexError, ValueError):
        return {"mime": None, "type": None, "bytes": size}


def describe_id3v2_prefix(prefix: bytes) -> dict[str, Any]:
    """Like :func:`describe_id3v2` for the first bytes of a tag too big to keep (or for a whole tag).

    The wanted frames wholly inside the prefix are read by mutagen (as a tag rebuilt from them); the frame that
    runs past it, usually a cover picture, is listed from its header.
    """
    major, flags = prefix[3], prefix[5]
    if flags & 0xC0 or major not in (2, 3, 4):  # whole-tag unsynchronisation or an extended header: give up
        return {"readable": False}
    packed = _PACKED_FLAGS.get(major, 0)
    id_len, header_len = (3, 6) if major == 2 else (4, 10)
    pos, kept, oversized = ID3V2_HEADER_BYTES, [], []
    while pos + header_len <= len(prefix) and prefix[pos] != 0:
        frame_id = prefix[pos:pos + id_len]
        raw_size = prefix[pos + id_len:pos + header_len - (0 if major == 2 else 2)]
        size = _syncsafe(raw_size) if major == 4 else int.from_bytes(raw_size, "big")
        end = pos + header_len + size
        if end > len(prefix):
            if frame_id in (b"APIC", b"PIC"):
                oversized.append(_picture_head(frame_id, size, prefix[pos + header_len:pos + header_len + 256]))
            break
        if frame_id in _WANTED_FRAMES and not (packed and prefix[pos + 9] & packed):
            kept.append(prefix[pos:end])
        pos = end
    if not kept:
        # Nothing for mutagen to read (an encoder's tag holds only TSSE, say): what it would answer for the empty
        # tag, without importing it, which was most of a process's first check (7 ms of 7.3).
        return {"readable": True, "title": None, "artist": None, "pictures": oversized}
    body = b"".join(kept)
    length = len(body)
    header = prefix[:3] + bytes([major, prefix[4], 0]) + bytes((length >> s) & 0x7F for s in (21, 14, 7, 0))
    info = _read_with_mutagen(header + body)
    if info.get("readable"):
        info["pictures"] = [*info["pictures"], *oversized]
    return info
