"""The service's settings, read from ``MEDIACHECK_*`` environment variables by one pydantic-settings class."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mediacheck import Limits
from mediacheck._limits import (
    DEFAULT_DURATION_LIMIT_S,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_SIZE_LIMIT_BYTES,
    DEFAULT_TIMEOUT_S,
)

# An upload is streamed into the inspector, which stops at the size limit on its own; this cap only bounds
# what a client may *send* (multipart framing included), so it sits comfortably above the 10 MB default.
DEFAULT_MAX_UPLOAD_BYTES = 16 * 1024 * 1024
# A check request is a URL of at most 2,048 characters and two numbers: 64 KiB is generous.
DEFAULT_MAX_JSON_BYTES = 64 * 1024
# 32 checks in flight keep a 2-core machine busy without letting a burst queue up unbounded work.
DEFAULT_MAX_CONCURRENCY = 32
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
