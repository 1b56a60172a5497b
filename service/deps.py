"""Dependencies the routes declare as ``Annotated`` aliases: shared resources, API-key auth, a check slot.

All are ``async def`` although none awaits: FastAPI runs plain ``def`` dependencies in a worker thread,
a hop that cost more than the whole HTTP layer in the service benchmark.

``ApiKey`` and ``CheckSlot`` are a stable surface: any ``/v1`` route (the dial-in validator too) declares
them to get the same 401, 429 and 503 answers. A client over its own limit gets 429 before it can take a
shared slot (503), so one busy caller is told to slow down instead of crowding everyone else out; a client
starting checks faster than MEDIACHECK_CHECK_RATE_PER_CLIENT waits its turn first, holding its lease, not a slot.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, cast

import anyio
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mediacheck.service.client_limits import Lease
from mediacheck.service.metrics import record_paced
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


async def identify_client(
    request: Request,
    resources: Resources,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _authorized: ApiKey,
) -> str:
    """The name the client's per-client limits count under: its API key when keys are configured, else its IP."""
    key = credentials.credentials if resources.settings.api_keys and credentials is not None else None
    peer = request.client.host if request.client is not None else None
    return resources.client_limits.identify(peer, request.headers.getlist("x-forwarded-for"), key)


ClientId = Annotated[str, Depends(identify_client)]


async def _client_lease(resources: ServiceResources, kind: str, client: str, limit: int) -> Lease:
    lease = await resources.client_limits.acquire(kind, client, limit)
    if lease is None:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"This client already has {limit} {kind} in flight, the most one client may have; "
                   "retry when one has ended.",
            headers={"Retry-After": str(resources.settings.retry_after_s)},
        )
    return lease


def _all_busy(resources: ServiceResources, count: int, kind: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        detail=f"All {count} {kind} slots are busy; retry shortly.",
        headers={"Retry-After": str(resources.settings.retry_after_s)},
    )


async def _wait_turn(resources: ServiceResources, client: str) -> None:
    """Sleep until the client's next check may start at its rate; 429 if that is further off than a fetch lasts."""
    settings = resources.settings
    wait = await resources.client_limits.pace(client, settings.check_rate_per_client, resources.limits.timeout_s)
    if wait > resources.limits.timeout_s:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"This client starts checks faster than the {settings.check_rate_per_client:g} a second one "
                   "client may; retry later.",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    if wait > 0:
        record_paced(wait)
        await anyio.sleep(wait)


@contextlib.asynccontextmanager
async def _held(resources: ServiceResources, client: str, kind: str, per_client: int,
                slots: anyio.Semaphore, total: int) -> AsyncIterator[None]:
    """One of the client's ``per_client`` leases of ``kind`` (else 429), its turn at its rate, then one of
    ``total`` ``slots`` (else 503)."""
    lease = await _client_lease(resources, f"{kind}s", client, per_client)
    try:
        await _wait_turn(resources, client)
        try:
            slots.acquire_nowait()
        except anyio.WouldBlock:
            raise _all_busy(resources, total, kind) from None
        try:
            yield
        finally:
            slots.release()
    finally:
        await resources.client_limits.release(lease)


async def acquire_check_slot(resources: Resources, client: ClientId) -> AsyncIterator[None]:
    """Hold one of the client's MEDIACHECK_MAX_CHECKS_PER_CLIENT leases (else 429) and one of
    MEDIACHECK_MAX_CONCURRENCY slots (else 503) for the request; both with Retry-After."""
    settings = resources.settings
    async with _held(resources, client, "check", settings.max_checks_per_client, resources.slots,
                     settings.max_concurrency):
        yield


# scope="function": the slot frees when the check ends, before the answer is sent, so a client that keeps
# exactly MEDIACHECK_MAX_CONCURRENCY requests in flight never races its own previous request into a 503.
CheckSlot = Annotated[None, Depends(acquire_check_slot, scope="function")]


async def acquire_upload_slot(resources: Resources, client: ClientId) -> AsyncIterator[None]:
    """Hold one of the client's MEDIACHECK_MAX_UPLOADS_PER_CLIENT leases (else 429) and one of MEDIACHECK_MAX_UPLOADS
    upload slots (else 503) while the upload is received and checked; the check slot comes later."""
    settings = resources.settings
    async with _held(resources, client, "upload", settings.max_uploads_per_client, resources.upload_slots,
                     settings.max_uploads):
        yield


UploadSlot = Annotated[None, Depends(acquire_upload_slot, scope="function")]


@asynccontextmanager
async def check_slot_within(resources: ServiceResources, seconds: float) -> AsyncIterator[None]:
    """Wait up to ``seconds`` for a check slot (an upload that has fully arrived is worth a short wait), else 503."""
    acquired = False
    with anyio.move_on_after(max(seconds, 0)):
        await resources.slots.acquire()
        acquired = True
    if not acquired:
        raise _all_busy(resources, resources.settings.max_concurrency, "check")
    try:
        yield
    finally:
        resources.slots.release()
