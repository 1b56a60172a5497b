"""MPEG audio frame headers as precomputed lookup tables, and the sync search the streaming scanner builds on.

Why our own scanner: the verdict needs the exact number of audio frames in a stream that arrives in
chunks, in constant memory. mutagen (and tinytag) read the first frame and a Xing/VBRI header and
*extrapolate*: a VBR file with no Xing header reads as the first frame's bitrate (a 75 s file reads as
31 s), a joined file reads as its first part, a forged Xing count is believed, and MPEG Layer II or
MP3-in-RIFF pass as "MP3". Counting frames is the only exact answer, and no maintained library does it
incrementally, so this is the one place we write our own.

Speed without per-frame objects: a frame's length and kind follow from header bytes 1 and 2 alone (the
version, layer, protection, bitrate, sample-rate and padding bits), so ``FRAME_LENGTH`` maps those 16 bits
to the frame's length in bytes (0 = not a usable header). The hot loop reads two bytes, one table entry,
and jumps; nothing is allocated per frame.
"""

from __future__ import annotations

import functools
import re

# Header layout (ISO 11172-3 / 13818-3): AAAAAAAA AAABBCCD EEEEFFGH IIJJKLMM
#   A sync, B version (00 2.5, 01 reserved, 10 MPEG-2, 11 MPEG-1), C layer (01 III, 10 II, 11 I, 00 reserved),
#   D protection (0 = a 16-bit CRC follows), E bitrate index, F sample-rate index, G padding, H private,
#   I channel mode (11 = mono).
VERSION_NAMES = {3: "1", 2: "2", 0: "2.5"}
LAYER_OF_BITS = {3: 1, 2: 2, 1: 3}

