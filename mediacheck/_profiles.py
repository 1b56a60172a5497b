"""Platform profiles: what each telephony platform accepts (formats, codecs, rates, channels, size, duration, type).

A :class:`Profile` is data. ``daily`` is the default and reproduces the checks mediacheck always made (its rules
run through the original code path, untouched); the other built-ins carry the rules their platforms publish,
each with the page and the words it comes from (``Profile.sources``, printed in docs/profiles.md). Where a platform
says "MB" without saying which, the stricter reading (10^6 bytes) is used, as for Daily's "10MB". Profiles
from a user's rules file are built by :mod:`mediacheck._profile_config`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from mediacheck._limits import DEFAULT_LIMITS, Limits

# A profile with no size or duration bound still needs a scan limit; these are never reached by real audio.
NO_SIZE_BOUND = 10**15
NO_DURATION_BOUND = 1e9

# The formats whose facts mediacheck measures and a profile may accept.
KNOWN_FORMATS = ("mp3", "wav")
# FFmpeg's names for the codecs the scanners tell apart (MP3 files are "mp3").
KNOWN_CODECS = ("mp3", "pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_s64le", "pcm_f32le", "pcm_f64le",
                "pcm_s16be", "pcm_s24be", "pcm_s32be", "pcm_s64be", "pcm_f32be", "pcm_f64be", "pcm_mulaw",
                "pcm_alaw")
WAV_CONTENT_TYPES = ("audio/wav", "audio/wave", "audio/x-wav", "audio/vnd.wave")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a profile's rule comes from: what it says, the page, and the page's own words."""

    rule: str
    url: str
    quote: str


@dataclass(frozen=True, slots=True)
class FixTarget:
    """What ``mediacheck fix --profile`` writes for the profile: container, codec, sample rate, channels."""

    format: str  # "mp3" or "wav"
    codec: str  # "libmp3lame" or an FFmpeg PCM codec such as "pcm_mulaw"
    sample_rate: int
    channels: int


