"""The page's routes: the page itself, and the fragments and files its script asks for with the API key.

``GET /`` is the page (no data in it, no key needed). The script posts to ``/web/check`` (a file or URL: the
verdict, facts and waveform as an HTML fragment), ``/web/fix`` (the fixed file itself, what changed in a
header) and ``/web/dialin`` (a config body: its fields with their findings). Those three take the same API key,
check slots and body caps as ``/v1`` (the service's own dependencies), and refuse other sites' requests. The two
that take files receive the form as ``/v1/checks/upload`` does: under an upload lease, then a check slot.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, status
from starlette.responses import HTMLResponse, Response

from mediacheck import (
    BUILTIN_PROFILES,
    AudioToolsMissingError,
    FixError,
    FixReport,
    Limits,
    Report,
    Waveform,
    can_fix,
    check_file,
    deep_check_with_waveform,
    fix_file,
    parse_config_json,
)
from mediacheck.service.deps import ApiKey, CheckSlot, Resources, UploadSlot, check_slot_within
from mediacheck.service.disconnects import cancel_on_disconnect
from mediacheck.service.metrics import record_check
from mediacheck.service.profiles import profiled_limits
from mediacheck.service.resources import ServiceResources
from mediacheck.service.routes.dialin import PINLESS_EXAMPLE, lint_config
from mediacheck.service.schemas import MAX_URL_CHARS
from mediacheck.service.web import dialin_view, views
from mediacheck.service.web.intake import PROFILES, PageInput, received_input
from mediacheck.service.web.pages import pretty_json, problem, render
from mediacheck.service.web.security import SameOrigin
from mediacheck.service.web.waveform_svg import WaveformPicture, draw

PREFIX = "/web"
STATIC_PATH = f"{PREFIX}/static"
CHECK_PATH = f"{PREFIX}/check"
FIX_PATH = f"{PREFIX}/fix"
DIALIN_PATH = f"{PREFIX}/dialin"
UPLOAD_PATHS = (CHECK_PATH, FIX_PATH)  # these take files: the body-size middleware gives them the upload cap
FIX_HEADER = "X-Mediacheck-Fix"

_MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
_SAFE_STEM = re.compile(r"[^A-Za-z0-9._-]+")

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, resources: Resources) -> HTMLResponse:
    """The page: drop a file or paste a URL, or paste a dial-in config."""
    settings = resources.settings
    root = request.scope.get("root_path", "")  # behind a proxy that serves the app under a path prefix
    options = [{"name": name, "label": BUILTIN_PROFILES[name].title} for name in PROFILES]
    return render("page.html", root=root, static=f"{root}{STATIC_PATH}", needs_key=bool(settings.api_keys),
                  profiles=options,
                  max_url_chars=MAX_URL_CHARS, dialin_example=pretty_json(PINLESS_EXAMPLE), docs=settings.docs,
                  rules=views.rules_in_words(None, resources.limits))


@asynccontextmanager
async def _received_then_slotted(request: Request, resources: ServiceResources) -> AsyncIterator[PageInput]:
    """Receive the form holding only the client's upload lease, then wait for a check slot until its deadline.

    As for ``/v1/checks/upload``: a client trickling a form costs a socket and a lease of its own, never a
    check slot, so slow or unfinished uploads cannot keep everyone else's checks out.
    """
    timeout_s = resources.limits.timeout_s
    deadline = anyio.current_time() + timeout_s
    async with received_input(request, timeout_s) as given, \
            check_slot_within(resources, deadline - anyio.current_time()):
        yield given


@router.post(CHECK_PATH, response_class=HTMLResponse)
async def check(request: Request, resources: Resources, _origin: SameOrigin, _key: ApiKey,
                _upload: UploadSlot) -> HTMLResponse:
    """Check the form's ``file`` or ``url``, listen to it, draw it: the verdict as an HTML fragment."""
    async with _received_then_slotted(request, resources) as given:
        limits = profiled_limits(given.profile, resources.limits)
        # A browser that goes away (a tab closed, another file dropped) cancels the check, as on /v1.
        report, waveform, note = await cancel_on_disconnect(request, lambda: _examined(given, resources, limits))
    record_check(report, "page")
    view = views.ReportView(
        name=given.name, ok=report.ok, headline=views.headline(report),
        facts=views.facts(report, views.rules_in_words(given.profile, limits), limits),
        findings=views.ordered(report.findings), fixable=can_fix(report, profile=given.profile),
        picture=_picture(report, waveform, limits), picture_note=note,
    )
    return render("report.html", view=view)


