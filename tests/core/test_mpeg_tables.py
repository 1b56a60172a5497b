"""The header lookup tables agree with the MPEG audio specification's frame-size formula at known points."""

from __future__ import annotations

import pytest

from mediacheck._scan.mpeg import FRAME_LENGTH, FREE_FORMAT, SYNC_CANDIDATE, sync_pattern


@pytest.mark.parametrize(("b1", "b2", "length"), [
    (0xFB, 0x90, 417),  # MPEG-1 Layer III 128 kbps 44.1 kHz
    (0xFB, 0x92, 418),  # ... padded
    (0xFB, 0xEA, 1441),  # MPEG-1 Layer III 320 kbps 32 kHz padded: the largest Layer III frame
    (0xF3, 0x84, 192),  # MPEG-2 Layer III 64 kbps 24 kHz: 72 x 64000 / 24000
    (0xE3, 0x18, 72),  # MPEG-2.5 Layer III 8 kbps 8 kHz
    (0xFF, 0x10, 32),  # MPEG-1 Layer I 32 kbps 44.1 kHz (4-byte slots)
    (0xFD, 0xE4, 1152),  # MPEG-1 Layer II 384 kbps 48 kHz
])
def test_known_frame_lengths(b1: int, b2: int, length: int) -> None:
    """Each header's table entry is the frame length the specification's formula gives."""
    assert FRAME_LENGTH[b1 << 8 | b2] == length


@pytest.mark.parametrize(("b1", "b2"), [
    (0xEB, 0x90),  # version 01 is reserved
    (0xF9, 0x90),  # layer 00 is reserved (ADTS AAC uses it)
    (0xFB, 0xF0),  # bitrate index 15 is forbidden
    (0xFB, 0x9C),  # sample-rate index 3 is reserved
    (0x7B, 0x90),  # no sync bits
])
def test_reserved_values_have_no_length(b1: int, b2: int) -> None:
    """Reserved or forbidden field values never give a frame length."""
    assert FRAME_LENGTH[b1 << 8 | b2] == 0


def test_free_format_is_flagged_not_sized() -> None:
    """Bitrate index 0 is free format: no length in the table, but flagged for the free-format path."""
    assert FRAME_LENGTH[0xFB00] == 0
    assert FREE_FORMAT[0xFB00]
    assert not FREE_FORMAT[0xFB90]


def test_sync_patterns_find_only_legal_headers() -> None:
    """The sync regex skips 0xFF runs and finds a legal header; the locked one only its own stream's kind."""
    data = b"\xff" * 100 + b"\xff\xfb\x90\x00"
    match = SYNC_CANDIDATE.search(data)
    assert match is not None
    assert match.start() == 100
    assert sync_pattern(0xFB90 & 0xFE0C).search(b"\xff\xf3\x84\x00") is None
