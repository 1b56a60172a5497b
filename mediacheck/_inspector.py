"""The streaming Inspector: fed chunks of any size, it measures the media in O(1) memory and says when to stop.

TEMPORARY FOUNDATION VERSION: the interface below is the contract every source (file, bytes, fetch, upload)
relies on; the measuring inside is a placeholder the core issue replaces with the real frame scanner.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediacheck._limits import DEFAULT_LIMITS, Limits
from mediacheck._report import Finding, MediaInfo, Severity


@dataclass(frozen=True, slots=True)
class Inspection:
    """The inspector's result: the media facts and the media findings the rules drew from them."""

    media: MediaInfo
    findings: tuple[Finding, ...]


class Inspector:
    """Measures a byte stream fed in chunks; ``feed`` returns True once the verdict is certain."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, *, declared_size: int | None = None) -> None:
        self._limits = limits
        self._declared_size = declared_size
        self._fed = 0
        self._head = bytearray()
        self._done = False

    @property
    def done(self) -> bool:
        """True once more bytes cannot change the verdict."""
        return self._done

    @property
    def bytes_fed(self) -> int:
        """How many bytes the inspector has been fed."""
        return self._fed

    def feed(self, chunk: bytes | bytearray | memoryview) -> bool:
        """Take the next chunk; return True when the source may stop (the verdict is certain)."""
        if self._done:
            return True
        self._fed += len(chunk)
        if len(self._head) < 16:
            self._head += bytes(chunk[: 16 - len(self._head)])
        if self._fed >= self._limits.size_limit_bytes:
            self._done = True
        return self._done

    def finish(self) -> Inspection:
        """End the stream and return the measurements and findings."""
        size = self._declared_size if self._declared_size is not None else self._fed
        head = bytes(self._head)
        mpeg_sync = len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
        fmt = "mp3" if head.startswith(b"ID3") or mpeg_sync else "unknown"
        findings: list[Finding] = []
        if size >= self._limits.size_limit_bytes:
            findings.append(Finding("size.too-large", Severity.ERROR, f"The file is {size:,} bytes.", "Shrink it."))
        if fmt != "mp3":
            findings.append(Finding("format.not-mp3", Severity.ERROR, "This is not MP3 audio.", "Convert it."))
        return Inspection(MediaInfo(format=fmt, bytes=size, complete=not self._done), tuple(findings))
