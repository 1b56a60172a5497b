"""Request and response bodies of the service; the response mirrors the library's Report JSON (Report.to_dict)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from mediacheck.service.profiles import PROFILE_DESCRIPTION, ProfileName
from mediacheck.service.settings import Settings

# How a profile's bounds meet the operator's: stated once for both request shapes.
_PROFILE_LIMITS = (" Its size and duration bounds replace the service's, but never go past them: the operator's "
                   "MEDIACHECK_MAX_BYTES/_SECONDS cap every check.")

# The longest URL browsers, CDNs and most APIs accept; longer is refused with 422 before anything is fetched.
MAX_URL_CHARS = 2048


def _integral_number(value: Any) -> Any:
    # JSON Schema's "integer" includes 9204.0; strict mode would refuse it, while 1.5, "9204" and true stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_EXAMPLE_URL = "https://example.com/static/hold-music.mp3"

EXAMPLE_REPORT: dict[str, Any] = {
    "target": _EXAMPLE_URL,
    "ok": False,
    "findings": [{
        "code": "duration.too-long", "severity": "error",
        "message": "The audio plays for 90.1 s; the limit is less than 60 s.",
        "hint": "Trim it below 60 s (`mediacheck fix` does it).",
    }],
    "media": {"format": "mp3", "duration_s": 90.1, "stream_duration_s": 90.12, "complete": True, "bytes": 1443342,
              "sample_rate": 44100, "channels": 2, "mpeg_version": "1", "layer": 3, "bitrate_kbps": 128,
              "bitrate_mode": "cbr", "frames": 3453, "tags": None, "audio": None},
    "fetch": {"final_url": _EXAMPLE_URL, "status": 200, "content_type": "audio/mpeg", "redirects": [],
              "bytes_read": 1443342, "elapsed_s": 0.04, "content_length": 1443342},
}


class CheckRequest(BaseModel):
    """A URL to check, and optionally tighter limits than the service's own (a request may only lower them)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": _EXAMPLE_URL},
        {"url": _EXAMPLE_URL, "max_bytes": 10_485_760, "max_seconds": 30.0},
        {"url": "https://example.com/static/prompt.wav", "profile": "connect"},
    ]})

    url: Annotated[str, Field(strict=True, min_length=1, max_length=MAX_URL_CHARS,
                              description="The http(s) URL of the hold music.")]
    # The ceiling is the operator's (MEDIACHECK_MAX_BYTES/_SECONDS), checked by the route and written into the
    # OpenAPI document by document_limits(); a fixed `le` here could only be wrong for some deployment.
    max_bytes: Annotated[int, Field(strict=True, gt=0), BeforeValidator(_integral_number)] | None = Field(
        default=None, description="Size limit in bytes (exclusive), at most the service's own (default 10,000,000).")
    max_seconds: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        default=None, description="Duration limit in seconds (exclusive), at most the service's own (default 60).")
    profile: ProfileName | None = Field(default=None, description=PROFILE_DESCRIPTION + _PROFILE_LIMITS)


class UploadQuery(BaseModel):
    """The query parameters of an upload: the same limits and profile a URL check takes in its body.

    In the query, not the form: the limit must be known before the file streams in, and a form field sent
    after the file would come too late.
    """

    model_config = ConfigDict(extra="forbid")  # `?max_byte=1000` is a 422, not silently the default limit

    max_bytes: Annotated[int, Field(gt=0)] | None = Field(
        default=None, description="Size limit in bytes (exclusive), at most the service's own (default 10,000,000).")
    max_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        default=None, description="Duration limit in seconds (exclusive), at most the service's own (default 60).")
    profile: ProfileName | None = Field(default=None, description=PROFILE_DESCRIPTION + _PROFILE_LIMITS)


class _Open(BaseModel):
    # Response models let fields the library adds later pass through instead of silently dropping them.
    model_config = ConfigDict(extra="allow")


class FindingOut(_Open):
    """One judgement: a stable code, a severity (only errors fail), a one-sentence message, a hint."""

    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    hint: str | None = None


class MediaOut(_Open):
    """What the bytes are and how long they play."""

    format: str
    duration_s: float | None = None
    stream_duration_s: float | None = None
    complete: bool
    bytes: int
    sample_rate: int | None = None
    channels: int | None = None
    mpeg_version: str | None = None
    layer: int | None = None
    bitrate_kbps: int | None = None
    bitrate_mode: str | None = None
    frames: int | None = None
    tags: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None


class RedirectOut(_Open):
    """One redirect hop the fetch followed."""

    url: str
    status: int
    location: str


class FetchOut(_Open):
    """What fetching the URL looked like (null for uploads)."""

    final_url: str
    status: int | None = None
    content_type: str | None = None
    redirects: list[RedirectOut] = Field(default_factory=list)
    bytes_read: int = 0
    elapsed_s: float = 0.0
    content_length: int | None = None


class ReportOut(_Open):
    """The answer: ``ok`` is false when any finding is an error; a failed check is still a 200 answer."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE_REPORT]})

    target: str
    ok: bool
    findings: list[FindingOut]
    media: MediaOut | None = None
    fetch: FetchOut | None = None


class ErrorOut(BaseModel):
    """Why a request was refused (every 4xx/5xx except validation errors has this shape)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Missing or wrong API key."}]})

    detail: str


class HealthOut(BaseModel):
    """The service is up."""

    status: Literal["ok"] = "ok"


def document_limits(app: FastAPI, settings: Settings) -> None:
    """Write the operator's limits into the OpenAPI document as the most ``max_bytes``/``max_seconds`` may ask for.

    Clients and schemathesis read ``maximum`` as "more than this is refused", which is what the routes do.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        ceilings = {"max_bytes": settings.size_limit_bytes, "max_seconds": settings.duration_limit_s}
        fields = document.get("components", {}).get("schemas", {}).get("CheckRequest", {}).get("properties", {})
        for name, ceiling in ceilings.items():
            for option in fields.get(name, {}).get("anyOf", []):
                if option.get("type") in ("integer", "number"):
                    option["maximum"] = ceiling
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and parameter.get("name") in ceilings:
                        for option in parameter.get("schema", {}).get("anyOf", []):
                            if option.get("type") in ("integer", "number"):
                                option["maximum"] = ceilings[parameter["name"]]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
