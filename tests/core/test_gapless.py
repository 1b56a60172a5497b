"""The gapless arithmetic: how many samples a LAME-format delay and padding leave, as FFmpeg applies them."""

from __future__ import annotations

from mediacheck._scan.xing import DECODER_DELAY, gapless_samples

SPF = 1152


def test_a_normal_header_removes_delay_and_padding() -> None:
    """With the count right and padding over the decoder delay, exactly delay + padding samples go."""
    assert gapless_samples(384 * SPF, SPF, 576, 1260, 384) == 384 * SPF - 576 - 1260


def test_padding_under_the_decoder_delay_removes_only_the_decoder_delay() -> None:
    """FFmpeg never outputs the last 529 samples, so a smaller padding has nothing left to remove."""
    assert gapless_samples(384 * SPF, SPF, 576, 100, 384) == 384 * SPF - 576 - DECODER_DELAY


def test_a_count_past_the_end_removes_no_padding() -> None:
    """A header claiming more frames than there are (a truncated file) drops its padding nowhere."""
    assert gapless_samples(300 * SPF, SPF, 576, 1260, 384) == 300 * SPF - 576 - DECODER_DELAY


def test_a_count_short_of_the_end_removes_the_padding_mid_stream() -> None:
    """A header claiming half the frames (forged or joined) still costs its padding, in the middle."""
    assert gapless_samples(384 * SPF, SPF, 576, 1260, 192) == 384 * SPF - 576 - 1260


def test_no_count_means_no_end_padding() -> None:
    """Without a frame count only the start is trimmed."""
    assert gapless_samples(384 * SPF, SPF, 576, 1260, None) == 384 * SPF - 576 - DECODER_DELAY


def test_never_negative() -> None:
    """A tiny stream with a huge claimed delay plays nothing rather than a negative count."""
    assert gapless_samples(SPF, SPF, 4095, 4095, 1) == 0
