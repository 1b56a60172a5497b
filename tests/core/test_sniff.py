"""Sniffing names what the first bytes are, so a non-MP3 answer says exactly what was received."""

from __future__ import annotations

import random

import pytest

from mediacheck import check_bytes
from mediacheck._scan.sniff import sniff
from tests.core.conftest import FIXTURES


@pytest.mark.parametrize(("head", "fmt", "words"), [
    (b"\xef\xbb\xbf  \n<!DOCTYPE html><html><body>Sign in</body></html>", "html", "HTML"),
    (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "html", "HTML"),
    (b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>", "xml", "NoSuchKey"),
    (b'[{"id": 1}]', "json", "JSON"),
    (b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00", "wav", "PCM"),
    (b"RIFF\x24\x08\x00\x00AVI LIST", "riff", "AVI"),
    (b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00", "mp4", "M4A"),
    (b"\x00\x00\x00\x1cftyp3gp4\x00\x00\x00\x00", "mp4", "3GP"),
    (b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead", "ogg", "Opus"),
    (b"fLaC\x00\x00\x00\x22", "flac", "FLAC"),
    (b"\xff\xf1\x50\x80\x02\x1f\xfc", "aac", "ADTS"),
    (b"FORM\x00\x00\x10\x00AIFFCOMM", "aiff", "AIFF"),
    (b"%PDF-1.7\n", "pdf", "PDF"),
    (b"", "empty", "empty"),
])
def test_first_bytes_are_named(head: bytes, fmt: str, words: str) -> None:
    """Each signature gives its format name and a description a person recognises."""
    found = sniff(head)
    assert found is not None
    assert found.format == fmt
    assert words in found.description


@pytest.mark.parametrize("head", [b"\xff\xfb\x90\x00" + bytes(60), b"\xff\xf3\x70\xc0", bytes(64), b"random text"])
def test_mpeg_audio_and_unknown_bytes_are_left_to_the_frame_scan(head: bytes) -> None:
    """MPEG sync words (and bytes with no known signature) are not judged by the sniffer."""
    assert sniff(head) is None


def test_a_page_after_an_id3_tag_is_still_a_page() -> None:
    """Sniffing looks past a leading ID3v2 tag: a tagged HTML page is still HTML."""
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)
    report = check_bytes(tag + b"<html><body>nope</body></html>")
    assert report.media is not None
    assert report.media.format == "html"
    assert report.codes() == ["format.not-mp3"]


# Sizes from a header's worth to well past the 128 KiB sync search: long random bodies hold chance headers.
_RANDOM_SIZES = (16, 100, 512, 4_096, 20_000, 200_000, 1_000_000, 3_000_000)


@pytest.mark.parametrize("seed", range(48))
def test_random_bytes_are_named_unknown(seed: int) -> None:
    """Random bytes of any size are "unknown": never MP1/MP2 (a chance chain), JSON or XML (a chance first byte)."""
    rng = random.Random(seed)
    data = rng.randbytes(_RANDOM_SIZES[seed % len(_RANDOM_SIZES)])
    report = check_bytes(data)
    assert report.media is not None
    assert report.media.format == "unknown"
    assert report.codes() == ["format.not-mp3"]


@pytest.mark.parametrize(("head", "fmt"), [
    (b'{"error": "not found", "status": 404}\n', "json"),
    (b'[{"id": 1}, {"id": 2}]', "json"),
    (b'{"items": [' + b'{"id": 1}, ' * 60, "json"),  # cut by the 512-byte sniff window: its opening is evidence
    (b"{" + bytes(range(1, 200)), None),  # "{" then binary
    (b"{not json at all}", None),  # whole and unparseable
    (b'{"a": 1} trailing', None),
    (b"[\x00\x01\x02\x03\xff\xfb\x90\x44", None),
    (b"<a" + bytes(300), None),  # "<" and a letter, then binary: junk before frames, not an XML document
    (b"<html>" + b"\xff\xfb\x90\x44" + bytes(400), None),
    (b"RIFF\x00\x00\x00\x00\xff\xfb\x90\x44", None),  # "RIFF" then no form type
    (b"\x1f\x8b\xff\xfb\x90\x44", None),  # gzip's magic without its method byte
    (b"\xff\xd8\xff\x00", None),  # JPEG's first three bytes without a marker
    (b"\xff\xf1\xff\xff\xff\xff\xff", None),  # an ADTS-like sync with an impossible sample rate
])
def test_formats_are_named_only_on_evidence(head: bytes, fmt: str | None) -> None:
    """A signature's first byte or two is not enough: the rest must agree, or the bytes go to the frame scan."""
    found = sniff(head)
    assert (found.format if found is not None else None) == fmt


def test_adts_is_named_when_its_frames_chain() -> None:
    """The ADTS fixture's first frame leads to a second sync where its length says, so it is named AAC."""
    data = (FIXTURES / "not-mp3-adts.aac").read_bytes()
    found = sniff(data[:512])
    assert found is not None
    assert found.format == "aac"


@pytest.mark.parametrize(("frames", "fmt"), [(3, "unknown"), (4, "mp2"), (40, "mp2")])
def test_layer_two_is_named_only_on_a_full_chain(frames: int, fmt: str) -> None:
    """MPEG-1 Layer II (128 kbps, 44.1 kHz: 417 bytes a frame) is named MP2 from four chained frames on: three
    could be chance, and are left as unknown bytes."""
    frame = b"\xff\xfd\x80\xc0" + bytes(413)
    report = check_bytes(frame * frames)
    assert report.media is not None
    assert report.media.format == fmt
