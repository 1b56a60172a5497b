"""What `mediacheck fix` repairs: the findings a re-encode or conversion makes pass, for hints, the page and users.

One list, read by the command line's hints (which put the fix command first), the web page's Fix button and
:func:`can_fix`, so all three offer a fix for exactly the same reasons.
"""

from __future__ import annotations

from mediacheck._report import Finding, MediaInfo, Report

# Failures (and warnings) that `mediacheck fix` repairs by re-encoding: too long, too large, the wrong layer,
# a damaged or untidy MP3 stream, tags eating the budget. Not format.free-format: ffmpeg decodes no free-format
# frame, so a fix has nothing to re-encode (its hint says to export the file again from the original).
_FIXED_BY_REENCODING = frozenset({"duration.too-long", "size.too-large", "format.wrong-layer", "format.junk",
                                  "size.tags-large"})
# Formats the scan names that hold audio ffmpeg decodes, so `format.not-mp3` on them is fixable.
AUDIO_FORMATS = frozenset({"aac", "aiff", "amr", "flac", "mp1", "mp2", "mp4", "ogg", "wav", "webm", "wma"})
# Under a profile, `fix --profile` converts to the platform's format, codec, rate and channels, so these
# failures are fixable too (daily's list above is about its MP3 rules).
_PROFILE_SHAPE_CODES = frozenset({"format.not-allowed", "format.codec", "format.sample-rate", "format.channels",
                                  "format.bit-depth"})


def fixable(finding: Finding, media: MediaInfo | None) -> bool:
    """True when `mediacheck fix` repairs what ``finding`` is about (for daily's MP3 rules)."""
    if finding.code in _FIXED_BY_REENCODING:
        return True
    if finding.code == "format.not-mp3":
        return media is not None and media.format in AUDIO_FORMATS
    # A damaged MP3 (joined encodings, junk): ffmpeg decodes what is left and fix re-encodes it as one stream.
    return finding.code == "format.corrupt" and media is not None and media.format == "mp3"


def can_fix(report: Report, *, profile: str | None = None) -> bool:
    """True when ``report`` fails for a reason `fix` repairs under ``profile`` (too long, too large, not MP3 but
    audio, a damaged stream; under another profile also the wrong format, codec, rate or channels)."""
    media = report.media
    if media is None or report.ok:
        return False
    for finding in report.errors:
        if fixable(finding, media):
            return True
        if (profile not in (None, "daily") and finding.code in _PROFILE_SHAPE_CODES
                and media.format in AUDIO_FORMATS | {"mp3"}):
            return True
    return False
