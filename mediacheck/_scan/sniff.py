"""Name what the first bytes of a file are when they are not MPEG audio: containers, other codecs, web pages, documents.

Sniffing runs on the bytes after any leading ID3v2 tag, before the frame scan, so a WAV, an M4A or an
HTML error page is named at once (and the fetch can stop). AAC in ADTS framing starts with a 12-bit
sync word much like MPEG audio's; its "layer" bits are 00, which MPEG audio reserves, and that tells
them apart. MP3 wrapped in RIFF/WAVE is named as WAV: players that want an MP3 file do not unwrap it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Enough for every binary signature below and for an HTML/XML page's first elements.
SNIFF_BYTES = 512


@dataclass(frozen=True, slots=True)
class Sniffed:
    """A verdict from the first bytes: the format's short name and what it is, as a sentence fragment."""

    format: str
    description: str


_WAV_CODECS = {
    0x0001: "PCM audio",
    0x0003: "floating-point PCM audio",
    0x0006: "A-law audio",
    0x0007: "mu-law audio",
    0x0011: "IMA ADPCM audio",
    0x0050: "MPEG Layer I/II audio",
    0x0055: "MP3 audio wrapped in a RIFF/WAVE container (an MP3 inside a WAV file, not an MP3 file)",
    0xFFFE: "PCM audio (WAVE_FORMAT_EXTENSIBLE)",
}

_MP4_BRANDS = {
    b"M4A ": "an M4A (AAC in MP4) audio file",
    b"M4B ": "an M4B audiobook (AAC in MP4)",
    b"M4V ": "an M4V video",
    b"qt  ": "a QuickTime movie",
    b"3gp": "a 3GP phone recording (MP4 family)",
    b"3g2": "a 3G2 phone recording (MP4 family)",
}

_CODE_RE = re.compile(rb"<Code>([A-Za-z0-9._-]{1,64})</Code>")


def sniff(head: bytes) -> Sniffed | None:
    """Name a non-MPEG format from the first bytes, or None when they may be MPEG audio (or junk before it)."""
    if not head:
        return Sniffed("empty", "an empty file (0 bytes)")
    if head[:4] == b"RIFF" or head[:4] == b"RIFX":
        return _sniff_riff(head)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        described = _MP4_BRANDS.get(brand) or _MP4_BRANDS.get(brand[:3])
        return Sniffed("mp4", described or f"an MP4-family file (brand {brand.decode('latin-1').strip()!r})")
    if head[:4] == b"OggS":
        return _sniff_ogg(head)
    if head[:4] == b"fLaC":
        return Sniffed("flac", "a FLAC (lossless) audio file")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return Sniffed("aac", "AAC audio in ADTS framing (what some tools save as .aac)")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed("aiff", "an AIFF audio file")
    if head[:4] == b"\x30\x26\xb2\x75":
        return Sniffed("wma", "a Windows Media (ASF/WMA) file")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Sniffed("webm", "a Matroska/WebM file")
    if head[:5] == b"#!AMR":
        return Sniffed("amr", "an AMR speech recording")
    if head[:5] == b"%PDF-":
        return Sniffed("pdf", "a PDF document")
    if head[:4] == b"PK\x03\x04":
        return Sniffed("zip", "a ZIP archive")
    if head[:2] == b"\x1f\x8b":
        return Sniffed("gzip", "gzip-compressed data")
    if head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:4] == b"GIF8":
        return Sniffed("image", "an image, not audio")
    return _sniff_text(head)


def _sniff_riff(head: bytes) -> Sniffed:
    if head[8:12] != b"WAVE":
        kind = head[8:12].decode("latin-1").strip() or "unknown"
        return Sniffed("riff", f"a RIFF container of type {kind!r} (not audio MP3)")
    if head[12:16] == b"fmt " and len(head) >= 22:
        codec = int.from_bytes(head[20:22], "little")
        what = _WAV_CODECS.get(codec, f"audio in codec 0x{codec:04x}")
        return Sniffed("wav", f"a WAV file holding {what}")
    return Sniffed("wav", "a WAV (RIFF/WAVE) file")


def _sniff_ogg(head: bytes) -> Sniffed:
    if b"OpusHead" in head:
        return Sniffed("ogg", "an Ogg Opus audio file")
    if b"\x01vorbis" in head:
        return Sniffed("ogg", "an Ogg Vorbis audio file")
    if b"\x7fFLAC" in head:
        return Sniffed("ogg", "an Ogg FLAC audio file")
    return Sniffed("ogg", "an Ogg container file")


def _sniff_text(head: bytes) -> Sniffed | None:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    lowered = text[:SNIFF_BYTES].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<title",
                           b"<script")) or (lowered.startswith(b"<") and b"<html" in lowered):
        return Sniffed("html", "an HTML web page (a share or login page, or an error page)")
    if lowered.startswith(b"<?xml") or (lowered.startswith(b"<") and lowered[1:2].isalpha()):
        code = _CODE_RE.search(text)
        if code is not None:
            return Sniffed("xml", f"an XML error document (code {code.group(1).decode('ascii')})")
        return Sniffed("xml", "an XML document")
    if lowered.startswith((b"{", b"[")):
        return Sniffed("json", "a JSON document (an API response, not a file)")
    return None
