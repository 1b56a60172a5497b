"""Feeding the same bytes in chunks of any size gives the same report: 1 byte, 7 bytes, 4 KiB, the whole file."""

from __future__ import annotations

import pytest

from fixtures.hostile import FRAME
from mediacheck import check_bytes
from mediacheck._check import check_chunks
from mediacheck._inspector import Inspector
from tests.core.conftest import FIXTURES, MANIFEST, chunks


@pytest.mark.parametrize("size", [1, 7, 4096])
@pytest.mark.parametrize("path", [e["path"] for e in MANIFEST])
def test_chunk_size_does_not_change_the_report(path: str, size: int) -> None:
    """A chunked feed reports exactly what one whole-file feed reports."""
    data = (FIXTURES / path).read_bytes()
    whole = check_bytes(data, target=path)
    chunked = check_chunks(chunks(data, size), declared_size=len(data), target=path)
    assert chunked.to_dict() == whole.to_dict()


def test_early_stop_reads_no_further_than_the_verdict_needs() -> None:
    """A 75 s file stops being read once its frames cross 60 s, and says the scan is incomplete."""
    data = (FIXTURES / "too-long-75s.mp3").read_bytes()
    inspector = Inspector()
    fed = 0
    for piece in chunks(data, 4096):
        fed += len(piece)
        if inspector.feed(piece):
            break
    assert fed < len(data) * 0.85
    media = inspector.finish().media
    assert media.complete is False
    assert media.stream_duration_s is not None
    assert media.stream_duration_s >= 60.0


_SHORT_CHAINS_AT_TAGS = (
    bytes(22) + (FRAME * 3 + b"\x00") * 7 + FRAME + b"APETAGEX" + FRAME + FRAME[:9],
    (FRAME * 3 + b"\x00") * 55 + FRAME + b"APETAGEX" + (FRAME * 3 + b"\x00") * 2 + FRAME * 2,
)


@pytest.mark.parametrize("data", _SHORT_CHAINS_AT_TAGS)
@pytest.mark.parametrize("size", range(1, 13))
def test_a_short_chain_ending_at_a_tag_reads_the_same_however_cut(data: bytes, size: int) -> None:
    """Chains of under four frames that end at "APETAGEX" read the same whether or not the magic arrives whole
    (found by fuzzing: a cut magic showed only "APET", or only its inner "TAG", to the scan)."""
    whole = check_bytes(data, target="t")
    for shift in range(size):  # every alignment of the chunk boundaries
        pieces = [data[:shift], *chunks(data[shift:], size)]
        chunked = check_chunks(iter(pieces), declared_size=len(data), target="t")
        assert chunked.to_dict() == whole.to_dict(), shift
