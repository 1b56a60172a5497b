"""The rules as pure functions: hand-made facts in, findings out, with the limits read as "less than"."""

from __future__ import annotations

from dataclasses import replace

from mediacheck import Limits, Severity
from mediacheck._facts import MediaFacts
from mediacheck._rules import LimitWords, evaluate

RATE = 44100
# A clean 30 s MP3 as the scan would measure it: playback 30 s, one frame more in the stream.
GOOD = MediaFacts("mp3", "MPEG-1 Layer III audio", 480_000, True, layer=3, mpeg_version="1", sample_rate=RATE,
                  playback_samples=30 * RATE, stream_samples=30 * RATE + 1152, audio_frames=1150)


def codes(facts: MediaFacts, limits: Limits | None = None) -> list[str]:
    """The finding codes for facts under limits."""
    return [f.code for f in evaluate(facts, limits or Limits())]


class TestSize:
    """size.too-large fires at the limit, not only above it."""

    def test_one_byte_under_the_limit_passes(self) -> None:
        """9,999,999 bytes is less than 10,000,000: no size finding."""
        assert "size.too-large" not in codes(replace(GOOD, bytes=9_999_999))

    def test_exactly_the_limit_fails(self) -> None:
        """10,000,000 bytes is not less than 10,000,000: an error naming both numbers."""
        findings = evaluate(replace(GOOD, bytes=10_000_000), Limits())
        size = next(f for f in findings if f.code == "size.too-large")
        assert size.severity is Severity.ERROR
        assert "10,000,000" in size.message

    def test_tags_eating_the_budget_warn(self) -> None:
        """600 KB of tags (6% of the budget) earns a warning with a strip command as the hint."""
        findings = evaluate(replace(GOOD, tag_bytes=600_000, tag_kinds=("id3v2",)), Limits())
        tags = next(f for f in findings if f.code == "size.tags-large")
        assert tags.severity is Severity.WARNING
        assert tags.hint is not None
        assert "-map_metadata -1" in tags.hint

    def test_small_tags_do_not_warn(self) -> None:
        """A few kilobytes of tags are no concern."""
        assert "size.tags-large" not in codes(replace(GOOD, tag_bytes=4_000, tag_kinds=("id3v2",)))


class TestDuration:
    """duration.too-long fires when the playback or the stream duration reaches the limit."""

    def test_playback_under_but_stream_at_the_limit_fails(self) -> None:
        """59.98 s of playback in 60.01 s of frames fails, and the message gives both durations."""
        facts = replace(GOOD, playback_samples=int(59.98 * RATE), stream_samples=int(60.01 * RATE))
        finding = evaluate(facts, Limits())[0]
        assert finding.code == "duration.too-long"
        assert "59.980" in finding.message
        assert "60.010" in finding.message

    def test_exactly_the_limit_fails(self) -> None:
        """A stream of exactly the limit is not less than it."""
        facts = replace(GOOD, playback_samples=20 * RATE, stream_samples=20 * RATE)
        assert "duration.too-long" in codes(facts, Limits(duration_limit_s=20.0))

    def test_an_incomplete_scan_says_at_least(self) -> None:
        """A scan that stopped at the limit reports both durations as lower bounds, not lengths."""
        facts = replace(GOOD, complete=False, playback_samples=60 * RATE, stream_samples=60 * RATE + 1152)
        finding = evaluate(facts, Limits())[0]
        assert finding.message.startswith("It plays for at least 60.000 s (all frames: at least 60.026 s;")
        assert "played-twice" not in " ".join(codes(facts))

    def test_played_twice_gives_the_total_hold_time(self) -> None:
        """A passing file gets the info that pinless dial-in plays it twice: 60.0 s for a 30 s file."""
        finding = next(f for f in evaluate(GOOD, Limits()) if f.code == "duration.played-twice")
        assert finding.severity is Severity.INFO
        assert "60.0 s" in finding.message

    def test_header_count_disagreeing_with_frames_warns(self) -> None:
        """A Xing count of half the frames is a warning; the duration still comes from the frames."""
        facts = replace(GOOD, header_frames=575, header_kind="Info")
        finding = next(f for f in evaluate(facts, Limits()) if f.code == "duration.header-mismatch")
        assert "575" in finding.message
        assert "1,150" in finding.message


class TestFormat:
    """Formats other than MP3 fail with a message naming what the bytes are."""

    def test_html_gets_the_direct_link_hint(self) -> None:
        """A web page fails as not-mp3 with advice about direct download links."""
        facts = MediaFacts("html", "an HTML web page", 2_000, False)
        finding = evaluate(facts, Limits())[0]
        assert finding.code == "format.not-mp3"
        assert "HTML" in finding.message
        assert finding.hint is not None
        assert "direct" in finding.hint

    def test_layer_two_is_the_wrong_layer(self) -> None:
        """MPEG-1 Layer II gets its own code and names the layer."""
        facts = MediaFacts("mp2", "MPEG-1 Layer 2 audio", 2_000, False, layer=2, mpeg_version="1")
        finding = evaluate(facts, Limits())[0]
        assert finding.code == "format.wrong-layer"
        assert "Layer II" in finding.message

    def test_mostly_junk_is_corrupt_a_little_junk_is_a_warning(self) -> None:
        """Junk is a warning while small and an error once it is a quarter of the stream."""
        assert "format.junk" in codes(replace(GOOD, junk_bytes=700, junk_runs=1))
        assert "format.corrupt" in codes(replace(GOOD, junk_bytes=200_000, junk_runs=3))

    def test_errors_come_before_warnings_and_info(self) -> None:
        """Findings are ordered by severity so the reason for a failure comes first."""
        facts = replace(GOOD, bytes=12_000_000, junk_bytes=700, junk_runs=1)
        severities = [f.severity for f in evaluate(facts, Limits())]
        assert severities == sorted(severities, key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index)
        assert severities[0] is Severity.ERROR