async def _examined(given: PageInput, resources: ServiceResources,
                    limits: Limits) -> tuple[Report, Waveform | None, str | None]:
    """The verdict on the form's file or URL, its waveform, and why there is no picture if there is none."""
    source: Path | None
    note: str | None
    if given.path is not None:
        report = await anyio.to_thread.run_sync(partial(check_file, given.path, limits=limits, profile=given.profile))
        report = dataclasses.replace(report, target=given.name)
        source, note = given.path, None
    else:
        assert given.url is not None
        report = await resources.check_url(given.url, limits, given.profile)
        source, note = await _download_for_picture(report, given, resources, limits)
    return await _listen(report, source, limits, note)


def _pictured(report: Report) -> bool:
    # Audio of any kind is decoded to be drawn; bytes the scan could not name are not worth a decode.
    return report.media is not None and report.media.holds_audio and report.media.format != "unknown"


async def _download_for_picture(report: Report, given: PageInput, resources: ServiceResources,
                                limits: Limits) -> tuple[Path | None, str | None]:
    # The verdict is exactly the API's, which stops reading once it is certain; a picture of the whole file
    # needs the rest, so audio is downloaded once more through the same guard, capped like an upload.
    if not _pictured(report) or given.url is None:
        return None, None
    path = given.folder / "download"
    _fetch, findings = await resources.fetcher.adownload(given.url, path, max_bytes=resources.settings.max_upload_bytes,
                                                         limits=limits)
    errors = [f for f in findings if f.severity.value == "error"]
    if errors:
        return None, f"No picture: downloading the whole file to draw it failed. {errors[0].message}"
    return path, None


async def _listen(report: Report, source: Path | None, limits: Limits,
                  note: str | None) -> tuple[Report, Waveform | None, str | None]:
    if source is None or not _pictured(report):
        return report, None, note
    try:
        report, waveform = await anyio.to_thread.run_sync(deep_check_with_waveform, report, source, limits)
    except AudioToolsMissingError:
        return report, None, ("No picture: drawing the waveform and the listening checks need the audio tools "
                              "on the server (pip install 'mediacheck[audio]').")
    return report, waveform, None if waveform is not None else "No picture: ffmpeg decoded no audio from it."


def _picture(report: Report, waveform: Waveform | None, limits: Limits) -> WaveformPicture | None:
    if waveform is None or report.media is None:
        return None
    audio = dict(report.media.audio or {})
    return draw(waveform, limit_s=views.duration_limit(limits),
                leading_silence_s=0.0 if audio.get("silent") else float(audio.get("leading_silence_s") or 0.0),
                trailing_silence_s=0.0 if audio.get("silent") else float(audio.get("trailing_silence_s") or 0.0),
                loudness_lufs=audio.get("integrated_lufs"), flagged=report.codes())


@router.post(FIX_PATH)
async def fix(request: Request, resources: Resources, _origin: SameOrigin, _key: ApiKey,
              _upload: UploadSlot) -> Response:
    """Run ``fix_file`` on the form's ``file`` or ``url``; answer with the fixed file, what changed in a header."""
    async with _received_then_slotted(request, resources) as given:
        # A browser that goes away cancels the fix (and a URL's download), as on /v1.
        fixed, extension, data = await cancel_on_disconnect(request, lambda: _fixed(given, resources))
    # The folder (upload, download and output) is gone here, before a byte of the answer is sent; the fixed
    # file is smaller than the size limit, so holding it in memory for the answer is bounded.
    record_check(fixed, "page")
    filename = f"{_stem(given.name)}-fixed.{extension}"
    summary = {
        "filename": filename,
        "ok": fixed.ok,
        "facts": " · ".join(part for part in (extension.upper(), _plays(fixed), f"{len(data):,} bytes",
                                             fixed.media.shape() if fixed.media else "") if part),
        "changes": [change.message for change in fixed.changes],
        "findings": [{"severity": f.severity.value, "code": f.code, "message": f.message} for f in fixed.findings],
    }
    return Response(data, media_type=_MEDIA_TYPES.get(extension, "application/octet-stream"), headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        FIX_HEADER: json.dumps(summary, ensure_ascii=True, separators=(",", ":")),
        "Cache-Control": "no-store",
    })


