"""The tags met in one stream: the bytes each kind spends, and what the first ID3v2 tag and an ID3v1 tag say.

The scanner finds where a tag starts and how long it claims to be; this ledger keeps the accounts (tag bytes
by kind, for the size budget) and the content the report shows (title, artist, pictures). Of the first ID3v2
tag it keeps at most ``TAG_CAPTURE_BYTES`` for mutagen, so memory stays O(1) whatever a tag claims.
"""

from __future__ import annotations

from typing import Any

from mediacheck._scan import tags as _tags


class TagLedger:
    """Tag bytes by kind, and the first ID3v2 tag's content captured as it streams past."""

    def __init__(self) -> None:
        self._bytes: dict[str, int] = {}
        self._info: dict[str, Any] = {}
        self._capture: bytearray | None = None
        self._wanted = 0
        self._whole = True

    @property
    def met(self) -> bool:
        """True once any tag has been counted."""
        return bool(self._bytes)

    @property
    def total(self) -> int:
        """Bytes spent on tags of every kind."""
        return sum(self._bytes.values())

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of tag met, sorted."""
        return tuple(sorted(self._bytes))

    def count(self, kind: str, n: int) -> None:
        """Add ``n`` bytes to the tags of ``kind``."""
        self._bytes[kind] = self._bytes.get(kind, 0) + n

    def uncount(self, kind: str, n: int) -> None:
        """Take back ``n`` bytes a tag claimed but the stream never had."""
        self._bytes[kind] -= n

    def begin_id3v2(self, size: int) -> None:
        """An ID3v2 tag of ``size`` bytes starts: if it is the first, capture its content as it arrives."""
        if "id3v2" in self._info:
            return
        self._info["id3v2"] = True
        self._capture = bytearray()
        self._wanted = min(size, _tags.TAG_CAPTURE_BYTES)
        self._whole = size <= _tags.TAG_CAPTURE_BYTES

    def capture(self, piece: memoryview | bytes) -> None:
        """Take the next bytes of the tag being captured (ignored when none is)."""
        capture = self._capture
        if capture is None:
            return
        capture += piece[: self._wanted - len(capture)]
        if len(capture) >= self._wanted:
            self.close_capture()

    def close_capture(self) -> None:
        """Read what was captured (the whole tag, or the prefix of a big or cut-short one)."""
        capture = self._capture
        if capture is None:
            return
        self._capture = None
        if self._whole and len(capture) == self._wanted:
            self._info.update(_tags.describe_id3v2(bytes(capture)))
        else:
            self._info.update(_tags.describe_id3v2_prefix(bytes(capture)))

    def note_id3v1(self, tag: bytes) -> None:
        """Read the title and artist of the first ID3v1 tag met."""
        self._info.setdefault("id3v1", _tags.describe_id3v1(tag))

    def summary(self) -> dict[str, Any] | None:
        """The report's tag summary: bytes in all and by kind, title, artist and pictures (None with no tags)."""
        if not self._bytes:
            return None
        info = {**self._info.get("id3v1", {}),
                **{k: v for k, v in self._info.items() if k not in ("id3v1", "id3v2") and v is not None}}
        return {"bytes": self.total, "by_kind": dict(sorted(self._bytes.items())),
                "title": info.get("title"), "artist": info.get("artist"), "pictures": self._info.get("pictures", [])}
