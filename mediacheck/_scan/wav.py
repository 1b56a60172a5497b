"""The streaming WAV scanner: chunks of any size in, the fmt chunk's facts and the data chunk's whole sample frames out.

Hand-written for the same reason as the MPEG frame scan: the standard library's ``wave`` module reads only
PCM, trusts the data chunk's size (a streamed WAV says 0 or 0xFFFFFFFF), needs the whole file seekable and
knows neither RF64 nor RIFX; mutagen reads the header only. This scanner walks the RIFF chunk list as bytes
arrive, keeping at most one chunk header or fmt body (under 100 bytes) between feeds, so memory is O(1) and
any chunking gives the same answer. The duration is what FFmpeg decodes: the whole sample frames present in
the (last) data chunk, a partial frame at the end dropped, data running to the end of the file when the
chunk's size is 0, 0xFFFFFFFF or larger than the file, and the sample size FFmpeg's WAV reader picks from the
fmt chunk (``sample_layout``); ``tests/profiles/test_wav_exactness.py`` holds each rule to a real decode.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from mediacheck._limits import Limits

# A real WAV has a handful of chunks; thousands of tiny ones are a hostile file (each costs a header parse).
MAX_CHUNKS = 1000
# fmt bodies are 16 (PCM), 18 (WAVEFORMATEX) or 40 (WAVE_FORMAT_EXTENSIBLE) bytes; more is skipped unread.
_FMT_READ = 40
_DS64_READ = 28
# The GUID tail shared by every KSDATAFORMAT_SUBTYPE_* of WAVE_FORMAT_EXTENSIBLE (its first 2 bytes: the format tag).
_BASE_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")

_HEADER, _CHUNK, _FMT, _DS64, _DATA_TO_END, _FINISHED = range(6)

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE

# Codecs this scanner measures exactly (sample-exact durations); other tags are named but not measured.
MEASURED_TAGS = frozenset({WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW})
_OTHER_TAGS = {
    0x0002: "Microsoft ADPCM", 0x0011: "IMA ADPCM", 0x0031: "GSM 6.10", 0x0050: "MPEG Layer I/II",
    0x0055: "MP3", 0x0064: "G.726 ADPCM", 0x00FF: "AAC", 0x1610: "AAC", 0x2000: "AC-3",
}


@dataclass(frozen=True, slots=True)
class SampleLayout:
    """How FFmpeg decodes a WAV's samples: its codec name, the bits of one sample and the bytes of one frame."""

    codec: str
    bits: int
    frame_bytes: int
    description: str


def sample_layout(tag: int, channels: int, container_bits: int, valid_bits: int, block_align: int, *,
                  big_endian: bool) -> SampleLayout | None:
    """FFmpeg's choice of decoder for a WAV fmt chunk (None: a codec this scanner does not measure).

    Measured against FFmpeg's decode (the tests hold each rule): the bit depth is the extensible header's valid
    bits when set, else the container's, rounded up to whole bytes; 24 bits in 4-byte blocks decode as 32-bit
    samples; µ-law and A-law are one byte a sample whatever the header says; the block align is not used.
    """
    if tag in (WAVE_FORMAT_MULAW, WAVE_FORMAT_ALAW):
        law = "mulaw" if tag == WAVE_FORMAT_MULAW else "alaw"
        return SampleLayout(f"pcm_{law}", 8, channels, "µ-law" if law == "mulaw" else "A-law")
    bits = valid_bits or container_bits
    width = (bits + 7) // 8
    if width == 3 and bits == 24 and block_align == 4 * channels:
        width = 4
    order = "be" if big_endian else "le"
    if tag == WAVE_FORMAT_IEEE_FLOAT:
        if width not in (4, 8):
            return None
        return SampleLayout(f"pcm_f{width * 8}{order}", width * 8, width * channels, f"{width * 8}-bit float PCM")
    if tag != WAVE_FORMAT_PCM or width not in (1, 2, 3, 4, 8):
        return None
    codec = "pcm_u8" if width == 1 else f"pcm_s{width * 8}{order}"
    return SampleLayout(codec, width * 8, width * channels, f"{width * 8}-bit PCM")


