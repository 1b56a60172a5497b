"""The service's settings, read from ``MEDIACHECK_*`` environment variables by one pydantic-settings class."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import Field, field_validator
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


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything an operator can tune, one ``MEDIACHECK_<NAME>`` environment variable per field."""

    model_config = SettingsConfigDict(env_prefix="MEDIACHECK_", extra="ignore", frozen=True)

    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Comma-separated API keys; when any is set, /v1/* needs `Authorization: Bearer <key>`.",
    )
    allow_networks: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Comma-separated CIDRs exempt from the private-address guard (intranets, tests).",
    )
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1,
                                 description="Checks in flight; one more is answered 503 with Retry-After.")
    retry_after_s: int = Field(default=1, ge=0, description="The Retry-After value (seconds) sent with a 503.")
    size_limit_bytes: int = Field(default=DEFAULT_SIZE_LIMIT_BYTES, gt=0)
    duration_limit_s: float = Field(default=DEFAULT_DURATION_LIMIT_S, gt=0, allow_inf_nan=False)
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, allow_inf_nan=False)
    max_redirects: int = Field(default=DEFAULT_MAX_REDIRECTS, ge=0)
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0,
                                  description="The largest upload request body accepted; more is answered 413.")
    max_json_bytes: int = Field(default=DEFAULT_MAX_JSON_BYTES, gt=0,
                                description="The largest JSON request body accepted; more is answered 413.")
    # Operations (issue 10.9): the docs pages and the Prometheus endpoint can each be turned off.
    docs: bool = Field(default=True, description="Serve /docs, /redoc and /openapi.json; 0 turns all three off.")
    metrics: bool = Field(default=True, description="Serve /metrics (Prometheus); 0 turns it off.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Any:
        keys = _split_commas(value)
        if isinstance(value, str) and value.strip() and not keys:
            # "," or " " is an operator's mistake (a template with an empty secret, say): fail closed, not open.
            raise ValueError("MEDIACHECK_API_KEYS is set but names no key; unset it to run without keys")
        return keys

    @field_validator("allow_networks", mode="before")
    @classmethod
    def _parse_networks(cls, value: Any) -> Any:
        networks = _split_commas(value)
        if isinstance(networks, list | tuple):
            for cidr in networks:
                ipaddress.ip_network(cidr, strict=False)  # ValueError becomes a clear settings error
        return networks

    def default_limits(self) -> Limits:
        """The limits a check uses when the request names none."""
        return Limits(size_limit_bytes=self.size_limit_bytes, duration_limit_s=self.duration_limit_s,
                      timeout_s=self.timeout_s, max_redirects=self.max_redirects)
