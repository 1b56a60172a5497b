"""Name what the first bytes of a file are when they are not MPEG audio: containers, other codecs, web pages, documents.

Sniffing runs on the bytes after any leading ID3v2 tag, before the frame scan, so a WAV, an M4A or an
HTML error page is named at once (and the fetch can stop). AAC in ADTS framing starts with a 12-bit
sync word much like MPEG audio's; its "layer" bits are 00, which MPEG audio reserves, and that tells
them apart. MP3 wrapped in RIFF/WAVE is named as WAV: players that want an MP3 file do not unwrap it.
"""

from __future__ import annotations

import json
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
# A RIFF file's form type is a four-character code ("WAVE", "AVI ", "WEBP"): "RIFF" followed by binary is no
# RIFF file (FFmpeg plays an MP3 stream behind those four bytes).
_RIFF_FORM = re.compile(rb"[A-Za-z][A-Za-z0-9 ]{3}")


def sniff(head: bytes) -> Sniffed | None:
    """Name a non-MPEG format from the first bytes, or None when they may be MPEG audio (or junk before it)."""
    if not head:
        return Sniffed("empty", "an empty file (0 bytes)")
    if head[:4] in (b"RIFF", b"RIFX") and _is_riff(head):
        return _sniff_riff(head)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        described = _MP4_BRANDS.get(brand) or _MP4_BRANDS.get(brand[:3])
        return Sniffed("mp4", described or f"an MP4-family file (brand {brand.decode('latin-1').strip()!r})")
    if head[:4] == b"OggS":
        return _sniff_ogg(head)
    if head[:4] == b"fLaC":
        return Sniffed("flac", "a FLAC (lossless) audio file")
    if _is_adts(head):
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
    if head[:3] == b"\x1f\x8b\x08" and len(head) > 3 and not head[3] & 0xE0:  # deflate, no reserved flag bits
        return Sniffed("gzip", "gzip-compressed data")
    jpeg = head[:3] == b"\xff\xd8\xff" and head[3:4] >= b"\xc0"  # SOI, then a marker
    if head[:8] == b"\x89PNG\r\n\x1a\n" or jpeg or head[:4] == b"GIF8":
        return Sniffed("image", "an image, not audio")
    return _sniff_text(head)


def _is_adts(head: bytes) -> bool:
    """AAC in ADTS framing: its 12-bit sync with layer 00, a real sample rate, and a frame length that lands on the
    next sync where the head reaches that far (a 12-bit pattern alone turns up in random bytes and MPEG junk)."""
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0 or (head[2] >> 2) & 0xF > 12:
        return False
    length = (head[3] & 3) << 11 | head[4] << 3 | head[5] >> 5
    if length < 7:
        return False
    return length + 2 > len(head) or (head[length] == 0xFF and head[length + 1] & 0xF6 == 0xF0)


def _is_riff(head: bytes) -> bool:
    """A RIFF/RIFX header: a chunk size that at least holds the form type, and a four-character form type."""
    size = int.from_bytes(head[4:8], "little" if head[:4] == b"RIFF" else "big")
    return len(head) >= 12 and size >= 4 and _RIFF_FORM.fullmatch(head[8:12]) is not None


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


# Bytes a text document (HTML, XML, JSON) never holds: C0 controls other than tab, line feed, form feed and
# carriage return, and DEL. MPEG frames and random data hold them within a few bytes.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# The first tokens of a JSON document: an object opening on a key (or closing), or an array opening on a value.
_JSON_START = re.compile(rb'\s*(?:\{\s*(?:"|\})|\[\s*(?:[\[{"\]\-0-9]|true|false|null))')


def _is_text(head: bytes) -> bool:
    """True when ``head`` reads as a text document: no control bytes, and UTF-8 (a character cut at the end aside)."""
    if _CONTROL.search(head):
        return False
    for cut in range(4):  # the sniffed prefix may end inside a multi-byte character
        try:
            head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _is_json(text: bytes, whole: bool) -> bool:
    """Evidence of JSON: its opening tokens, and when the whole body is at hand, a document that parses."""
    if not _JSON_START.match(text):
        return False
    if not whole:
        return True
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _sniff_text(head: bytes) -> Sniffed | None:
    """HTML, XML or JSON, named only on evidence: a text document (not binary data that starts with "<" or "{")."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text[:1] not in (b"<", b"{", b"[") or not _is_text(text):
        return None
    lowered = text[:SNIFF_BYTES].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<title",
                           b"<script")) or (lowered.startswith(b"<") and b"<html" in lowered):
        return Sniffed("html", "an HTML web page (a share or login page, or an error page)")
    if lowered.startswith(b"<?xml") or (lowered.startswith(b"<") and lowered[1:2].isalpha()):
        code = _CODE_RE.search(text)
        if code is not None:
            return Sniffed("xml", f"an XML error document (code {code.group(1).decode('ascii')})")
        return Sniffed("xml", "an XML document")
    if _is_json(text, whole=len(head) < SNIFF_BYTES):
        return Sniffed("json", "a JSON document (an API response, not a file)")
    return None