async def _fixed(given: PageInput, resources: ServiceResources) -> tuple[FixReport, str, bytes]:
    """Fix the form's file or URL into the request's folder: the report, the file's extension and its bytes."""
    limits = profiled_limits(given.profile, resources.limits)
    source = given.path or await _download_source(given, resources, limits)
    target = BUILTIN_PROFILES[given.profile or "daily"].fix
    extension = target.format if target is not None else "mp3"
    out = given.folder / f"fixed.{extension}"
    try:
        fixed = await anyio.to_thread.run_sync(partial(fix_file, source, out, limits=limits, profile=given.profile))
    except FixError as exc:
        said = str(exc).replace(str(source), given.name).replace(str(given.folder), "")
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"Cannot fix it: {said}.") from None
    except AudioToolsMissingError:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED,
                            detail="Fixing needs the audio tools on the server "
                                   "(pip install 'mediacheck[audio]').") from None
    if not fixed.written:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail="It already passes with no warnings: there is nothing to fix.")
    return fixed, extension, await anyio.to_thread.run_sync(out.read_bytes)


async def _download_source(given: PageInput, resources: ServiceResources, limits: Limits) -> Path:
    assert given.url is not None
    path = given.folder / "download"
    _fetch, findings = await resources.fetcher.adownload(given.url, path, max_bytes=resources.settings.max_upload_bytes,
                                                         limits=limits)
    errors = [f for f in findings if f.severity.value == "error"]
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            detail=f"Cannot fix it: the download failed. {' '.join(f.message for f in errors)}")
    return path


def _plays(report: Report) -> str:
    media = report.media
    return f"{media.duration_s:.3f} s" if media is not None and media.duration_s is not None else ""


def _stem(name: str) -> str:
    """A safe file-name stem from a file name or URL: "Hold Music (v2).wav" -> "Hold-Music-v2"."""
    path = urlsplit(name).path if "://" in name else name
    stem = PurePosixPath(path.replace("\\", "/")).stem
    return _SAFE_STEM.sub("-", stem).strip("-.")[:60] or "hold-music"


@router.post(DIALIN_PATH, response_class=HTMLResponse)
async def dialin(request: Request, resources: Resources, _origin: SameOrigin, _key: ApiKey,
                 _slot: CheckSlot) -> HTMLResponse:
    """Lint a pasted dial-in config body like ``/v1/dialin-configs/validate``: its fields with their findings."""
    raw = await request.body()
    try:  # parsed here only to lay the fields out; the lint reads the bytes as the API would
        body, _duplicates = parse_config_json(raw)  # nesting capped as the lint caps it, whatever the stack
    except UnicodeDecodeError as exc:
        return problem(f"This is not UTF-8 text (byte {exc.start} is invalid).", status.HTTP_422_UNPROCESSABLE_CONTENT)
    except json.JSONDecodeError as exc:
        return problem(f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
                       status.HTTP_422_UNPROCESSABLE_CONTENT)
    except RecursionError:
        return problem("This JSON is nested too deeply to be a dial-in config.", status.HTTP_422_UNPROCESSABLE_CONTENT)
    except ValueError:  # json.loads refuses integers longer than sys.get_int_max_str_digits()
        return problem(f"This JSON holds an integer of more than {sys.get_int_max_str_digits():,} digits, too long "
                       "to read.", status.HTTP_422_UNPROCESSABLE_CONTENT)
    if not isinstance(body, dict):
        return problem("A dial-in config is a JSON object: { \"type\": ..., \"phone_number\": ..., ... }.",
                       status.HTTP_422_UNPROCESSABLE_CONTENT)
    # A browser that goes away cancels the lint (and the hold music's fetch), as on /v1.
    report = await cancel_on_disconnect(request, lambda: lint_config(raw, resources))
    general, rows = dialin_view.field_rows(body, report)
    hold_music = None
    if report.hold_music is not None:
        music = report.hold_music
        limits = resources.limits
        # Its findings already sit beside hold_music_url above; here it gets its verdict and its facts.
        if not music.ok:
            said = "It will be refused: see hold_music_url above."
        else:
            said = "It will be accepted" + ("; see hold_music_url above." if music.findings else ".")
        hold_music = views.ReportView(
            name=music.target, ok=music.ok, headline=said,
            facts=views.facts(music, views.rules_in_words(None, limits), limits), findings=(),
            fixable=False, picture=None, picture_note=None)
    return render("dialin.html", ok=report.ok, headline=dialin_view.headline(report), general=general, rows=rows,
                  hold_music=hold_music)