@dataclass(frozen=True, slots=True)
class Profile:
    """One platform's rules. ``None`` means the platform sets no rule there; bounds say whether equal passes."""

    name: str
    title: str
    formats: tuple[str, ...]
    codecs: tuple[str, ...] | None = None
    sample_rates: tuple[int, ...] | None = None
    channels: tuple[int, ...] | None = None
    bit_depths: tuple[int, ...] | None = None
    max_bytes: int | None = None
    max_bytes_inclusive: bool = False
    max_seconds: float | None = None
    max_seconds_inclusive: bool = False
    content_types: tuple[str, ...] | None = None
    content_type_required: bool = False
    played_twice: bool = False
    fix: FixTarget | None = None
    sources: tuple[Source, ...] = field(default_factory=tuple)

    @property
    def reads_wav(self) -> bool:
        """True when WAV files are measured (and judged) rather than refused from their first bytes."""
        return "wav" in self.formats

    def limits(self, base: Limits = DEFAULT_LIMITS) -> Limits:
        """``base`` (timeout, redirects) with this profile's size and duration bounds as exclusive limits.

        An inclusive bound ("at most 25 MB") becomes the next value up: one byte more, or the next float above
        the seconds (no duration lies between a float and the next one, so "not less than" then means "more than").
        """
        size = NO_SIZE_BOUND if self.max_bytes is None else self.max_bytes + (1 if self.max_bytes_inclusive else 0)
        seconds = NO_DURATION_BOUND if self.max_seconds is None else (
            math.nextafter(self.max_seconds, math.inf) if self.max_seconds_inclusive else self.max_seconds)
        return dataclasses.replace(base, size_limit_bytes=size, duration_limit_s=seconds)

    def to_dict(self) -> dict[str, object]:
        """The profile as JSON-ready values (sources included)."""
        data = dataclasses.asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def fix_target(profile: Profile) -> FixTarget:
    """What ``fix`` writes for the profile: its own target, or one derived from its rules (mono, 8 kHz WAV or MP3)."""
    if profile.fix is not None:
        return profile.fix
    channels = 1 if profile.channels is None or 1 in profile.channels else profile.channels[0]
    if "mp3" in profile.formats and (profile.codecs is None or "mp3" in profile.codecs):
        mp3_rates = (22050, 16000, 24000, 8000, 11025, 12000, 32000, 44100, 48000)
        allowed = profile.sample_rates or mp3_rates
        rate = next((r for r in mp3_rates if r in allowed), 22050)
        return FixTarget("mp3", "libmp3lame", rate, channels)
    by_depth = {8: "pcm_u8", 16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_s32le"}
    depths = profile.bit_depths or (16,)
    codecs = profile.codecs or tuple(by_depth[b] for b in depths if b in by_depth) or ("pcm_s16le",)
    codec = next((c for c in codecs if c != "mp3" and not c.endswith("be")), "pcm_s16le")
    rate = 8000 if profile.sample_rates is None or 8000 in profile.sample_rates else profile.sample_rates[0]
    return FixTarget("wav", codec, rate, channels)


_DAILY_URL = "https://docs.daily.co/reference/rest-api/dial-in/create-config"
_CONNECT_URL = "https://docs.aws.amazon.com/connect/latest/adminguide/play.html"
_GENESYS_URL = "https://help.mypurecloud.com/articles/user-prompts/"
_TWILIO_URL = "https://www.twilio.com/docs/voice/twiml/play"
_TWILIO_ERROR_URL = "https://www.twilio.com/docs/errors/13420"
_VONAGE_URL = "https://developer.vonage.com/en/blog/how-to-play-an-audio-stream-into-a-call-with-python-dr"

DAILY = Profile(
    name="daily", title="Daily pinless dial-in hold music", formats=("mp3",), codecs=("mp3",),
    max_bytes=10_000_000, max_seconds=60.0, content_types=("audio/mpeg",), played_twice=True,
    fix=FixTarget("mp3", "libmp3lame", 22050, 1),
    sources=(Source("MP3, less than 10,000,000 bytes, less than 60 s; played twice", _DAILY_URL,
                    "It must be a publicly accessible URL in MP3 format, less than 10MB in size and less than 60 "
                    "seconds in duration. In pinless_dialin the hold music is played twice."),),
)

CONNECT = Profile(
    name="connect", title="Amazon Connect prompts", formats=("wav",), codecs=("pcm_mulaw",), sample_rates=(8000,),
    channels=(1,), max_bytes=50_000_000, max_seconds=300.0, fix=FixTarget("wav", "pcm_mulaw", 8000, 1),
    sources=(
        Source("WAV, 8 kHz, mono, µ-law", _CONNECT_URL,
               "You must use .wav files that are 8KHz, and mono channel audio with U-Law encoding."),
        Source("less than 50,000,000 bytes and less than 300 s", _CONNECT_URL,
               "Amazon Connect supports prompts that are less than 50MB and less than five minutes long."),
    ),
)

GENESYS = Profile(
    name="genesys", title="Genesys Cloud Architect user prompts", formats=("wav",), max_bytes=25_000_000,
    max_bytes_inclusive=True, fix=FixTarget("wav", "pcm_s16le", 8000, 1),
    sources=(
        Source("WAV", _GENESYS_URL, "All prompt audio files should be in .wav format."),
        Source("at most 25,000,000 bytes", _GENESYS_URL, "The file size is limited to 25MB."),
    ),
)

TWILIO = Profile(
    name="twilio", title="Twilio <Play>", formats=("mp3", "wav"),
    content_types=("audio/mpeg", "audio/wav", "audio/wave", "audio/x-wav", "audio/aiff", "audio/x-aifc",
                   "audio/x-aiff", "audio/x-gsm", "audio/gsm", "audio/ulaw"),
    content_type_required=True, fix=FixTarget("mp3", "libmp3lame", 22050, 1),
    sources=(
        Source("an audio Content-Type from Twilio's list", _TWILIO_URL,
               "Twilio supports the following audio MIME types for audio files retrieved by the <Play> verb: "
               "audio/mpeg, audio/wav, audio/wave, audio/x-wav, audio/aiff, audio/x-aifc, audio/x-aiff, "
               "audio/x-gsm, audio/gsm, audio/ulaw"),
        Source("the Content-Type is required", _TWILIO_ERROR_URL, "Play requires an audio Content-Type"),
    ),
)

VONAGE = Profile(
    name="vonage", title="Vonage Voice API stream action", formats=("mp3", "wav"), codecs=("mp3", "pcm_s16le"),
    fix=FixTarget("wav", "pcm_s16le", 16000, 1),
    sources=(Source("MP3, or WAV of 16-bit samples", _VONAGE_URL,
                    "streamUrl: An array containing a single URL to an MP3 or WAV (16-bit) audio file to stream "
                    "to the Call or Conversation."),),
)

BUILTIN_PROFILES: Mapping[str, Profile] = {p.name: p for p in (DAILY, CONNECT, GENESYS, TWILIO, VONAGE)}
DEFAULT_PROFILE = DAILY
