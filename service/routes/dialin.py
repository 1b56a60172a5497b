"""The dial-in config route: lint a whole ``POST /domain-dialin-config`` body before it is sent to the API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, status
from pydantic import BaseModel, ConfigDict

from mediacheck import Report
from mediacheck.service.deps import ApiKey, CheckSlot, Resources
from mediacheck.service.metrics import record_check
from mediacheck.service.resources import ServiceResources
from mediacheck.service.schemas import ErrorOut, ReportOut

if TYPE_CHECKING:
    from mediacheck._dialin import DialinFinding, DialinReport

router = APIRouter(prefix="/v1", tags=["dial-in configs"])

PINLESS_EXAMPLE: dict[str, Any] = {
    "type": "pinless_dialin",
    "name_prefix": "Customer1",
    "phone_number": "+18058700061",
    "room_creation_api": "https://your-app.example.com/api/dial",
    "hmac": "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0=",
    "hold_music_url": "https://example.com/static/ringtone.mp3",
    "timeout_config": {"message": "No agent is available right now"},
}
PIN_EXAMPLE: dict[str, Any] = {
    "type": "pin_dialin",
    "name_prefix": "Support",
    "phone_number": "+18058700062",
    "ivr_greeting": {"message": "Welcome to support. Please enter your PIN."},
    "timeout_config": {"message": "No agent is available right now"},
}
_FAILING_EXAMPLE: dict[str, Any] = {
    "ok": False,
    "findings": [{
        "field": "phone_number", "code": "phone_number.spaces", "severity": "error",
        "message": "`phone_number` '+1 805 870 0062' contains spaces; E.164 has none.",
        "hint": "Remove the spaces. In E.164: +18058700062.",
    }, {
        "field": "ivr_greting", "code": "field.unknown", "severity": "warning",
        "message": "`ivr_greting` is not a field of a dial-in config and will be ignored (a typo?).",
        "hint": "Did you mean `ivr_greeting`?",
    }],
    "hold_music": None,
}


class DialinFindingOut(BaseModel):
    """One judgement about one field: its path (``timeout_config.message``), a stable code, a message, a hint."""

    model_config = ConfigDict(extra="allow")

    field: str
    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    hint: str | None = None


class DialinReportOut(BaseModel):
    """The answer: ``ok`` is false when any finding (the hold music's included) is an error."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_FAILING_EXAMPLE]})

    ok: bool
    findings: list[DialinFindingOut]
    hold_music: ReportOut | None = None


_REFUSALS: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorOut, "description": "API keys are configured and none was sent."},
    status.HTTP_413_CONTENT_TOO_LARGE: {"model": ErrorOut, "description": "The request body is over the cap."},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut,
                                          "description": "Every check slot is busy; see Retry-After."},
}

ConfigBody = Annotated[dict[str, Any], Body(
    description="The exact JSON body you are about to send to `POST /domain-dialin-config`.",
    openapi_examples={
        "pinless": {"summary": "pinless_dialin (webhook creates the room)", "value": PINLESS_EXAMPLE},
        "pin": {"summary": "pin_dialin (callers enter a PIN)", "value": PIN_EXAMPLE},
    },
)]


@router.post("/dialin-configs/validate", response_model=DialinReportOut, responses=_REFUSALS,
             summary="Validate a dial-in config body")
async def validate_dialin_config(body: ConfigBody, request: Request, resources: Resources, _key: ApiKey,
                                 _slot: CheckSlot) -> dict[str, Any]:
    """Check a whole dial-in config before it is created: field rules, the webhook's address, the hold music.

    ``room_creation_api`` is never requested: its host is only resolved to vet the addresses (an unresolvable
    host is a warning). ``hold_music_url`` is fetched and checked like ``/v1/checks`` with the service's limits,
    and its Report is under ``hold_music``. A failing config is still a 200 with ``ok`` false.
    """
    from mediacheck._dialin import parse_config_json

    # FastAPI's parse kept the last of any duplicated key without a word; the raw body (already read and
    # capped by the body-size middleware) says whether there were any.
    _, duplicates = parse_config_json((await request.body()).decode("utf-8", "replace"))
    report = await lint_config(body, resources, duplicates)
    return report.to_dict()


async def lint_config(body: Mapping[str, Any], resources: ServiceResources,
                      duplicates: Sequence[DialinFinding] = ()) -> DialinReport:
    """The service's lint of a parsed config body (``duplicates``: the keys its text gave twice), counted in the
    metrics; the route above and the web page both answer with it."""
    from mediacheck._dialin import DialinReport, alint_with_checker

    limits = resources.limits
    fetcher = resources.fetcher

    async def check_hold_music(url: str) -> Report:
        return await resources.check_url(url, limits)

    # The app's one fetcher checks the hold music (shared pool, CA context); its resolver vets the webhook.
    report = await alint_with_checker(body, allow_networks=resources.settings.allow_networks, check_hold_music=True,
                                      resolver=fetcher.resolver, hold_music_checker=check_hold_music,
                                      timeout_s=limits.timeout_s)
    if duplicates:
        report = DialinReport(tuple(duplicates) + report.findings, report.hold_music)
    record_check(report.hold_music, "dialin")
    return report
