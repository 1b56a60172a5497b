"""What the page sends: a file or a URL, and a platform, received into a folder deleted when the request ends.

Uploads are never stored: the form's file goes to a private temporary folder (ffmpeg needs a path for the
picture and for ``fix``), and the folder is removed as soon as the route is done with it, before the answer
is sent. The body-size middleware caps what may arrive; the service's timeout caps how long it may take.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import anyio
import anyio.to_thread
from fastapi import HTTPException, Request, status
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from mediacheck.service.profiles import ProfileName
from mediacheck.service.schemas import MAX_URL_CHARS

PROFILES: tuple[str, ...] = get_args(ProfileName)
# A file name's extension helps ffmpeg's probe; anything odder than this is dropped, never used in a path.
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


@dataclass(frozen=True, slots=True)
class PageInput:
    """One request's input: an uploaded file (``path``) or a ``url``, its display ``name``, and the profile."""

    name: str
    folder: Path
    profile: str | None
    url: str | None = None
    path: Path | None = None


def _invalid(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=message)


@asynccontextmanager
async def received_input(request: Request, timeout_s: float) -> AsyncIterator[PageInput]:
    """Read the form (``file`` or ``url``, and ``profile``); the upload lives in a folder removed on exit."""
    with tempfile.TemporaryDirectory(prefix="mediacheck-page-") as folder_name:
        folder = Path(folder_name)
        try:
            with anyio.fail_after(timeout_s):
                async with request.form(max_files=1, max_fields=4) as form:
                    profile = form.get("profile") or None
                    if profile is not None and profile not in PROFILES:
                        raise _invalid(f"Unknown platform {str(profile)[:40]!r}; pick one of {', '.join(PROFILES)}.")
                    if profile == "daily":  # the service's own limits, exactly as /v1 applies them with no profile
                        profile = None
                    upload, url = form.get("file"), form.get("url")
                    if isinstance(upload, UploadFile) and (upload.filename or upload.size):
                        name = upload.filename or "upload"
                        suffix = Path(name).suffix
                        path = folder / ("upload" + (suffix if _SUFFIX.fullmatch(suffix) else ""))
                        with path.open("wb") as handle:
                            await anyio.to_thread.run_sync(shutil.copyfileobj, upload.file, handle)
                        page_input = PageInput(name=name, folder=folder, profile=profile, path=path)
                    elif isinstance(url, str) and url.strip():
                        url = url.strip()
                        if len(url) > MAX_URL_CHARS:
                            raise _invalid(f"The URL is {len(url):,} characters long; at most {MAX_URL_CHARS:,} "
                                           "are accepted.")
                        page_input = PageInput(name=url, folder=folder, profile=profile, url=url)
                    else:
                        raise _invalid("Send an audio file (form field `file`) or a URL (form field `url`).")
        except TimeoutError:
            raise HTTPException(status.HTTP_408_REQUEST_TIMEOUT,
                                detail=f"The upload did not arrive within {timeout_s:g} s.") from None
        except ClientDisconnect:  # nobody reads the answer; the access log and metrics say what happened
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="The client went away mid-upload.") from None
        yield page_input