@dataclass(frozen=True, slots=True)
class WavFacts:
    """What the WAV scan measured: the container, the fmt chunk, the data chunk's bytes and frames, the blemishes."""

    bytes: int
    complete: bool
    container: str  # RIFF, RIFX, RF64 or BW64
    format_tag: int | None = None
    codec: str | None = None  # FFmpeg's decoder name (pcm_s16le, pcm_mulaw, ...); None when not measured
    codec_description: str | None = None
    channels: int | None = None
    sample_rate: int | None = None
    bits_per_sample: int | None = None  # of the decoded samples (8 for µ-law/A-law)
    container_bits: int | None = None
    valid_bits: int | None = None
    block_align: int | None = None
    frame_bytes: int | None = None
    data_bytes: int = 0  # bytes of the (last) data chunk present in the stream
    data_declared: int | None = None  # what its header claims; None when unsized (0 or 0xFFFFFFFF: read to the end)
    data_chunks: int = 0
    frames: int | None = None  # whole sample frames in the data chunk
    partial_frame_bytes: int = 0
    chunks: tuple[str, ...] = field(default_factory=tuple)
    corrupt: str | None = None  # why the file cannot be decoded, as a sentence fragment
    fmt_after_data: bool = False
    truncated: bool = False  # the data chunk ends before the length its header claims
    block_align_mismatch: bool = False
    valid_bits_narrower: bool = False  # valid bits need fewer bytes than the container's samples

    @property
    def measured(self) -> bool:
        """True when the codec is one whose duration the scan measures to the sample."""
        return self.frame_bytes is not None and bool(self.sample_rate)


