"""Dependencies the routes declare as ``Annotated`` aliases: shared resources, API-key auth, a check slot.

All are ``async def`` although none awaits: FastAPI runs plain ``def`` dependencies in a worker thread,
a hop that cost more than the whole HTTP layer in the service benchmark.

``ApiKey`` and ``CheckSlot`` are a stable surface: any ``/v1`` route (the dial-in validator too) declares
them to get the same 401 and 503 answers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Annotated, cast

import anyio
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mediacheck.service.resources import ServiceResources
from mediacheck.service.settings import Settings

_bearer = HTTPBearer(
    auto_error=False,
    description="Needed only when the service runs with MEDIACHECK_API_KEYS set: `Authorization: Bearer <key>`.",
)


async def get_resources(request: Request) -> ServiceResources:
    """The resources the lifespan built for this app."""
    return cast(ServiceResources, request.state.resources)


Resources = Annotated[ServiceResources, Depends(get_resources)]


async def get_settings(resources: Resources) -> Settings:
    """The settings the app was created with."""
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def require_api_key(
    resources: Resources,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through when no keys are configured or it carries one of them; else 401."""
    keys = resources.settings.api_keys
    if not keys:
        return
    presented = credentials.credentials.encode() if credentials is not None else b""
    # Digests first, so every comparison is of 32 equal-length bytes (compare_digest leaks length differences),
    # and every key is compared without stopping at a match, so timing tells nothing about the keys.
    presented_digest = hashlib.sha256(presented).digest()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented_digest, hashlib.sha256(key.encode()).digest())
    if credentials is None or not matched:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Missing or wrong API key: send `Authorization: Bearer <key>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )


ApiKey = Annotated[None, Depends(require_api_key)]


async def acquire_check_slot(resources: Resources) -> AsyncIterator[None]:
    """Hold one of MEDIACHECK_MAX_CONCURRENCY slots for the request; none free means 503 with Retry-After."""
    try:
        resources.slots.acquire_nowait()
    except anyio.WouldBlock:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"All {resources.settings.max_concurrency} check slots are busy; retry shortly.",
            headers={"Retry-After": str(resources.settings.retry_after_s)},
        ) from None
    try:
        yield
    finally:
        resources.slots.release()


# scope="function": the slot frees when the check ends, before the answer is sent, so a client that keeps
# exactly MEDIACHECK_MAX_CONCURRENCY requests in flight never races its own previous request into a 503.
CheckSlot = Annotated[None, Depends(acquire_check_slot, scope="function")]
