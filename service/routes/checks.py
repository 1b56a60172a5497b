"""The check endpoints: a URL (fetched through the library's guarded fetcher) or an uploaded file (streamed)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from starlette.requests import ClientDisconnect

from mediacheck import Limits, acheck_chunks
from mediacheck.service.deps import ApiKey, CheckSlot, Resources, UploadSlot, check_slot_within
from mediacheck.service.disconnects import cancel_on_disconnect
from mediacheck.service.metrics import record_check
from mediacheck.service.profiles import profiled_limits
from mediacheck.service.resources import ServiceResources
from mediacheck.service.schemas import CheckRequest, ErrorOut, ReportOut, UploadQuery
from mediacheck.service.spool import spool_upload
from mediacheck.service.upload import FormRefusedError, MultipartFileStream, MultipartParseError, NotMultipartError

UPLOAD_PATH = "/v1/checks/upload"  # the body-size middleware gives this path the upload cap

router = APIRouter(prefix="/v1", tags=["checks"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": ErrorOut, "description": "The body cannot be read (not UTF-8, say), "
                                                                   "or the Host is not one the service answers to."},
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorOut, "description": "API keys are configured and none was sent."},
    status.HTTP_413_CONTENT_TOO_LARGE: {"model": ErrorOut, "description": "The request body is over the cap."},
    status.HTTP_429_TOO_MANY_REQUESTS: {"model": ErrorOut, "description": "This client has as many requests in flight "
                                                                         "as one client may; see Retry-After."},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorOut,
                                          "description": "Every check (or upload) slot is busy; see Retry-After."},
}


def request_limits(resources: ServiceResources, max_bytes: int | None, max_seconds: float | None,
                   where: str, profile: str | None = None) -> Limits:
    """The operator's limits (or the profile's bounds, within them), lowered where the request asks; asking for
    more than the operator allows is a 422.

    Refused rather than clamped: a caller who asked for 50 MB and silently got a 10 MB verdict would read a
    ``size.too-large`` as a fact about the file, not about this service.
    """
    settings = resources.settings
    errors: list[dict[str, Any]] = []
    size_limit, duration_limit = settings.size_limit_bytes, settings.duration_limit_s
    for name, asked, ceiling, said in (
        ("max_bytes", max_bytes, size_limit, f"{size_limit:,} bytes (MEDIACHECK_MAX_BYTES)"),
        ("max_seconds", max_seconds, duration_limit, f"{duration_limit:g} s (MEDIACHECK_MAX_SECONDS)"),
    ):
        if asked is not None and asked > ceiling:
            errors.append({"type": "less_than_equal", "loc": (where, name), "input": asked, "ctx": {"le": ceiling},
                           "msg": f"{name} may only lower this service's limit of {said}, not raise it"})
    if errors:
        raise RequestValidationError(errors)
    changes: dict[str, Any] = {}
    if max_bytes is not None:
        changes["size_limit_bytes"] = max_bytes
    if max_seconds is not None:
        changes["duration_limit_s"] = max_seconds
    base = profiled_limits(profile, resources.limits)
    return dataclasses.replace(base, **changes) if changes else base


@router.post("/checks", response_model=ReportOut, responses=_REFUSALS, summary="Check a hold-music URL")
async def check_url(body: CheckRequest, request: Request, resources: Resources, _key: ApiKey,
                    _slot: CheckSlot) -> dict[str, Any]:
    """Fetch the URL through the network guard and say whether it will be accepted, and why not.

    A failing verdict (not MP3, too long, private address, 404, ...) is still a 200: the Report is the answer,
    with ``ok`` false and findings that say what to fix. ``max_bytes``/``max_seconds`` lower the service's
    limits for this check (higher than the service's own is a 422). A client that hangs up cancels its check.
    """
    limits = request_limits(resources, body.max_bytes, body.max_seconds, "body", body.profile)
    report = await cancel_on_disconnect(request, lambda: resources.check_url(body.url, limits, body.profile))
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
async def check_upload(
    request: Request, response: Response, resources: Resources, _key: ApiKey, _upload: UploadSlot,
    query: Annotated[UploadQuery, Query()],
) -> dict[str, Any]:
    """Check the multipart field ``file``: received first (no check slot is held meanwhile), then checked.

    The file is received into a bounded spool, never whole in memory; receiving stops once the file reaches
    the size limit (the verdict, ``size.too-large``, is then certain and the rest is never read). A body over
    MEDIACHECK_MAX_UPLOAD_BYTES is refused with 413, an upload slower than MEDIACHECK_TIMEOUT_S with 408.
    ``max_bytes``/``max_seconds`` (query parameters) lower the limits as in ``POST /v1/checks``, and
    ``?profile=connect`` judges the file by that platform's rules.
    """
    repeated = [name for name in ("max_bytes", "max_seconds", "profile")
                if len(request.query_params.getlist(name)) > 1]
    if repeated:  # which one was meant? FastAPI would silently take the last
        raise RequestValidationError([{"type": "value_error", "loc": ("query", name), "input": None,
                                       "msg": f"{name} is given more than once"} for name in repeated])
    limits = request_limits(resources, query.max_bytes, query.max_seconds, "query", query.profile)
    try:
        form = MultipartFileStream(request.headers.get("content-type", ""))
    except NotMultipartError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=str(exc)) from None
    except FormRefusedError as exc:
        raise _refused_form(str(exc), loc=("header", "content-type")) from None
    deadline = anyio.current_time() + limits.timeout_s
    try:
        # One deadline for the whole upload; it holds an upload slot and a client lease, never a check slot.
        with anyio.fail_after(limits.timeout_s):
            upload = await spool_upload(request.stream(), form, keep_bytes=limits.size_limit_bytes)
    except TimeoutError:
        raise HTTPException(status.HTTP_408_REQUEST_TIMEOUT, headers={"Connection": "close"},
                            detail=f"The upload did not arrive within {limits.timeout_s:g} s.") from None
    except FormRefusedError as exc:
        raise _refused_form(str(exc)) from None
    except MultipartParseError as exc:
        raise _refused_form(f"The multipart body is malformed: {exc}.") from None
    except ClientDisconnect:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="The client went away mid-upload.") from None
    with upload:
        if not form.found:
            raise _invalid_form("The form has no field named `file`.", kind="missing")
        if upload.body_ended and not form.file_ended:
            raise _invalid_form("The multipart body ended inside the `file` field (no closing boundary).")
        async with check_slot_within(resources, deadline - anyio.current_time()):
            report = await acheck_chunks(upload.chunks(), limits=limits, target="<upload>", profile=query.profile)
    if upload.stopped_at_limit:
        # The verdict came before the end of the body: close the connection after answering rather than let
        # the server drain the rest (clients read the answer; the unsent remainder is the point of stopping).
        response.headers["Connection"] = "close"
    if form.filename:
        report = dataclasses.replace(report, target=form.filename)
    record_check(report, "upload")
    return report.to_dict()


def _refused_form(message: str, *, loc: tuple[str, ...] = ("body", "file")) -> HTTPException:
    # The shape of a validation error, with Connection: close: the rest of the body is not worth reading.
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, headers={"Connection": "close"},
                         detail=[{"type": "value_error", "loc": loc, "msg": message, "input": None}])


def _invalid_form(message: str, *, kind: str = "value_error") -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", "file"), "msg": message, "input": None}])