class TestMinimumAudio:
    """A file passes only if FFmpeg would play at least 1 s of it."""

    def test_one_second_passes_a_sample_less_fails(self) -> None:
        """1.000 s of playback is enough; one sample less fails with duration.too-short and no played-twice."""
        assert "duration.too-short" not in codes(replace(GOOD, playback_samples=RATE, stream_samples=RATE + 1152))
        short = replace(GOOD, playback_samples=RATE - 1, stream_samples=RATE + 1151)
        assert codes(short) == ["duration.too-short"]
        assert "plays for only 0.999 s" in evaluate(short, Limits())[0].message  # cut, not rounded up to 1.000

    def test_a_trim_that_leaves_nothing_fails(self) -> None:
        """Frames whose gapless trim removes every sample play 0.000 s."""
        finding = evaluate(replace(GOOD, playback_samples=0, stream_samples=4 * 1152), Limits())[0]
        assert finding.code == "duration.too-short"
        assert "0.000 s" in finding.message

    def test_what_ffmpeg_refuses_has_no_audio(self) -> None:
        """No two consecutive frames where FFmpeg looks: format.no-audio, and no duration verdict besides."""
        facts = replace(GOOD, ffmpeg_opens=False, audio_frames=1, playback_samples=1152, stream_samples=1152)
        assert codes(facts) == ["format.no-audio"]
        assert "two consecutive frames" in evaluate(facts, Limits())[0].message
        alone = replace(facts, audio_frames=0, playback_samples=0, stream_samples=0)
        assert "no audio frame after its header frame" in evaluate(alone, Limits())[0].message

    def test_free_format_fails(self) -> None:
        """FFmpeg decodes no free-format frame, so free format is an error, not a warning."""
        finding = evaluate(replace(GOOD, free_format=True), Limits())[0]
        assert finding.code == "format.free-format"
        assert finding.severity is Severity.ERROR
        assert "duration.played-twice" not in codes(replace(GOOD, free_format=True))

    def test_an_unfinished_scan_is_not_called_too_short(self) -> None:
        """A scan stopped early (at the size limit) has a lower bound, not a length: no too-short verdict."""
        assert "duration.too-short" not in codes(replace(GOOD, complete=False, playback_samples=100))


class TestJunkShare:
    """Junk is an error only when it is both a quarter of the stream and at least 64 KiB."""

    def test_a_tiny_file_with_much_junk_only_warns(self) -> None:
        """1,700 bytes of audio and 900 of junk (a third) is untidy: FFmpeg plays the audio around it."""
        facts = replace(GOOD, bytes=2_600, junk_bytes=900, junk_runs=1)
        assert "format.corrupt" not in codes(facts)
        assert "format.junk" in codes(facts)

    def test_a_quarter_junk_and_64_kib_is_corrupt(self) -> None:
        """At 64 KiB of junk and a quarter of the stream, the file is damaged."""
        assert "format.corrupt" in codes(replace(GOOD, bytes=262_144, junk_bytes=65_536, junk_runs=1))
        assert "format.corrupt" not in codes(replace(GOOD, bytes=262_140, junk_bytes=65_535, junk_runs=1))


class TestLimitWords:
    """The rules word the size and duration limits as the caller says (a profile's "at most"), so nothing has to
    rewrite their messages afterwards."""

    def test_by_default_the_limits_are_less_than(self) -> None:
        """With no wording given, each limit reads "less than" its value."""
        facts = replace(GOOD, bytes=10_000_000, playback_samples=61 * RATE, stream_samples=61 * RATE)
        messages = {f.code: f.message for f in evaluate(facts, Limits())}
        assert messages["size.too-large"].endswith("it must be less than 10,000,000 bytes.")
        assert messages["duration.too-long"].endswith("it must be less than 60 s.")

    def test_the_wording_given_is_the_wording_used(self) -> None:
        """A caller's words for the bounds replace "less than" in the size and duration findings."""
        facts = replace(GOOD, bytes=10_000_000, playback_samples=61 * RATE, stream_samples=61 * RATE)
        words = LimitWords(size="at most 9,999,999 bytes", duration="at most 59.9 s")
        messages = {f.code: f.message for f in evaluate(facts, Limits(), words)}
        assert messages["size.too-large"].endswith("it must be at most 9,999,999 bytes.")
        assert messages["duration.too-long"].endswith("it must be at most 59.9 s.")
