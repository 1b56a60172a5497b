"""The report's tag summary says what mutagen reads from the ID3v2 tag, and mutagen is asked only when it has to be.

Mutagen is handed only the frames the summary uses (title, artist, pictures); a tag with none of them (an
encoder's TSSE and nothing else, as ffmpeg writes) is summarised without importing mutagen at all, which was
most of the first check in a fresh process.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import APIC, ID3, PRIV, TIT2, TPE1, TSSE, TXXX

from mediacheck import check_bytes
from mediacheck._scan.tags import TAG_CAPTURE_BYTES
from tests.core.conftest import FIXTURES
from tests.core.test_scanner import FRAMES

ID3V2_FIXTURES = sorted(p for p in FIXTURES.glob("*.mp3") if p.read_bytes()[:3] == b"ID3")


def _mutagen_summary(data: bytes) -> dict[str, Any]:
    """Title, artist and pictures as mutagen reads them from the whole tag at the start of ``data``."""
    tag = ID3(io.BytesIO(data))

    def text(frame_id: str) -> str | None:
        frame = tag.get(frame_id)
        return str(frame.text[0]) if frame is not None and frame.text else None

    pictures = [{"mime": frame.mime, "type": int(frame.type), "bytes": len(frame.data)} for frame in tag.getall("APIC")]
    return {"title": text("TIT2"), "artist": text("TPE1"), "pictures": pictures}


def _summary(data: bytes) -> dict[str, Any]:
    media = check_bytes(data).media
    assert media is not None
    assert media.tags is not None
    return {key: media.tags[key] for key in ("title", "artist", "pictures")}


def _tagged(version: int, *frames: Any) -> bytes:
    """FRAMES behind an ID3v2.3 or v2.4 tag of ``frames``, written by mutagen."""
    tag = ID3()
    for frame in frames:
        tag.add(frame)
    out = io.BytesIO()
    tag.save(out, v2_version=version, padding=lambda info: 0)
    return out.getvalue() + FRAMES


def _v22(*frames: tuple[bytes, bytes]) -> bytes:
    """FRAMES behind a hand-made ID3v2.2 tag (3-byte ids and sizes; mutagen cannot write v2.2)."""
    body = b"".join(frame_id + len(payload).to_bytes(3, "big") + payload for frame_id, payload in frames)
    size = bytes((len(body) >> s) & 0x7F for s in (21, 14, 7, 0))
    return b"ID3\x02\x00\x00" + size + body + FRAMES


# Not zeros: mutagen reads an all-zero picture at the end of a v2.3 tag as padding (0 bytes).
_BIG_PICTURE = random.Random(13).randbytes(TAG_CAPTURE_BYTES + 1000)
CRAFTED = {
    "v2.3-encoder-only": _tagged(3, TSSE(encoding=3, text="Lavf60")),
    "v2.4-no-wanted-frames": _tagged(4, TSSE(encoding=3, text="x"), TXXX(encoding=3, desc="d", text="t"),
                                     PRIV(owner="o", data=b"p")),
    "v2.4-title-and-artist": _tagged(4, TSSE(encoding=3, text="x"), TIT2(encoding=3, text="Hold"),
                                     TPE1(encoding=1, text="Desk")),
    "v2.3-picture": _tagged(3, APIC(encoding=0, mime="image/png", type=3, desc="", data=b"\x89PNG" * 100)),
    "v2.4-oversized-picture-only": _tagged(4, APIC(encoding=3, mime="image/jpeg", type=3, desc="cover",
                                                   data=_BIG_PICTURE)),
    "v2.3-encoder-then-oversized-picture": _tagged(3, TSSE(encoding=3, text="x"),
                                                   APIC(encoding=1, mime="image/png", type=0, desc="c",
                                                        data=_BIG_PICTURE)),
    "v2.4-oversized-picture-utf16be-description": _tagged(4, APIC(encoding=2, mime="image/png", type=3, desc="ab",
                                                                  data=_BIG_PICTURE)),
    "v2.2-encoder-only": _v22((b"TSS", b"\x00Lavf")),
    "v2.2-title": _v22((b"TSS", b"\x00Lavf"), (b"TT2", b"\x00Hold music")),
}


@pytest.mark.parametrize("path", ID3V2_FIXTURES, ids=lambda p: p.name)
def test_every_fixture_summary_is_what_mutagen_reads(path: Path) -> None:
    """For each committed fixture with an ID3v2 tag, the summary's title, artist and pictures are mutagen's."""
    data = path.read_bytes()
    assert _summary(data) == _mutagen_summary(data)


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_tag_summary_is_what_mutagen_reads(name: str) -> None:
    """Tags of every version with and without the wanted frames, pictures bigger than the capture included."""
    data = CRAFTED[name]
    assert _summary(data) == _mutagen_summary(data)


_FIRST_CHECK = """
import sys
from mediacheck import check_file
media = check_file(sys.argv[1]).media
print(media.tags["title"], "mutagen.id3" in sys.modules)
"""


@pytest.mark.parametrize(("name", "said"), [("cbr-noxing-5s.mp3", "None False"),
                                            ("example-hold-music.mp3", "Example hold music True")])
def test_mutagen_is_imported_only_for_a_tag_it_must_read(name: str, said: str) -> None:
    """In a fresh process, checking an encoder-only tag leaves mutagen unimported; a titled tag imports it."""
    done = subprocess.run([sys.executable, "-c", _FIRST_CHECK, str(FIXTURES / name)], capture_output=True,
                          text=True, check=True, timeout=60)
    assert done.stdout.strip() == said
