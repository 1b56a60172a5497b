"""The service's settings, read from ``MEDIACHECK_*`` environment variables by one pydantic-settings class."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mediacheck import DEFAULT_LIMITS, Limits

DEFAULT_SIZE_LIMIT_BYTES = DEFAULT_LIMITS.size_limit_bytes
DEFAULT_DURATION_LIMIT_S = DEFAULT_LIMITS.duration_limit_s
DEFAULT_TIMEOUT_S = DEFAULT_LIMITS.timeout_s
DEFAULT_MAX_REDIRECTS = DEFAULT_LIMITS.max_redirects

# An upload is streamed into the inspector, which stops at the size limit on its own; this cap only bounds
# what a client may *send* (multipart framing included), so it sits comfortably above the 10 MB default.
DEFAULT_MAX_UPLOAD_BYTES = 16 * 1024 * 1024
# A check request is a URL of at most 2,048 characters and two numbers: 64 KiB is generous.
DEFAULT_MAX_JSON_BYTES = 64 * 1024
# 32 checks in flight keep a 2-core machine busy without letting a burst queue up unbounded work.
DEFAULT_MAX_CONCURRENCY = 32
# A quarter of the slots: one caller cannot take them all, four busy callers can still fill the service.
DEFAULT_MAX_CHECKS_PER_CLIENT = 8
# Far above one person's or one CI job's pace, and low enough that a client whose checks end at once (a hostile
# upstream refused in milliseconds) cannot take more than a slice of the CPU by starting them back to back.
DEFAULT_CHECK_RATE_PER_CLIENT = 20.0
# Uploads being received cost a socket and at most 1 MiB of memory each (the spool's in-memory part), the
# rest sits on disk: 64 of them is 64 MiB of memory at worst, and twice the check slots keeps slots fed.
DEFAULT_MAX_UPLOADS = 64
DEFAULT_MAX_UPLOADS_PER_CLIENT = 4
# The names `mediacheck serve` answers to when it listens on loopback (against DNS rebinding from a browser).
LOOPBACK_HOST_NAMES = ("localhost", "127.0.0.1", "[::1]")
# What the HTTP server lets one connection hold (service/server.py). 16 KiB of request line and headers is
# h11's and Node's default; a browser's request is under 2 KiB. Honest clients send their headers in one
# packet and their bodies at network speed, so seconds are generous; the connection cap stays below the
# process's file descriptors (the server raises its soft limit towards it and keeps a reserve for fetches).
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 10.0
DEFAULT_BODY_MIN_BYTES_PER_S = 1024
DEFAULT_KEEP_ALIVE_S = 5.0
DEFAULT_MAX_CONNECTIONS = 1000


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything an operator can tune, one ``MEDIACHECK_<NAME>`` environment variable per field."""

    # populate_by_name: the two limits are read from the environment under their MEDIACHECK_MAX_* names (and
    # the old MEDIACHECK_SIZE_LIMIT_BYTES / MEDIACHECK_DURATION_LIMIT_S), and built in code by field name.
    model_config = SettingsConfigDict(env_prefix="MEDIACHECK_", extra="ignore", frozen=True, populate_by_name=True)

    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Comma-separated API keys; when any is set, /v1/* needs `Authorization: Bearer <key>`.",
    )
    allow_networks: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Comma-separated CIDRs exempt from the private-address guard (intranets, tests).",
    )
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1,
                                 description="Checks in flight; one more is answered 503 with Retry-After.")
    retry_after_s: int = Field(default=1, ge=0, description="The Retry-After value (seconds) sent with a 503.")
    max_checks_per_client: int = Field(
        default=DEFAULT_MAX_CHECKS_PER_CLIENT, ge=0,
        description="URL checks in flight per client (API key, else IP); one more is 429. 0: no per-client limit.")
    check_rate_per_client: float = Field(
        default=DEFAULT_CHECK_RATE_PER_CLIENT, ge=0, allow_inf_nan=False,
        description="Checks (and uploads) per second one client may start on average; a second's worth start at "
                    "once, more wait their turn (429 if that is longer than the fetch timeout). 0: no limit.")
    max_uploads: int = Field(default=DEFAULT_MAX_UPLOADS, ge=1,
                             description="Uploads being received or checked at once; one more is 503.")
    max_uploads_per_client: int = Field(default=DEFAULT_MAX_UPLOADS_PER_CLIENT, ge=0,
                                        description="Uploads in flight per client; one more is 429. 0: no limit.")
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Comma-separated CIDRs of proxies whose X-Forwarded-For names the client.")
    redis_url: str | None = Field(
        default=None, description="redis:// URL of a Redis that replicas share the per-client limits through.")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("*",), description="Comma-separated host names the service answers to (`*`: any); else 400.")
    # The operator's limits: every check's, and the ceiling of what a request may ask for (it may only lower them).
    size_limit_bytes: int = Field(default=DEFAULT_SIZE_LIMIT_BYTES, gt=0, validation_alias=AliasChoices(
        "MEDIACHECK_MAX_BYTES", "MEDIACHECK_SIZE_LIMIT_BYTES"))
    duration_limit_s: float = Field(default=DEFAULT_DURATION_LIMIT_S, gt=0, allow_inf_nan=False,
                                    validation_alias=AliasChoices("MEDIACHECK_MAX_SECONDS",
                                                                  "MEDIACHECK_DURATION_LIMIT_S"))
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, allow_inf_nan=False)
    max_redirects: int = Field(default=DEFAULT_MAX_REDIRECTS, ge=0)
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0,
                                  description="The largest upload request body accepted; more is answered 413.")
    max_json_bytes: int = Field(default=DEFAULT_MAX_JSON_BYTES, gt=0,
                                description="The largest JSON request body accepted; more is answered 413.")
    # Operations: the docs pages and the Prometheus endpoint can each be turned off.
    docs: bool = Field(default=True, description="Serve /docs, /redoc and /openapi.json; 0 turns all three off.")
    metrics: bool = Field(default=True, description="Serve /metrics (Prometheus); 0 turns it off.")

    # The HTTP server's bounds on a connection (service/server.py applies them below the app).
    max_header_bytes: int = Field(default=DEFAULT_MAX_HEADER_BYTES, ge=1024,
                                  description="Request line plus headers, in bytes; more is answered 431.")
    header_timeout_s: float = Field(default=DEFAULT_HEADER_TIMEOUT_S, gt=0, allow_inf_nan=False,
                                    description="Time to send a request's headers (from connecting, or from "
                                                "its first byte on a kept-alive connection); then 408 and close.")
    body_timeout_s: float = Field(default=DEFAULT_BODY_TIMEOUT_S, gt=0, allow_inf_nan=False,
                                  description="Longest pause in a request body, and the head start of the "
                                              "minimum rate below; a slower body is answered 408 and closed.")
    body_min_bytes_per_s: int = Field(default=DEFAULT_BODY_MIN_BYTES_PER_S, gt=0,
                                      description="A body must average this many bytes a second after its "
                                                  "first body_timeout_s.")
    keep_alive_s: float = Field(default=DEFAULT_KEEP_ALIVE_S, gt=0, allow_inf_nan=False,
                                description="An idle kept-alive connection is closed after this long.")
    max_connections: int = Field(default=DEFAULT_MAX_CONNECTIONS, ge=8,
                                 description="Open connections per process; at the cap a new one closes the "
                                             "connection that has waited longest without a request in flight.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Any:
        keys = _split_commas(value)
        if isinstance(value, str) and value.strip() and not keys:
            # "," or " " is an operator's mistake (a template with an empty secret, say): fail closed, not open.
            raise ValueError("MEDIACHECK_API_KEYS is set but names no key; unset it to run without keys")
        return keys

    @field_validator("allow_networks", "trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: Any) -> Any:
        networks = _split_commas(value)
        if isinstance(networks, list | tuple):
            for cidr in networks:
                ipaddress.ip_network(cidr, strict=False)  # ValueError becomes a clear settings error
        return networks

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: Any) -> Any:
        hosts = _split_commas(value)
        if isinstance(value, str) and not hosts:
            # An empty list would refuse every request; `*` is how to say "any".
            raise ValueError("MEDIACHECK_ALLOWED_HOSTS names no host; use * for any host")
        return hosts

    @field_validator("redis_url", mode="before")
    @classmethod
    def _check_redis_url(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None  # `MEDIACHECK_REDIS_URL=` in a template means "no Redis", as unset does
        if isinstance(value, str) and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("MEDIACHECK_REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    def lease_ttl_s(self) -> float:
        """How long a per-client lease outlives a replica that died holding it (shared limits only).

        A URL check ends within one fetch deadline and an upload within one upload deadline plus a short
        check; twice the deadline and a margin is longer than any lease is held by a live replica.
        """
        return 2 * self.timeout_s + 10

    def default_limits(self) -> Limits:
        """The limits a check uses when the request names none."""
        return Limits(size_limit_bytes=self.size_limit_bytes, duration_limit_s=self.duration_limit_s,
                      timeout_s=self.timeout_s, max_redirects=self.max_redirects)
