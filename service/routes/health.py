"""The probes and the metrics: liveness and readiness without auth or network, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from mediacheck.service.deps import ApiKey, Resources
from mediacheck.service.readiness import ReadinessOut, assess_readiness
from mediacheck.service.schemas import ErrorOut, HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness")
async def healthz() -> HealthOut:
    """Say the service is up (load balancers poll this; it needs no API key)."""
    return HealthOut()


@router.get("/readyz", response_model=ReadinessOut, summary="Readiness", responses={
    status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ReadinessOut, "description": "Not ready; `detail` says why."},
})
async def readyz(request: Request, response: Response) -> ReadinessOut:
    """Say whether this instance can take checks: resources open, settings valid, ffmpeg usable if configured.

    200 when ready, 503 when not, with every check listed. A missing ffmpeg leaves the instance ready (verdicts
    never need it); a MEDIACHECK_FFMPEG that names no executable does not. No API key, no network, cheap.
    """
    readiness = assess_readiness(getattr(request.state, "resources", None))
    if readiness.status != "ready":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return readiness


# Included only when MEDIACHECK_METRICS is on (the default).
metrics_router = APIRouter(tags=["health"])

_METRICS_ANSWERS: dict[int | str, dict[str, Any]] = {
    status.HTTP_200_OK: {"description": "The metrics in Prometheus' text format (OpenMetrics if asked for).",
                         "content": {"text/plain": {"schema": {"type": "string"}}}},
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorOut, "description": "API keys are configured and none was sent."},
}


@metrics_router.get("/metrics", response_class=Response, responses=_METRICS_ANSWERS, summary="Prometheus metrics")
async def metrics(request: Request, resources: Resources, _key: ApiKey) -> Response:
    """Checks by verdict and finding code, bytes fetched, check durations, slots in use, HTTP answers by status.

    Needs the API key when keys are configured (Prometheus sends it with `authorization` in its scrape config).
    """
    body, content_type = request.app.state.metrics.exposition(resources, request.headers.get("accept"))
    return Response(body, media_type=content_type)
