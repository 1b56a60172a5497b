"""Xing/Info and VBRI headers in a stream's first frame, and the LAME-format extension that records gapless info.

The LAME extension (written by LAME and by FFmpeg's encoder as ``Lavc``/``Lavf``) stores the encoder delay
and end padding in 12 bits each; a decoder that honours it (FFmpeg does) drops those samples, so the
playback duration is ``frames x samples_per_frame - delay - padding`` (to the sample, the way FFmpeg applies
it: see :func:`gapless_samples`). FFmpeg looks for these headers in one place only, the first bytes after the
leading ID3v2 tags (libavformat/mp3dec.c, ``mp3_read_header``); the scanner reads them there and nowhere else.
There the frame is skipped as metadata when it carries a frame or byte count, and decoded (as a frame of
silence) when it does not. These headers are claims: the scanner counts the real frames and trusts them.
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
    # The Xing counts FFmpeg computes the end trim from: VBRI's counts replace the others only after it has.
    trim_frames: int | None = None
    trim_bytes: int | None = None

    @property
    def is_header(self) -> bool:
        """True when FFmpeg takes the frame for a header and skips it: only with a frame or a byte count."""
        return bool(self.frames or self.bytes)

    @property
    def gapless(self) -> bool:
        """True when the LAME-format extension gives FFmpeg a delay and padding to trim (even in a frame it plays)."""
        return self.delay is not None and self.padding is not None


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "big")


def parse_vbr_header(frame: bytes, version_bits: int, mono: bool) -> VbrHeader | None:
    """Read the Xing/Info and VBRI headers of a stream's first frame exactly as FFmpeg's MP3 demuxer does, or None.

    Mirrors ``mp3_parse_info_tag`` and ``mp3_parse_vbri_tag`` of libavformat/mp3dec.c: the Xing/Info magic is
    read right after the side information, whatever the CRC bit says (a CRC-protected frame whose magic sits two
    bytes later is audio to FFmpeg); bytes past the end of the frame (or of the file, as zeros) are read as they
    come; a VBRI header (version 1 only) overrides the Xing counts. ``frame`` is the frame's first
    ``VBR_HEADER_BYTES`` (fewer only at the end of the stream).
    """
    frame = frame.ljust(VBR_HEADER_BYTES, b"\x00")  # FFmpeg reads zeros past the end of the file
    found: VbrHeader | None = None
    at = xing_offset(version_bits, mono)
    tag = frame[at:at + 4]
    if tag in (b"Xing", b"Info"):
        found = _parse_xing(frame, at, tag.decode("ascii"))
    if frame[36:40] == b"VBRI" and int.from_bytes(frame[40:42], "big") == 1:
        # VBRI (Fraunhofer): version, delay, quality, then bytes and frames. FFmpeg does not apply its delay.
        xing = found or VbrHeader("VBRI", None, None)
        return VbrHeader("VBRI", frames=_u32(frame, 50), bytes=_u32(frame, 46), encoder=xing.encoder or "FhG",
                         delay=xing.delay, padding=xing.padding, trim_frames=xing.trim_frames,
                         trim_bytes=xing.trim_bytes)
    return found


def _parse_xing(frame: bytes, at: int, kind: str) -> VbrHeader:
    flags = _u32(frame, at + 4)
    cursor = at + 8
    frames = bytes_ = None
    if flags & 1:
        frames = _u32(frame, cursor)
        cursor += 4
    if flags & 2:
        bytes_ = _u32(frame, cursor)
        cursor += 4
    if flags & 4:
        cursor += 100
    if flags & 8:
        cursor += 4
    encoder = delay = padding = None
    lame = frame[cursor:cursor + 24]
    if lame[:4] in _LAME_ENCODERS:
        encoder = lame[:9].rstrip(b"\x00 ").decode("ascii", "replace")
        packed = int.from_bytes(lame[21:24], "big")
        delay, padding = packed >> 12, packed & 0xFFF
    return VbrHeader(kind, frames=frames, bytes=bytes_, encoder=encoder, delay=delay, padding=padding,
                     trim_frames=frames, trim_bytes=bytes_)


def effective_frame_count(header: VbrHeader, file_bytes: int | None, header_at: int) -> int:
    """The frame count FFmpeg trims the end padding at: the header's, unless it takes the file for a joined one.

    ``mp3_parse_info_tag`` compares the byte count with the bytes after the header's first four: when the file
    holds over a sixteenth more, FFmpeg calls it concatenated and forgets the frame count, so no padding is
    trimmed at the end. ``file_bytes`` None (not known) keeps the count, the lower of the two readings.
    """
    frames = header.trim_frames or 0
    claimed = header.trim_bytes
    if not claimed or file_bytes is None:
        return frames
    after = max(0, file_bytes - header_at - 4)
    if after > claimed and after - claimed > claimed >> 4:
        return 0
    return frames


# MP3 decoders (LAME's, mpg123's, FFmpeg's) output 528 + 1 samples of filter delay before the first real
# sample; the LAME-format header's delay and padding are counted on top of it.
DECODER_DELAY = 529


def gapless_samples(stream: int, spf: int, delay: int, padding: int, header_frames: int | None) -> int:
    """Samples a gapless decoder plays from ``stream`` samples (whole frames), as FFmpeg applies a LAME-format header.

    FFmpeg skips ``delay + 529`` samples at the start (``start_skip_samples``) and marks for discarding the samples
    from ``header_frames * spf - padding + 529`` up to ``header_frames * spf`` (``first_discard_sample`` and
    ``last_discard_sample`` in libavformat/mp3dec.c), frame by frame: a frame inside that window is dropped, the
    one straddling its start is cut. Normally that removes exactly delay + padding; a padding under 529 removes
    nothing at the end, and a wrong count (forged, joined or truncated files) drops the padding where the count
    says, or nowhere if that is past the end. Where the two trims meet in one frame (a tiny file with a large
    delay), libavcodec's ``discard_samples`` applies the end cut only if it fits in what the start skip left of the
    frame, so such a frame plays on: the frames near the trims are worked out one by one, as FFmpeg does.
    """
    frames = stream // spf
    skip = delay + DECODER_DELAY
    near = set(range(min(frames, skip // spf + 1)))
    first = last = 0
    if header_frames:
        last = header_frames * spf
        first = last - padding + DECODER_DELAY
        near.update(range(max(0, first // spf), min(frames, -(-last // spf))))
    played = (frames - len(near)) * spf
    for index in sorted(near):
        kept = spf
        if skip:
            cut = min(skip, kept)
            skip -= cut
            kept -= cut
            if not kept:
                continue
        start = index * spf
        if header_frames and start + spf >= first and start < last:
            discard = min(start + spf - first, spf)
            if 0 < discard <= kept:
                kept -= discard
        played += kept
    return played
