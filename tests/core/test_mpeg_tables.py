"""The header lookup tables agree with the MPEG audio specification's frame-size formula at known points."""

from __future__ import annotations

import pytest

from mediacheck._scan.mpeg import (
    FRAME_LENGTH,
    FREE_FORMAT,
    LOCK_MASK,
    SYNC_CANDIDATE,
    _byte_class,
    _frame_length,
    _free_format_header,
    sync_pattern,
)


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


def test_tables_equal_the_per_header_reference_everywhere() -> None:
    """The tables built field by field hold, for all 65,536 keys, what the per-header formula and flag say."""
    assert tuple(_frame_length(k >> 8, k & 0xFF) for k in range(0x10000)) == FRAME_LENGTH
    assert [bool(flag) for flag in FREE_FORMAT] == [_free_format_header(k >> 8, k & 0xFF) for k in range(0x10000)]


def _brute_force_pattern(lock: int | None) -> bytes:
    keys = [k for k in range(0xE000, 0x10000) if (FRAME_LENGTH[k] or FREE_FORMAT[k])
            and (lock is None or k & LOCK_MASK == lock)]
    return b"\xff" + _byte_class({k >> 8 for k in keys}) + _byte_class({k & 0xFF for k in keys})


def test_sync_patterns_equal_a_search_of_every_key() -> None:
    """Each stream kind's pattern (built from the 128 keys its lock leaves open) is the one a scan of all keys gives."""
    locks = {k & LOCK_MASK for k in range(0xE000, 0x10000) if FRAME_LENGTH[k] or FREE_FORMAT[k]}
    assert len(locks) == 27  # 3 versions x 3 layers x 3 sample rates
    assert SYNC_CANDIDATE.pattern == _brute_force_pattern(None)
    for lock in locks:
        assert sync_pattern(lock).pattern == _brute_force_pattern(lock)
