"""Prometheus metrics of one app: checks by verdict and finding code, bytes fetched, durations, slots, HTTP answers.

Each app owns a :class:`prometheus_client.CollectorRegistry` (never the process-global one): tests and
embedders build many apps in one process, and each must count only its own requests. Routes report a check
through :func:`record_check`, which finds the app's metrics and the request's start in a context variable that
the request middleware (:mod:`mediacheck.service.access_log`) sets, so a route needs no extra parameter to
call it. That middleware also counts every HTTP answer by route and status, refusals (401, 413, 503) included.

With ``--workers N`` every worker process counts on its own, and a scrape sees the one worker that answered
it: run one worker per container (scale with replicas) when the numbers matter.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from mediacheck import Report
from mediacheck.service.resources import ServiceResources

__all__ = ["METRICS_STATE", "CheckKind", "ServiceMetrics", "record_check", "record_paced", "slots_in_use"]

# The key of the app's metrics in its lifespan state, where the HTTP server's protocol finds them.
METRICS_STATE = "mediacheck.metrics"

CheckKind = Literal["url", "upload", "dialin", "page"]

# A check is over in tens of milliseconds (an upload, a fast host) up to the 30 s fetch deadline.
_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Finding codes are the library's stable, documented set; anything else (a future code, say) is still
# bounded in length so a label can never carry arbitrary text.
_MAX_CODE_CHARS = 64


_current_request: ContextVar[tuple[ServiceMetrics, float] | None] = ContextVar("mediacheck_current_request",
                                                                               default=None)


def slots_in_use(resources: ServiceResources) -> tuple[int, int]:
    """``(in use, capacity)`` of the app's check slots: the one place that knows how slots are kept."""
    capacity = resources.settings.max_concurrency
    return capacity - int(resources.slots.value), capacity


class ServiceMetrics:
    """The counters, histogram and gauges of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.checks = Counter("mediacheck_checks", "Checks answered with a Report, by kind and verdict.",
                              ["kind", "verdict"], registry=self.registry)
        self.findings = Counter("mediacheck_findings", "Findings in the answered Reports, by code and severity.",
                                ["code", "severity"], registry=self.registry)
        self.fetch_bytes = Counter("mediacheck_fetch_bytes", "Response body bytes read while fetching URLs.",
                                   registry=self.registry)
        self.check_duration = Histogram("mediacheck_check_duration_seconds",
                                        "Time from a check request's arrival to its verdict, by kind.",
                                        ["kind"], buckets=_DURATION_BUCKETS, registry=self.registry)
        self.slots_in_use = Gauge("mediacheck_check_slots_in_use", "Check slots held at scrape time.",
                                  registry=self.registry)
        self.slots = Gauge("mediacheck_check_slots", "Check slots in all (MEDIACHECK_MAX_CONCURRENCY).",
                           registry=self.registry)
        self.requests = Counter("mediacheck_http_requests", "HTTP answers by method, route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.paced = Counter("mediacheck_paced_starts", "Check starts that waited to keep a client to "
                             "MEDIACHECK_CHECK_RATE_PER_CLIENT.", registry=self.registry)
        self.paced_seconds = Counter("mediacheck_paced_seconds", "Seconds those starts waited in all.",
                                     registry=self.registry)

    def bind_request(self, started: float) -> Token[tuple[ServiceMetrics, float] | None]:
        """Make :func:`record_check` count into these metrics for the request that began at ``started``
        (``time.perf_counter()``); the caller resets the token when the request ends."""
        return _current_request.set((self, started))

    @staticmethod
    def unbind_request(token: Token[tuple[ServiceMetrics, float] | None]) -> None:
        """Undo :meth:`bind_request`."""
        _current_request.reset(token)

    def record_check(self, report: Report, kind: CheckKind, duration_s: float) -> None:
        """Count one answered check: its verdict, its findings, the bytes its fetch read, how long it took."""
        self.checks.labels(kind=kind, verdict="pass" if report.ok else "fail").inc()
        for finding in report.findings:
            self.findings.labels(code=finding.code[:_MAX_CODE_CHARS], severity=finding.severity).inc()
        if report.fetch is not None:
            self.fetch_bytes.inc(report.fetch.bytes_read)
        self.check_duration.labels(kind=kind).observe(max(duration_s, 0.0))

    def record_response(self, method: str, route: str, status: int) -> None:
        """Count one HTTP answer (the method and route are bounded sets, so labels cannot grow without end)."""
        self.requests.labels(method=method if method in _METHODS else "other", route=route,
                             status=str(status)).inc()

    def exposition(self, resources: ServiceResources, accept: str | None) -> tuple[bytes, str]:
        """The registry in the format the scraper's ``Accept`` asks for (Prometheus text by default) and its
        content type, with the slot gauges read now."""
        in_use, capacity = slots_in_use(resources)
        self.slots_in_use.set(in_use)
        self.slots.set(capacity)
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


def record_check(report: Report | None, kind: CheckKind) -> None:
    """Count ``report`` (if any) in the metrics of the app serving the current request; routes call this once
    per answered check.

    The duration runs from the moment the request middleware saw the request (so an upload's includes the
    time its body took to arrive) to now. Outside a request (no middleware) it does nothing.
    """
    current = _current_request.get()
    if current is None or report is None:
        return
    metrics, started = current
    metrics.record_check(report, kind, time.perf_counter() - started)


def record_paced(wait_s: float) -> None:
    """Count a check start that waits ``wait_s`` for its client's turn, in the current request's app."""
    current = _current_request.get()
    if current is not None:
        current[0].paced.inc()
        current[0].paced_seconds.inc(wait_s)
