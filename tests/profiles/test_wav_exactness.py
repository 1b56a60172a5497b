"""WAV durations equal FFmpeg's decode to the sample on every corpus file, and every damaged file gets its finding."""

from __future__ import annotations

import pytest

from mediacheck import check_bytes, check_file
from tests.profiles.conftest import ANY_WAV, FIXTURES, WAV_MANIFEST, Truth

pytestmark = pytest.mark.ffmpeg

# What each hand-built edge file must be told (its whole set of finding codes under a profile that takes any WAV).
HAND_BUILT_CODES = {
    "odd-ulaw-padded": set(),
    "odd-ulaw-unpadded-end": set(),
    "chunks-before-data": set(),
    "data-larger-than-file": {"format.truncated"},
    "data-size-zero": {"format.wav-header"},
    "data-size-ffffffff": {"format.truncated", "format.wav-header"},
    "data-then-junk": set(),
    "riff-size-wrong": set(),
    "fmt-18": set(),
    "stereo-s16-partial": {"format.truncated"},
    "s24-stereo": set(),
    "s24-in-4-byte-blocks": set(),
    "ext-24-in-32": {"format.truncated"},
    "ext-16-in-32": {"format.wav-header"},
    "ext-ulaw": set(),
    "ext-float": {"format.truncated"},
    "float64-mono": {"format.truncated"},
    "pcm12-in-16": set(),
    "block-align-wrong": {"format.wav-header"},
    "ulaw-bits16": set(),
    "alaw-stereo": {"format.truncated"},
    "rifx-s16": set(),
    "rf64-unsized-data": set(),
    "rf64-ds64-smaller": set(),
    "bw64": set(),
    "two-data-chunks": {"format.corrupt"},
    "fmt-after-data": {"format.corrupt"},
    "no-fmt": {"format.corrupt"},
    "no-data": {"format.corrupt"},
    "zero-channels": {"format.corrupt"},
    "zero-rate": {"format.corrupt"},
    "fmt-too-short": {"format.corrupt"},
    "cut-in-riff-header": {"format.not-allowed"},
    "cut-in-data-header": {"format.corrupt"},
    "rf64-without-ds64": {"format.corrupt"},
    "adpcm": {"format.codec"},
    "mp3-in-riff": {"format.codec"},
    "many-chunks": {"format.corrupt"},
}


def _measured(corpus: list[Truth], prefix: str) -> list[tuple[Truth, int | None]]:
    out = []
    for truth in corpus:
        if truth.case.name.startswith(prefix):
            media = check_file(truth.case.path, profile=ANY_WAV).media
            assert media is not None
            out.append((truth, media.frames))
    return out


@pytest.mark.parametrize("group", ["enc-", "cut-", "hand-"])
def test_frames_equal_ffmpeg_decode(wav_corpus: list[Truth], group: str) -> None:
    """Whole sample frames measured = samples FFmpeg decodes, for every file of the group it can decode."""
    measured = _measured(wav_corpus, group)
    compared = [(t, frames) for t, frames in measured if t.frames is not None and frames is not None]
    wrong = [(t.case.name, t.frames, frames) for t, frames in compared if frames != t.frames]
    assert wrong == []
    assert len(compared) >= {"enc-": 50, "cut-": 25, "hand-": 25}[group]


def test_every_encode_passes_clean(wav_corpus: list[Truth]) -> None:
    """ffmpeg's own WAVs (every codec, 8-48 kHz, mono and stereo, extra chunks, RF64) pass with no finding at all,
    except the streamed ones, whose unset sizes are worth a warning."""
    for truth in wav_corpus:
        if not truth.case.name.startswith("enc-"):
            continue
        report = check_file(truth.case.path, profile=ANY_WAV)
        expected = ["format.wav-header"] if "streamed" in truth.case.name else []
        assert report.codes() == expected, truth.case.name
        assert report.media is not None
        assert report.media.duration_s == round(truth.frames / report.media.sample_rate, 6)  # type: ignore[operator]


def test_files_ffmpeg_cannot_decode_fail(wav_corpus: list[Truth]) -> None:
    """Every file FFmpeg refuses fails the check with a format finding (and is never given a duration)."""
    refused = [t for t in wav_corpus if t.frames is None]
    assert len(refused) >= 20
    for truth in refused:
        report = check_file(truth.case.path, profile=ANY_WAV)
        assert not report.ok, truth.case.name
        assert {f.code for f in report.errors} & {"format.corrupt", "format.codec", "format.not-allowed"}
        assert report.media is not None
        assert report.media.duration_s is None, truth.case.name


@pytest.mark.parametrize("name", sorted(HAND_BUILT_CODES))
def test_hand_built_findings(wav_corpus: list[Truth], name: str) -> None:
    """Each edge file gets exactly the findings its problem calls for, each with a message and a hint."""
    truth = next(t for t in wav_corpus if t.case.name == f"hand-{name}")
    report = check_file(truth.case.path, profile=ANY_WAV)
    assert set(report.codes()) == HAND_BUILT_CODES[name], truth.case.purpose
    assert all(f.message and f.hint for f in report.findings)


def test_truncations_are_told(wav_corpus: list[Truth]) -> None:
    """A file cut inside its data (or mid-frame) warns format.truncated; cut inside a header it is corrupt."""
    for truth in wav_corpus:
        name = truth.case.name
        if not name.startswith("cut-"):
            continue
        codes = check_file(truth.case.path, profile=ANY_WAV).codes()
        if name.startswith(("cut-data-header", "cut-fmt")):
            assert codes == ["format.corrupt"], name
        elif name.startswith("cut-no-data-bytes"):
            assert codes == ["format.corrupt", "format.truncated"], name  # no audio at all: it fails
        else:
            assert "format.truncated" in codes, name


def test_unmeasured_codecs_are_named_not_timed(wav_corpus: list[Truth]) -> None:
    """ADPCM and MP3-in-RIFF are named in the message and get no duration (FFmpeg decodes them; we do not guess)."""
    for name, said in (("hand-adpcm", "IMA ADPCM"), ("hand-mp3-in-riff", "MP3")):
        truth = next(t for t in wav_corpus if t.case.name == name)
        report = check_file(truth.case.path, profile=ANY_WAV)
        assert report.media is not None
        assert report.media.frames is None
        assert said in report.findings[0].message


@pytest.mark.parametrize("entry", WAV_MANIFEST, ids=lambda e: e["path"])
def test_committed_fixtures_match_their_manifest(entry: dict[str, object]) -> None:
    """The committed WAVs measure what the manifest's FFmpeg decode recorded."""
    data = (FIXTURES / str(entry["path"])).read_bytes()
    media = check_bytes(data, profile=ANY_WAV).media
    assert media is not None
    assert media.frames == entry["ffmpeg_frames"]
