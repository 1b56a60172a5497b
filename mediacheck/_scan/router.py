"""Route a stream to the right scanner from its first 12 bytes: a RIFF/RIFX/RF64/BW64 WAVE header to the WAV
scanner, anything else to the MPEG scanner (which names other formats itself).

Used only under profiles that accept WAV; under ``daily`` the Inspector feeds the MPEG scanner directly, which
sniffs a WAV and stops at once, so the MP3 path pays nothing for profiles.
"""

from __future__ import annotations

from mediacheck._facts import MediaFacts
from mediacheck._limits import Limits
from mediacheck._scan.scanner import StreamScanner
from mediacheck._scan.wav import WavFacts, WavScanner

_HEAD = 12
_WAV_MAGICS = (b"RIFF", b"RIFX", b"RF64", b"BW64")


class FormatRouter:
    """Holds the first 12 bytes, then hands the whole stream to the WAV or the MPEG scanner."""

    def __init__(self, limits: Limits, declared_size: int | None) -> None:
        self._limits = limits
        self._declared_size = declared_size
        self._head = bytearray()
        self._scanner: StreamScanner | WavScanner | None = None

    @property
    def done(self) -> bool:
        """True once more bytes cannot change the verdict."""
        return self._scanner is not None and self._scanner.done

    @property
    def bytes_fed(self) -> int:
        """How many bytes the router has been fed."""
        return self._scanner.bytes_fed if self._scanner is not None else len(self._head)

    def feed(self, chunk: bytes | bytearray | memoryview) -> bool:
        """Take the next chunk; return True when the source may stop (the verdict is certain)."""
        if self._scanner is not None:
            return self._scanner.feed(chunk)
        view = memoryview(chunk).cast("B")
        take = min(_HEAD - len(self._head), len(view))
        self._head += view[:take]
        if len(self._head) < _HEAD:
            return False
        scanner = self._choose()
        if scanner.feed(bytes(self._head)):
            return True
        return scanner.feed(view[take:]) if take < len(view) else False

    def _choose(self) -> StreamScanner | WavScanner:
        head = bytes(self._head)
        if head[:4] in _WAV_MAGICS and head[8:12] == b"WAVE":
            self._scanner = WavScanner(self._limits, self._declared_size)
        else:
            self._scanner = StreamScanner(self._limits, self._declared_size)
        return self._scanner

    def finish(self) -> MediaFacts | WavFacts:
        """End the stream and return the chosen scanner's facts."""
        if self._scanner is None:
            self._choose().feed(bytes(self._head))
        assert self._scanner is not None
        return self._scanner.finish()
