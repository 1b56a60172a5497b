"""Profiles judge by their platform's rules; daily, the default, judges exactly as mediacheck always did."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from fixtures.make_wav_fixtures import chunk, fmt_chunk, riff
from mediacheck import Limits, check_bytes, check_file
from mediacheck._profiles import BUILTIN_PROFILES, CONNECT, DAILY, GENESYS, TWILIO, VONAGE, FixTarget, Profile
from mediacheck.exceptions import UsageError
from tests.core.conftest import FIXTURES, MANIFEST
from tests.profiles.conftest import ANY_WAV


def _wav(frames: int, *, tag: int = 7, channels: int = 1, rate: int = 8000, bits: int = 8) -> bytes:
    frame = channels * ((bits + 7) // 8)
    return riff(chunk(b"fmt ", fmt_chunk(tag, channels, rate, bits)), chunk(b"data", bytes(frames * frame)))


class TestDailyIsUnchanged:
    """Naming daily (or a Profile equal to it) changes nothing: every fixture reports what it reports by default."""

    @pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["path"])
    def test_every_fixture_reports_the_same(self, entry: dict[str, Any]) -> None:
        """The default, profile="daily" and an equal Profile object give identical reports."""
        path = FIXTURES / entry["path"]
        default = check_file(path).to_dict()
        assert check_file(path, profile="daily").to_dict() == default
        assert check_file(path, profile=dataclasses.replace(DAILY)).to_dict() == default

    def test_a_wav_still_fails_as_not_mp3(self) -> None:
        """Under daily a WAV is named from its first bytes and fails format.not-mp3, with no WAV details."""
        report = check_file(FIXTURES / "wav" / "connect-ulaw-8k-mono-6s.wav", profile="daily")
        assert report.codes() == ["format.not-mp3"]
        assert report.media is not None
        assert report.media.wav is None
        assert "wav" not in report.media.to_dict()


class TestConnect:
    """Amazon Connect: 8 kHz mono µ-law WAV, under 50 MB and 5 minutes."""

    def test_the_connect_fixture_passes(self) -> None:
        """The committed 6 s µ-law WAV passes with no finding and its exact duration."""
        report = check_file(FIXTURES / "wav" / "connect-ulaw-8k-mono-6s.wav", profile="connect")
        assert report.ok
        assert report.codes() == []
        assert report.media is not None
        assert report.media.duration_s == 6.0
        assert report.media.wav is not None
        assert report.media.wav["codec"] == "pcm_mulaw"

    def test_wrong_shape_fails_on_each_rule(self) -> None:
        """16-bit stereo at 22 kHz fails the codec, the rate and the channels, each with its own code."""
        report = check_file(FIXTURES / "wav" / "pcm16-22k-stereo-1s.wav", profile="connect")
        assert report.codes() == ["format.codec", "format.sample-rate", "format.channels"]
        assert "µ-law" in report.errors[0].message

    def test_an_mp3_is_not_allowed(self) -> None:
        """An MP3 fails format.not-allowed (not format.not-mp3), and Daily's played-twice note is gone."""
        report = check_file(FIXTURES / "example-hold-music.mp3", profile="connect")
        assert report.codes() == ["format.not-allowed"]
        assert "WAV" in report.errors[0].message

    def test_five_minutes_is_too_long_but_one_sample_less_passes(self) -> None:
        """"Less than five minutes": 2,400,000 frames at 8 kHz fail, 2,399,999 pass (exclusive bound)."""
        assert check_bytes(_wav(2_400_000), profile="connect").codes() == ["duration.too-long"]
        assert check_bytes(_wav(2_399_999), profile="connect").ok


class TestBounds:
    """Inclusive bounds ("at most") pass at the bound, exclusive ones ("less than") fail there."""

    def test_genesys_size_is_inclusive(self) -> None:
        """Genesys' "limited to 25MB": exactly 25,000,000 bytes pass, one more fails, saying "at most"."""
        header = len(_wav(0))
        exactly = _wav(25_000_000 - header, tag=1, bits=8)
        assert len(exactly) == 25_000_000
        assert check_bytes(exactly, profile="genesys").ok
        over = check_bytes(exactly + b"\0", profile="genesys")
        assert over.codes() == ["size.too-large"]
        assert "at most 25,000,000 bytes" in over.errors[0].message

    @pytest.mark.parametrize(("inclusive", "frames", "ok"), [
        (True, 4000, True), (True, 4001, False), (False, 3999, True), (False, 4000, False)])
    def test_duration_bound(self, inclusive: bool, frames: int, ok: bool) -> None:
        """A 0.5 s bound: 4,000 frames at 8 kHz pass only when the bound is inclusive."""
        profile = dataclasses.replace(ANY_WAV, max_seconds=0.5, max_seconds_inclusive=inclusive)
        report = check_bytes(_wav(frames), profile=profile)
        assert report.ok is ok
        if not ok:
            assert report.codes() == ["duration.too-long"]
            assert ("at most 0.5 s" if inclusive else "less than 0.5 s") in report.errors[0].message

    def test_explicit_limits_replace_the_profile_bounds(self) -> None:
        """Limits passed explicitly are used as given (exclusive), the profile's other rules still applying."""
        report = check_bytes(_wav(8000), limits=Limits(duration_limit_s=0.5), profile="connect")
        assert report.codes() == ["duration.too-long"]
        assert check_bytes(_wav(8000, rate=16000), limits=Limits(), profile="connect").codes() == [
            "format.sample-rate"]

    def test_inclusive_limits_are_the_next_value_up(self) -> None:
        """An inclusive bound becomes the smallest exclusive limit above it: one byte, the next float."""
        assert GENESYS.limits().size_limit_bytes == 25_000_001
        seconds = dataclasses.replace(ANY_WAV, max_seconds=300.0, max_seconds_inclusive=True).limits()
        assert seconds.duration_limit_s == math.nextafter(300.0, math.inf)


