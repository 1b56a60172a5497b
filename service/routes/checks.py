"""The check endpoints: a URL (fetched through the library's guarded fetcher) or an uploaded file (streamed)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from starlette.requests import ClientDisconnect

from mediacheck import acheck_chunks
from mediacheck.service.deps import ApiKey, CheckSlot, Resources
from mediacheck.service.metrics import record_check
from mediacheck.service.profiles import PROFILE_DESCRIPTION, ProfileName, profiled_limits
from mediacheck.service.schemas import CheckRequest, ErrorOut, ReportOut
from mediacheck.service.upload import MultipartFileStream, MultipartParseError, NotMultipartError

UPLOAD_PATH = "/v1/checks/upload"  # the body-size middleware gives this path the upload cap

router = APIRouter(prefix="/v1", tags=["checks"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": ErrorOut, "description": "The body cannot be read (not UTF-8, say)."},
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorOut, "description": "API keys are configured and none was sent."},
    status.HTTP_413_CONTENT_TOO_LARGE: {"model": ErrorOut, "description": "The request body is over the cap."},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut,
                                          "description": "Every check slot is busy; see Retry-After."},
}


@router.post("/checks", response_model=ReportOut, responses=_REFUSALS, summary="Check a hold-music URL")
async def check_url(body: CheckRequest, resources: Resources, _key: ApiKey, _slot: CheckSlot) -> dict[str, Any]:
    """Fetch the URL through the network guard and say whether it will be accepted, and why not.

    A failing verdict (not MP3, too long, private address, 404, ...) is still a 200: the Report is the answer,
    with ``ok`` false and findings that say what to fix. ``max_bytes``/``max_seconds`` replace the default limits.
    """
    limits = profiled_limits(body.profile, resources.limits)
    changes: dict[str, Any] = {}
    if body.max_bytes is not None:
        changes["size_limit_bytes"] = body.max_bytes
    if body.max_seconds is not None:
        changes["duration_limit_s"] = body.max_seconds
    if changes:
        limits = dataclasses.replace(limits, **changes)
    report = await resources.check_url(body.url, limits, body.profile)
    record_check(report, "url")
    return report.to_dict()


_UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary", "description": "The audio file."}},
    }}},
}


@router.post("/checks/upload", response_model=ReportOut, summary="Check an uploaded file",
             openapi_extra={"requestBody": _UPLOAD_BODY},
             responses={**_REFUSALS,
                        status.HTTP_408_REQUEST_TIMEOUT: {"model": ErrorOut,
                                                          "description": "The upload took too long."},
                        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: {"model": ErrorOut,
                                                                 "description": "The body is not multipart."},
                        status.HTTP_422_UNPROCESSABLE_CONTENT: {
                            "description": "No `file` field, or a malformed multipart body.",
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/HTTPValidationError"}}}}})
async def check_upload(request: Request, response: Response, resources: Resources, _key: ApiKey,
                       _slot: CheckSlot,
                       profile: Annotated[ProfileName | None, Query(description=PROFILE_DESCRIPTION)] = None,
                       ) -> dict[str, Any]:
    """Check the multipart field ``file`` while it arrives, stopping as soon as the verdict is certain.

    The body is never buffered: it streams into the inspector chunk by chunk. A file over the size limit
    gets a ``size.too-large`` report as soon as the limit is crossed (the rest is never read); a body over
    MEDIACHECK_MAX_UPLOAD_BYTES is refused with 413. ``?profile=connect`` judges it by that platform's rules.
    """
    unknown = sorted(set(request.query_params) - {"profile"})
    if unknown:  # refused like unknown JSON fields: a typo (?profil=connect) must not silently check by daily's rules
        raise RequestValidationError([{"type": "extra_forbidden", "loc": ("query", unknown[0]),
                                       "msg": "Unknown query parameter; the only one is `profile`.", "input": None}])
    limits = profiled_limits(profile, resources.limits)
    try:
        form = MultipartFileStream(request.headers.get("content-type", ""))
    except NotMultipartError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=str(exc)) from None
    body_ended = False

    async def file_chunks() -> AsyncGenerator[bytes, None]:
        nonlocal body_ended
        async for data in request.stream():
            for chunk in form.write(data):
                yield chunk
            if form.file_ended:
                return
        body_ended = True

    try:
        # One deadline for the whole upload: a client trickling bytes must not hold a check slot forever.
        with anyio.fail_after(limits.timeout_s):
            async with aclosing(file_chunks()) as chunks:
                report = await acheck_chunks(chunks, limits=limits, target="<upload>", profile=profile)
    except TimeoutError:
        raise HTTPException(status.HTTP_408_REQUEST_TIMEOUT,
                            detail=f"The upload did not arrive within {limits.timeout_s:g} s.") from None
    except MultipartParseError as exc:
        raise _invalid_form(f"The multipart body is malformed: {exc}.") from None
    except ClientDisconnect:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="The client went away mid-upload.") from None
    if not form.found:
        raise _invalid_form("The form has no field named `file`.", kind="missing")
    if body_ended and not form.file_ended:
        raise _invalid_form("The multipart body ended inside the `file` field (no closing boundary).")
    if not (body_ended or form.file_ended):
        # The verdict came before the end of the body: close the connection after answering rather than let
        # the server drain the rest (clients read the answer; the unsent remainder is the point of stopping).
        response.headers["Connection"] = "close"
    if form.filename:
        # The name is only known once the part's headers have streamed in, after the check began.
        report = dataclasses.replace(report, target=form.filename)
    record_check(report, "upload")
    return report.to_dict()


def _invalid_form(message: str, *, kind: str = "value_error") -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", "file"), "msg": message, "input": None}])

