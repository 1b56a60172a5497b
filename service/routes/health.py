"""The liveness probe: answers without auth and without touching the network."""

from __future__ import annotations

from fastapi import APIRouter

from mediacheck.service.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness")
async def healthz() -> HealthOut:
    """Say the service is up (load balancers poll this; it needs no API key)."""
    return HealthOut()
