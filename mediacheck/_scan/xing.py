"""Xing/Info and VBRI headers in a stream's first frame, and the LAME-format extension that records gapless info.

The LAME extension (written by LAME and by FFmpeg's encoder as ``Lavc``/``Lavf``) stores the encoder delay
and end padding in 12 bits each; a decoder that honours it (FFmpeg does) drops those samples, so the
playback duration is ``frames x samples_per_frame - delay - padding`` (to the sample, the way FFmpeg applies
it: see :func:`gapless_samples`). The frame that carries the header is
silent metadata, never audio. These headers are claims: the scanner counts the real frames and trusts them.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediacheck._scan.mpeg import xing_offset

# Bytes of a frame needed to read every field below: VBRI at 36 (+26), or Xing at <= 40 (+120) + LAME (+36).
VBR_HEADER_BYTES = 200

_LAME_ENCODERS = (b"LAME", b"Lavf", b"Lavc")


@dataclass(frozen=True, slots=True)
class VbrHeader:
    """What a Xing/Info or VBRI header claims: frame and byte counts, the encoder, and the gapless delay/padding."""

    kind: str  # "Xing", "Info" or "VBRI"
    frames: int | None
    bytes: int | None
    encoder: str | None = None
    delay: int | None = None
    padding: int | None = None


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "big")


def parse_vbr_header(frame: bytes, version_bits: int, mono: bool, protected: bool) -> VbrHeader | None:
    """Read a Xing/Info or VBRI header from the first bytes of a frame, or None when it carries neither."""
    starts = [xing_offset(version_bits, mono)]
    if protected:
        starts.insert(0, starts[0] + 2)
    for at in starts:
        tag = frame[at:at + 4]
        if tag in (b"Xing", b"Info"):
            return _parse_xing(frame, at, tag.decode("ascii"))
    if frame[36:40] == b"VBRI" and len(frame) >= 54:
        # VBRI (Fraunhofer): version, delay, quality, then bytes and frames. FFmpeg does not apply its delay.
        return VbrHeader("VBRI", frames=_u32(frame, 50), bytes=_u32(frame, 46), encoder="FhG")
    return None


def _parse_xing(frame: bytes, at: int, kind: str) -> VbrHeader | None:
    if len(frame) < at + 8:
        return None
    flags = _u32(frame, at + 4)
    cursor = at + 8
    frames = bytes_ = None
    if flags & 1:
        if len(frame) < cursor + 4:
            return None
        frames = _u32(frame, cursor)
        cursor += 4
    if flags & 2:
        if len(frame) < cursor + 4:
            return None
        bytes_ = _u32(frame, cursor)
        cursor += 4
    if flags & 4:
        cursor += 100
    if flags & 8:
        cursor += 4
    encoder = delay = padding = None
    lame = frame[cursor:cursor + 24]
    if len(lame) == 24 and lame[:4] in _LAME_ENCODERS:
        encoder = lame[:9].rstrip(b"\x00 ").decode("ascii", "replace")
        packed = int.from_bytes(lame[21:24], "big")
        delay, padding = packed >> 12, packed & 0xFFF
    return VbrHeader(kind, frames=frames, bytes=bytes_, encoder=encoder, delay=delay, padding=padding)


# MP3 decoders (LAME's, mpg123's, FFmpeg's) output 528 + 1 samples of filter delay before the first real
# sample; the LAME-format header's delay and padding are counted on top of it.
DECODER_DELAY = 529


def gapless_samples(stream: int, spf: int, delay: int, padding: int, header_frames: int | None) -> int:
    """Samples a gapless decoder plays from ``stream`` samples, as FFmpeg applies a LAME-format header.

    FFmpeg skips ``delay + 529`` samples at the start and drops the samples from ``header_frames * spf -
    padding + 529`` up to ``header_frames * spf`` (the frame the header counts to). Normally that removes
    exactly delay + padding; a padding under 529 removes nothing at the end, and a wrong count (forged,
    joined or truncated files) drops the padding where the count says, or nowhere if that is past the end.
    """
    played = stream - delay - DECODER_DELAY
    if header_frames:
        window_end = min(header_frames * spf, stream)
        window_start = max(header_frames * spf - padding + DECODER_DELAY, 0)
        played -= max(0, window_end - window_start)
    return max(0, played)