class WavScanner:
    """Walks a RIFF/RIFX/RF64/BW64 WAVE stream fed in chunks; ``feed`` returns True once the verdict is certain."""

    def __init__(self, limits: Limits, declared_size: int | None) -> None:
        self._limits = limits
        self._declared_size = declared_size
        self._fed = 0
        self._done = False
        self._stopped_early = False
        self._state = _HEADER
        self._buf = bytearray()
        self._need = 12
        self._skip = 0
        self._in_data = False  # the bytes being skipped are data
        self._pad_after_data = 0
        self._endian = "<"
        self._container = "RIFF"
        self._ds64_data: int | None = None
        self._chunk_ids: list[str] = []
        self._chunk_count = 0
        self._chunk_size = 0
        # fmt facts
        self._tag: int | None = None
        self._channels = 0
        self._rate = 0
        self._block_align = 0
        self._container_bits = 0
        self._valid_bits = 0
        self._layout: SampleLayout | None = None
        self._corrupt: str | None = None
        # data facts
        self._data_bytes = 0
        self._data_declared: int | None = None
        self._data_chunks = 0
        self._fmt_after_data = False
        self._stop_bytes: int | None = None  # data bytes at which the duration limit is certainly reached

    @property
    def done(self) -> bool:
        """True once more bytes cannot change the verdict."""
        return self._done

    @property
    def bytes_fed(self) -> int:
        """How many bytes the scanner has been fed."""
        return self._fed

    def feed(self, chunk: bytes | bytearray | memoryview) -> bool:
        """Take the next chunk; return True when the source may stop (the verdict is certain)."""
        if self._done:
            return True
        view = memoryview(chunk).cast("B")
        limit = self._limits.size_limit_bytes
        room = limit - self._fed
        self._fed += len(view)
        # Bytes past the size limit are never scanned, so every chunking sees the same bytes.
        self._consume(view[:room] if len(view) > room else view)
        if not self._done and self._fed >= limit:
            self._stop()
        return self._done

    def _stop(self) -> None:
        self._done = True
        self._stopped_early = True

    def _fail(self, reason: str) -> None:
        self._corrupt = reason
        self._state = _FINISHED
        self._stop()

    def _consume(self, view: memoryview) -> None:
        pos, end = 0, len(view)
        while pos < end and not self._done:
            if self._skip:
                take = min(self._skip, end - pos)
                if self._in_data:
                    take = self._add_data(take)
                self._skip -= take
                pos += take
                if self._in_data and not self._skip:
                    self._in_data = False
                    self._skip = self._pad_after_data
                continue
            if self._state == _DATA_TO_END:
                self._add_data(end - pos)
                return
            if self._state == _FINISHED:
                return
            take = min(self._need - len(self._buf), end - pos)
            self._buf += view[pos:pos + take]
            pos += take
            if len(self._buf) == self._need:
                head = bytes(self._buf)
                self._buf.clear()
                self._on_bytes(head)

    def _add_data(self, n: int) -> int:
        """Count up to ``n`` data bytes; past the duration limit's last byte none are counted, however chunked."""
        if self._stop_bytes is not None and self._data_bytes + n >= self._stop_bytes:
            n = self._stop_bytes - self._data_bytes
            self._data_bytes = self._stop_bytes
            self._stop()
            return n
        self._data_bytes += n
        return n

    # -- the chunk list ----------------------------------------------------------------------------------------

    def _on_bytes(self, head: bytes) -> None:
        if self._state == _HEADER:
            self._on_header(head)
        elif self._state == _CHUNK:
            self._on_chunk_header(head)
        elif self._state == _FMT:
            self._on_fmt(head)
        elif self._state == _DS64:
            self._on_ds64(head)

    def _on_header(self, head: bytes) -> None:
        magic = head[:4]
        if head[8:12] != b"WAVE" or magic not in (b"RIFF", b"RIFX", b"RF64", b"BW64"):
            self._fail("it does not start with a RIFF/WAVE header")
            return
        self._container = magic.decode("ascii")
        self._endian = ">" if magic == b"RIFX" else "<"
        self._expect_chunk()

    def _expect_chunk(self) -> None:
        self._state = _CHUNK
        self._need = 8

    def _on_chunk_header(self, head: bytes) -> None:
        chunk_id = head[:4]
        size = struct.unpack(self._endian + "I", head[4:])[0]
        self._chunk_count += 1
        if self._chunk_count > MAX_CHUNKS:
            self._fail(f"it has more than {MAX_CHUNKS:,} chunks")
            return
        name = chunk_id.decode("latin-1")
        if len(self._chunk_ids) < 32:
            self._chunk_ids.append(name)
        if self._container in ("RF64", "BW64") and self._chunk_count == 1 and chunk_id != b"ds64":
            self._fail(f"it is an {self._container} file without the ds64 chunk that holds its sizes")
            return
        pad = size & 1
        if chunk_id == b"fmt ":
            if size < 16:
                self._fail(f"its fmt chunk is {size} bytes, too short to describe the audio")
                return
            if self._data_chunks:
                self._fmt_after_data = True
            self._state = _FMT
            self._need = min(size, _FMT_READ)
            self._chunk_size = size + pad
        elif chunk_id == b"ds64" and self._container in ("RF64", "BW64"):
            self._state = _DS64
            self._need = min(size, _DS64_READ)
            self._chunk_size = size + pad
            if self._need < _DS64_READ:
                self._fail("its ds64 chunk is too short to hold the file's sizes")
        elif chunk_id == b"data":
            self._begin_data(size)
        else:
            self._skip = size + pad
            self._expect_chunk()

    def _on_fmt(self, body: bytes) -> None:
        e = self._endian
        tag, channels, rate, _byte_rate, block_align, bits = struct.unpack(e + "HHIIHH", body[:16])
        valid = 0
        if tag == WAVE_FORMAT_EXTENSIBLE:
            if len(body) < 40 or struct.unpack(e + "H", body[16:18])[0] < 22:
                self._fail("its WAVE_FORMAT_EXTENSIBLE fmt chunk is cut short")
                return
            valid = struct.unpack(e + "H", body[18:20])[0]
            guid = body[24:40]
            tag = struct.unpack(e + "H", guid[:2])[0] if guid[2:] == _BASE_GUID_TAIL else -1
        self._tag, self._channels, self._rate = tag, channels, rate
        self._block_align, self._container_bits, self._valid_bits = block_align, bits, valid
        if not channels:
            self._fail("its fmt chunk says 0 channels")
            return
        if not rate:
            self._fail("its fmt chunk says a sample rate of 0 Hz")
            return
        self._layout = sample_layout(tag, channels, bits, valid, block_align, big_endian=e == ">")
        self._skip = self._chunk_size - len(body)
        self._expect_chunk()
        self._arm_duration_stop()

    def _on_ds64(self, body: bytes) -> None:
        self._ds64_data = struct.unpack("<Q", body[8:16])[0]
        self._skip = self._chunk_size - len(body)
        self._expect_chunk()

    def _begin_data(self, size: int) -> None:
        self._data_chunks += 1
        self._data_bytes = 0  # FFmpeg plays the last data chunk of a file it can seek in
        if self._container in ("RF64", "BW64"):
            # FFmpeg takes an RF64 file's data size from ds64, whatever the data chunk's own field says.
            size = self._ds64_data if self._ds64_data is not None else size
        elif size in (0, 0xFFFFFFFF):
            # Written by a streaming encoder that never came back to fill in the size: FFmpeg reads to the end.
            self._data_declared = None
            self._state = _DATA_TO_END
            self._arm_duration_stop()
            return
        self._data_declared = size
        self._pad_after_data = size & 1
        self._arm_duration_stop()
        if size:
            self._skip = size
            self._in_data = True
        else:
            self._skip = self._pad_after_data
        self._expect_chunk()

    def _arm_duration_stop(self) -> None:
        """Once both the fmt and a data chunk are known, stop reading when the duration limit is certainly reached."""
        if self._layout is None or not self._data_chunks or self._fmt_after_data:
            return
        frames = max(1, math.ceil(self._limits.duration_limit_s * self._rate))
        while frames > 1 and (frames - 1) / self._rate >= self._limits.duration_limit_s:
            frames -= 1
        while frames / self._rate < self._limits.duration_limit_s:
            frames += 1
        self._stop_bytes = frames * self._layout.frame_bytes
        if self._data_bytes >= self._stop_bytes:  # a fmt chunk met after data already past the limit
            self._data_bytes = self._stop_bytes
            self._stop()

    # -- the end ---------------------------------------------------------------------------------------------

    def finish(self) -> WavFacts:
        """End the stream: settle what the last bytes were and return the measured facts."""
        complete = not self._stopped_early
        truncated = False
        if not self._done:
            self._done = True
            if self._in_data and self._skip:
                truncated = True  # the data chunk claims bytes the file does not have
            if self._corrupt is None:
                if self._state == _HEADER:
                    self._corrupt = "it ends inside the RIFF/WAVE header"
                elif self._tag is None and self._data_chunks:
                    self._corrupt = "it has no fmt chunk to say how to decode its audio"
                elif self._tag is None:
                    self._corrupt = "it ends before its fmt chunk"
                elif not self._data_chunks:
                    self._corrupt = "it has no data chunk (no audio)"
        layout = self._layout
        frames = partial = None
        if layout is not None and self._data_chunks:
            frames, partial = divmod(self._data_bytes, layout.frame_bytes)
        # A declared size (a Content-Length, a caller's size) never hides bytes fed beyond it: the larger counts.
        size = self._fed if self._declared_size is None else max(self._declared_size, self._fed)
        container_width = (self._container_bits + 7) // 8
        return WavFacts(
            bytes=size, complete=complete, container=self._container, format_tag=self._tag,
            codec=layout.codec if layout is not None else None,
            codec_description=layout.description if layout is not None else _describe_tag(self._tag),
            channels=self._channels or None, sample_rate=self._rate or None,
            bits_per_sample=layout.bits if layout is not None else (self._container_bits or None),
            container_bits=self._container_bits or None, valid_bits=self._valid_bits or None,
            block_align=self._block_align or None, frame_bytes=layout.frame_bytes if layout is not None else None,
            data_bytes=self._data_bytes, data_declared=self._data_declared, data_chunks=self._data_chunks,
            frames=frames, partial_frame_bytes=partial or 0, chunks=tuple(self._chunk_ids), corrupt=self._corrupt,
            fmt_after_data=self._fmt_after_data, truncated=truncated,
            block_align_mismatch=layout is not None and self._tag in (WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT)
            and self._block_align != self._channels * container_width and self._block_align != layout.frame_bytes,
            valid_bits_narrower=layout is not None and bool(self._valid_bits)
            and layout.frame_bytes != self._channels * container_width,
        )


def _describe_tag(tag: int | None) -> str | None:
    if tag is None:
        return None
    if tag == -1:
        return "an unknown WAVE_FORMAT_EXTENSIBLE subformat"
    return _OTHER_TAGS.get(tag, f"codec 0x{tag:04x}")
