"""A JSON response that cannot fail to encode, so no request can turn into a 500 while its answer is written.

JSON bodies may carry what Python cannot write back as strict UTF-8 JSON: ``"\\ud800"`` (a lone surrogate)
parses to a str that ``.encode("utf-8")`` refuses, and ``1e400`` parses to ``inf``, which ``allow_nan=False``
refuses. Echoed in a report's ``target`` or a validation error's ``input``, either one broke Starlette's
``JSONResponse`` with a 500. Normal bodies take Starlette's own path; only a failing one is made safe.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse

# An echoed input deeper than this is cut: a 600-deep array around 1e400 overflowed the recursion limit here.
MAX_ECHO_DEPTH = 32


def _finite(value: Any, depth: int = 0) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf", "-inf", "nan": says what was sent, in a form JSON can carry
    if isinstance(value, dict | list | tuple) and depth >= MAX_ECHO_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {key: _finite(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item, depth + 1) for item in value]
    return value


class SafeJSONResponse(JSONResponse):
    """Starlette's JSONResponse, except lone surrogates are written as \\u escapes and non-finite floats as text."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (ValueError, RecursionError):  # UnicodeEncodeError included
            text = json.dumps(_finite(content), ensure_ascii=False, allow_nan=False, indent=None,
                              separators=(",", ":"))
            return text.encode("utf-8", "backslashreplace")


async def validation_error(request: Request, exc: Exception) -> SafeJSONResponse:
    """FastAPI's 422 answer (same shape), written so that any echoed ``input`` encodes."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return SafeJSONResponse({"detail": jsonable_encoder(errors)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