_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_BITRATES_KBPS = {
    (3, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (3, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (3, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    # MPEG-2 and 2.5 share one table for Layers II and III, another for Layer I.
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}

# The largest legal Layer III frame (MPEG-1, 320 kbps, 32 kHz, padded) is 1441 bytes; free-format
# frames may run to 640 kbps. Buffers sized from this stay O(1) in the file size.
MAX_FRAME_BYTES = 2881


def samples_per_frame(version_bits: int, layer: int) -> int:
    """Samples one frame decodes to: 384 (Layer I), 1152 (Layer II, and III in MPEG-1), 576 (III in MPEG-2/2.5)."""
    if layer == 1:
        return 384
    if layer == 3 and version_bits != 3:
        return 576
    return 1152


def sample_rate(b1: int, b2: int) -> int:
    """The sample rate of a header whose bytes 1 and 2 are valid."""
    return _SAMPLE_RATES[(b1 >> 3) & 3][(b2 >> 2) & 3]


def bitrate_kbps(b1: int, b2: int) -> int:
    """The bitrate of a header whose bytes 1 and 2 are valid (0 = free format)."""
    version_bits = (b1 >> 3) & 3
    layer = LAYER_OF_BITS[(b1 >> 1) & 3]
    return _BITRATES_KBPS[(3 if version_bits == 3 else 2, layer)][b2 >> 4]


def _length(version_bits: int, layer: int, bitrate: int, rate: int, padding: int) -> int:
    """The specification's frame-size formula: Layer I counts 4-byte slots; MPEG-2/2.5 Layer III frames are half."""
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    slots = 144 if layer == 2 or version_bits == 3 else 72
    return slots * bitrate // rate + padding


def _frame_length(b1: int, b2: int) -> int:
    """The frame length of one header (0 for anything not a complete, legal header): the tables' reference."""
    if b1 & 0xE0 != 0xE0:
        return 0
    version_bits = (b1 >> 3) & 3
    layer_bits = (b1 >> 1) & 3
    bitrate_index = b2 >> 4
    rate_index = (b2 >> 2) & 3
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return 0
    layer = LAYER_OF_BITS[layer_bits]
    bitrate = _BITRATES_KBPS[(3 if version_bits == 3 else 2, layer)][bitrate_index] * 1000
    return _length(version_bits, layer, bitrate, _SAMPLE_RATES[version_bits][rate_index], (b2 >> 1) & 1)


def _free_format_header(b1: int, b2: int) -> bool:
    """Whether one header is legal with bitrate index 0 (free format): the FREE_FORMAT table's reference."""
    return (b1 & 0xE0 == 0xE0 and (b1 >> 3) & 3 != 1 and (b1 >> 1) & 3 != 0 and b2 >> 4 == 0
            and (b2 >> 2) & 3 != 3)


def _build_tables() -> tuple[tuple[int, ...], bytes]:
    """FRAME_LENGTH and FREE_FORMAT, built field by field: 756 lengths, each stored under the four keys that differ
    only in the protection and private bits. Calling the per-header reference for each of the 8,192 sync keys took
    3.2 ms of every process's start-up; this takes 0.6 ms, and a test holds the tables equal to the reference."""
    lengths = [0] * 0x10000
    free = bytearray(0x10000)
    for version_bits, rates in _SAMPLE_RATES.items():
        for layer_bits, layer in LAYER_OF_BITS.items():
            bitrates = _BITRATES_KBPS[(3 if version_bits == 3 else 2, layer)]
            b1 = 0xE0 | version_bits << 3 | layer_bits << 1
            for rate_index, rate in enumerate(rates):
                for padding in (0, 1):
                    b2 = rate_index << 2 | padding << 1
                    for key in (b1 << 8 | b2, b1 << 8 | b2 | 1, (b1 | 1) << 8 | b2, (b1 | 1) << 8 | b2 | 1):
                        free[key] = 1  # bitrate index 0
                    for bitrate_index in range(1, 15):  # 15 is forbidden
                        length = _length(version_bits, layer, bitrates[bitrate_index] * 1000, rate, padding)
                        key = b1 << 8 | bitrate_index << 4 | b2
                        lengths[key] = lengths[key | 1] = lengths[key | 0x100] = lengths[key | 0x101] = length
    return tuple(lengths), bytes(free)


# Only byte-1 values with the three low sync bits set (0xE0-0xFF) can start a header: the rest stay 0.
_SYNC_KEYS = range(0xE000, 0x10000)
# (byte1 << 8 | byte2) -> frame length in bytes, 0 for anything that is not a complete, legal header (a tuple: the
# frame loop's lookup, the fastest index there is);
# (byte1 << 8 | byte2) -> 1 for a legal header with bitrate index 0 (free format: length not in the header), else 0;
# bytes, not a tuple: a 64 K-entry tuple costs 0.5 ms to build, and only the rare free-format path reads this one.
FRAME_LENGTH, FREE_FORMAT = _build_tables()

# Bits that must stay equal across the frames of one stream: sync, version, layer (byte 1 minus the
# protection bit) and the sample rate (byte 2 bits 2-3). Channel mode and bitrate may change per frame.
LOCK_MASK = 0xFE0C
# Every combination of the bits outside LOCK_MASK (protection; bitrate, padding, private).
_UNLOCKED_KEYS = [b1 << 8 | b2 for b1 in (0, 1) for b2 in range(256) if not b2 & 0x0C]


def _byte_class(values: set[int]) -> bytes:
    return b"[" + b"".join(re.escape(bytes([v])) for v in sorted(values)) + b"]"


@functools.cache  # one pattern per stream kind (version, layer, sample rate): a few dozen at most
def sync_pattern(lock: int | None = None) -> re.Pattern[bytes]:
    """A regex for the first three bytes of a legal header (of the locked stream, if ``lock`` is given).

    The sync search runs in the regex engine's C loop, so junk (runs of 0xFF or zeros included) costs no
    Python bytecode per byte; only real candidates reach :func:`chain_frames`.
    """
    # A lock fixes all but the protection, bitrate, padding and private bits: 128 keys to look at, not 8,192.
    candidates = _SYNC_KEYS if lock is None else [lock | free_bits for free_bits in _UNLOCKED_KEYS]
    keys = [k for k in candidates if FRAME_LENGTH[k] or FREE_FORMAT[k]]
    b1s, b2s = {k >> 8 for k in keys}, {k & 0xFF for k in keys}
    return re.compile(b"\xff" + _byte_class(b1s) + _byte_class(b2s))


# Any legal header's first three bytes (version, layer, bitrate and sample-rate fields are independent).
SYNC_CANDIDATE = sync_pattern()


def is_mono(b3: int) -> bool:
    """True when header byte 3 says single channel."""
    return b3 >> 6 == 3


def xing_offset(version_bits: int, mono: bool) -> int:
    """Where a Xing/Info header starts in its frame: after the 4-byte header and the side information."""
    if version_bits == 3:
        return 4 + (17 if mono else 32)
    return 4 + (9 if mono else 17)


def ffmpeg_pair(data: bytes, first: int, second: int) -> bool:
    """True when the frame at ``first`` and the header at ``second`` are two consecutive frames to FFmpeg.

    FFmpeg's MP3 demuxer opens a stream only where it finds two (``mp3_read_header`` in libavformat/mp3dec.c):
    both headers legal with a standard bitrate (free format never pairs) and equal under ``MP3_MASK``
    (0xFFFE0CCF: sync, version, layer, sample rate, channel mode, copyright, original and emphasis bits).
    """
    if second + 4 > len(data) or data[second] != 0xFF or not FRAME_LENGTH[data[second + 1] << 8 | data[second + 2]]:
        return False
    return ((data[first + 1] ^ data[second + 1]) & 0xFE == 0 and (data[first + 2] ^ data[second + 2]) & 0x0C == 0
            and (data[first + 3] ^ data[second + 3]) & 0xCF == 0)


def chain_frames(data: bytes, pos: int, end: int, wanted: int, lock: int | None) -> tuple[int, int]:
    """Follow frames from ``pos``: return (frames that chained, position just after the last one checked).

    A frame counts when its header is legal, matches the first header's lock bits (or ``lock``) and the
    next header (or the buffer's end) starts exactly where its length says. Stops after ``wanted`` frames
    or where the data runs out; the caller decides whether running out means "need more bytes".
    """
    count = 0
    flen_table = FRAME_LENGTH
    while count < wanted and pos + 4 <= end:
        if data[pos] != 0xFF:
            break
        key = data[pos + 1] << 8 | data[pos + 2]
        flen = flen_table[key]
        if not flen:
            break
        if lock is None:
            lock = key & LOCK_MASK
        elif key & LOCK_MASK != lock:
            break
        count += 1
        pos += flen
    return count, pos
