"""Readiness: can this instance take checks right now? Cheap, local, and without auth or network.

``/healthz`` says the process answers; ``/readyz`` says it is fit to serve:

- ``resources``: the lifespan has opened the shared resources (slots, the guarded fetcher).
- ``settings``: the settings the app runs with pass validation (an embedder may build them without it).
- ``ffmpeg``: the ffmpeg the deep check and ``fix`` would run. The verdict itself never needs ffmpeg, so a
  machine without one is *ready* (deep decoding is reported unavailable); but ``MEDIACHECK_FFMPEG`` set to
  something that is not an executable is an operator's mistake, and the instance is *not ready* until it is
  fixed or unset, rather than failing later on the first deep check.

The answer names what failed without echoing configured paths or values: ``/readyz`` is unauthenticated.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from mediacheck import find_ffmpeg
from mediacheck.exceptions import AudioToolsMissingError
from mediacheck.service.resources import ServiceResources
from mediacheck.service.settings import Settings

# The library's setting that names an ffmpeg binary (see mediacheck.find_ffmpeg).
FFMPEG_ENV_VAR = "MEDIACHECK_FFMPEG"

__all__ = ["ReadinessCheck", "ReadinessOut", "assess_readiness"]


class ReadinessCheck(BaseModel):
    """One thing /readyz looked at: whether it is fine, and a sentence when it is not (or is degraded)."""

    ok: bool
    detail: str | None = None


class ReadinessOut(BaseModel):
    """Ready (200) or not (503), with every check and, when not ready, what to fix first."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "checks": {"resources": {"ok": True}, "settings": {"ok": True},
                                       "ffmpeg": {"ok": True}}, "detail": None},
        {"status": "not-ready", "checks": {"resources": {"ok": True}, "settings": {"ok": True}, "ffmpeg": {
            "ok": False, "detail": "MEDIACHECK_FFMPEG does not name an executable ffmpeg: fix or unset it."}},
         "detail": "MEDIACHECK_FFMPEG does not name an executable ffmpeg: fix or unset it."},
    ]})

    status: Literal["ready", "not-ready"]
    checks: dict[str, ReadinessCheck]
    detail: str | None = None


def _settings_check(settings: Settings) -> ReadinessCheck:
    try:
        Settings.model_validate(settings.model_dump())
    except ValidationError as exc:
        fields = ", ".join(sorted({"MEDIACHECK_" + "_".join(map(str, error["loc"])).upper()
                                   for error in exc.errors()}))
        return ReadinessCheck(ok=False, detail=f"Invalid settings: {fields}.")
    return ReadinessCheck(ok=True)


def _ffmpeg_check() -> tuple[ReadinessCheck, bool]:
    """The ffmpeg check, and whether its failure makes the instance not ready."""
    try:
        find_ffmpeg()
    except AudioToolsMissingError:
        if os.environ.get(FFMPEG_ENV_VAR):
            return ReadinessCheck(ok=False, detail=f"{FFMPEG_ENV_VAR} does not name an executable ffmpeg: "
                                                   "fix or unset it."), True
        return ReadinessCheck(ok=False, detail="No ffmpeg found: verdicts work, deep decoding is unavailable "
                                               "(install the audio extra or put ffmpeg on PATH)."), False
    return ReadinessCheck(ok=True), False


def assess_readiness(resources: ServiceResources | None) -> ReadinessOut:
    """Run every readiness check; ready when none of the blocking ones failed."""
    checks: dict[str, ReadinessCheck] = {}
    blocking: list[str] = []
    if resources is None:
        checks["resources"] = ReadinessCheck(ok=False, detail="The service has not finished starting.")
        blocking.append("resources")
    else:
        checks["resources"] = ReadinessCheck(ok=True)
        checks["settings"] = _settings_check(resources.settings)
        if not checks["settings"].ok:
            blocking.append("settings")
    checks["ffmpeg"], ffmpeg_blocks = _ffmpeg_check()
    if ffmpeg_blocks:
        blocking.append("ffmpeg")
    if blocking:
        return ReadinessOut(status="not-ready", checks=checks, detail=checks[blocking[0]].detail)
    return ReadinessOut(status="ready", checks=checks)
