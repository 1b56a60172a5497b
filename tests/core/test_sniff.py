"""Sniffing names what the first bytes are, so a non-MP3 answer says exactly what was received."""

from __future__ import annotations

import pytest

from mediacheck import check_bytes
from mediacheck._scan.sniff import sniff


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
