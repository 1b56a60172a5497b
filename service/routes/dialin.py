"""The dial-in config route: lint a whole ``POST /domain-dialin-config`` body before it is sent to the API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, status
from pydantic import BaseModel, ConfigDict

from mediacheck import DialinReport, alint_dialin_config
from mediacheck.service.deps import ApiKey, CheckSlot, Resources
from mediacheck.service.disconnects import cancel_on_disconnect
from mediacheck.service.metrics import record_check
from mediacheck.service.resources import ServiceResources
from mediacheck.service.schemas import ErrorOut, ReportOut

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
    status.HTTP_429_TOO_MANY_REQUESTS: {"model": ErrorOut, "description": "This client has as many requests in flight "
                                                                         "as one client may; see Retry-After."},
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
    # The raw bytes (already read and capped by the body-size middleware), not FastAPI's parse of them: the lint
    # judges their encoding and duplicated keys, which the parse silently accepted or dropped.
    # A client that hangs up cancels the lint (and the hold music's fetch with it), freeing its slot.
    raw = await request.body()
    report = await cancel_on_disconnect(request, lambda: lint_config(raw, resources))
    return report.to_dict()


async def lint_config(raw: bytes, resources: ServiceResources) -> DialinReport:
    """The service's lint of a config body as sent (bytes), counted in the metrics; the route above and the web
    page both answer with it. The app's one fetcher checks the hold music (shared pool, CA context), and its
    resolver and address policy vet the webhook."""
    report = await alint_dialin_config(raw, fetcher=resources.fetcher, limits=resources.limits)
    record_check(report.hold_music, "dialin")
    return report