class TestOtherBuiltins:
    """Vonage takes MP3 or 16-bit WAV; Twilio MP3 or WAV; none of them plays Daily's hold music twice."""

    def test_vonage_refuses_8_bit_wav(self) -> None:
        """µ-law is not 16-bit PCM: format.codec under vonage, while a 16-bit WAV passes."""
        assert check_bytes(_wav(800), profile="vonage").codes() == ["format.codec"]
        assert check_bytes(_wav(800, tag=1, bits=16), profile="vonage").ok

    @pytest.mark.parametrize("name", ["twilio", "vonage"])
    def test_mp3_passes_without_the_played_twice_note(self, name: str) -> None:
        """The example MP3 passes with no finding at all (played-twice is Daily's pinless dial-in)."""
        report = check_file(FIXTURES / "example-hold-music.mp3", profile=name)
        assert report.ok
        assert report.codes() == []

    def test_a_long_mp3_has_no_duration_bound_on_twilio(self) -> None:
        """Twilio publishes no duration limit: a 75 s MP3 passes and is measured whole."""
        report = check_file(FIXTURES / "too-long-75s.mp3", profile="twilio")
        assert report.ok
        assert report.media is not None
        assert report.media.complete

    def test_non_audio_is_not_allowed(self) -> None:
        """An HTML page fails format.not-allowed naming both accepted formats."""
        report = check_file(FIXTURES / "share-page.html", profile="twilio")
        assert report.codes() == ["format.not-allowed"]
        assert "MP3 or WAV" in report.errors[0].message

    def test_mp2_is_the_wrong_layer_where_mp3_is_allowed(self) -> None:
        """Layer II is still format.wrong-layer for a profile that takes MP3, and not-allowed for one that does not."""
        assert check_file(FIXTURES / "wrong-layer-mp2.mp3", profile="twilio").codes() == ["format.wrong-layer"]
        assert check_file(FIXTURES / "wrong-layer-mp2.mp3", profile="connect").codes() == ["format.not-allowed"]

    def test_mp3_sample_rates_and_channels_are_checked(self) -> None:
        """A profile limited to 8 kHz mono MP3 refuses the 44.1 kHz stereo fixture on both counts."""
        narrow = Profile(name="narrow", title="a narrow platform", formats=("mp3",), sample_rates=(8000,),
                         channels=(1,))
        report = check_file(FIXTURES / "cbr-128k-stereo-10s.mp3", profile=narrow)
        assert report.codes() == ["format.sample-rate", "format.channels"]


class TestSources:
    """Every built-in profile says where each of its rules comes from."""

    @pytest.mark.parametrize("profile", BUILTIN_PROFILES.values(), ids=lambda p: p.name)
    def test_each_builtin_cites_its_platform(self, profile: Profile) -> None:
        """At least one source, each an https page with the platform's own words."""
        assert profile.sources
        for source in profile.sources:
            assert source.url.startswith("https://")
            assert len(source.quote) > 20

    def test_the_builtins_are_the_documented_ones(self) -> None:
        """daily, connect, genesys, twilio and vonage, with daily the default."""
        assert list(BUILTIN_PROFILES) == ["daily", "connect", "genesys", "twilio", "vonage"]
        assert CONNECT.fix == FixTarget("wav", "pcm_mulaw", 8000, 1)
        assert VONAGE.codecs == ("mp3", "pcm_s16le")
        assert TWILIO.content_type_required is True

    def test_a_wrong_profile_type_is_a_usage_error(self) -> None:
        """A profile that is neither a name nor a Profile is refused with UsageError."""
        with pytest.raises(UsageError, match="profile must be"):
            check_bytes(b"", profile=42)  # type: ignore[arg-type]

    def test_an_unknown_name_is_a_usage_error(self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """An unknown name lists the ones there are."""
        monkeypatch.chdir(tmp_path)
        with pytest.raises(UsageError, match="unknown profile 'zoom': choose one of daily, connect"):
            check_bytes(b"", profile="zoom")
