"""Per-client leases kept in Redis, so every replica behind a load balancer counts against one shared limit.

A client's leases are one sorted set (member: lease token, score: the time it lapses, in Redis' own clock so
replicas' clocks do not matter). Acquiring is one Lua script, atomic on the server: drop lapsed leases,
count, add. A replica that dies holding leases cannot leak them: each lapses after
``Settings.lease_ttl_s()``, and the whole key expires with its newest lease.

When Redis cannot be reached, :class:`SharedLeaseStore` counts in this process instead (each replica then
enforces the limit on its own) and tries Redis again a few seconds later: a Redis outage neither stops the
service nor turns the limits off. Needs Redis 5 or newer (scripts replicated by effect, for ``TIME``).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from typing import Any

import redis.asyncio as redis_async
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from mediacheck.service.client_limits import InProcessLeaseStore, Lease

log = logging.getLogger("mediacheck.service.limits")

KEY_PREFIX = "mediacheck:leases:"
# Every request asks Redis once before its check and once after: an unanswered call must fail fast and
# fall back, not hold the request. Loopback and same-zone Redis answer in well under a millisecond.
REDIS_TIMEOUT_S = 0.5
# After a failure, requests count locally for this long before Redis is tried again, so an outage costs
# one timeout per interval rather than one per request.
RETRY_REDIS_AFTER_S = 5.0

_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
local ttl_ms = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now_ms + ttl_ms, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl_ms)
return 1
"""


# The generic cell rate algorithm on Redis' clock, in ms: the key holds the client's booked time.
_PACE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local interval_ms = tonumber(ARGV[1])
local booked = tonumber(redis.call('GET', KEYS[1]) or now_ms)
if booked < now_ms then booked = now_ms end
local wait = booked - (tonumber(ARGV[2]) - 1) * interval_ms - now_ms
if wait < 0 then wait = 0 end
if wait <= tonumber(ARGV[3]) then
  booked = booked + interval_ms
  redis.call('SET', KEYS[1], tostring(booked), 'PX', math.ceil(booked - now_ms) + 1000)
end
return tostring(wait)
"""


class RedisLeaseStore:
    """Leases in Redis; every call may raise RedisError (or OSError) when Redis is down."""

    def __init__(self, url: str, *, lease_ttl_s: float, timeout_s: float = REDIS_TIMEOUT_S) -> None:
        # No retries inside the client: the caller falls back at once, and a retry with backoff would hold
        # the request for seconds.
        self._redis: Any = redis_async.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0))
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._pace = self._redis.register_script(_PACE)
        self._ttl_ms = max(1, round(lease_ttl_s * 1000))

    async def acquire(self, key: str, limit: int) -> Lease | None:
        """A new lease on ``key`` when fewer than ``limit`` unlapsed ones are held, else None."""
        token = secrets.token_hex(8)
        granted = await self._acquire(keys=[KEY_PREFIX + key], args=[limit, token, self._ttl_ms])
        return Lease(key, token, self) if granted else None

    async def release(self, lease: Lease) -> None:
        """Give ``lease`` back."""
        await self._redis.zrem(KEY_PREFIX + lease.key, lease.token)

    async def pace(self, key: str, interval_s: float, burst: int, max_wait_s: float) -> float:
        """Book ``key``'s next start in Redis, shared by every replica; the seconds until it may start."""
        wait_ms = await self._pace(keys=[KEY_PREFIX + key], args=[interval_s * 1000, burst, max_wait_s * 1000])
        return float(wait_ms) / 1000

    async def ping(self) -> bool:
        """Whether Redis answers."""
        return bool(await self._redis.ping())

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


class SharedLeaseStore:
    """Redis while it answers; leases in this process while it does not (logged once each way)."""

    def __init__(self, shared: RedisLeaseStore, *, retry_after_s: float = RETRY_REDIS_AFTER_S) -> None:
        self.shared = shared
        self.local = InProcessLeaseStore()
        self._retry_after_s = retry_after_s
        self._down_until: float | None = None

    @property
    def shared_now(self) -> bool:
        """Whether leases currently come from Redis (False while falling back after a failure)."""
        return self._down_until is None

    def _redis_worth_trying(self) -> bool:
        return self._down_until is None or time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self._down_until is None:
            log.warning("Redis is unreachable (%s: %s); per-client limits are counted per replica until it "
                        "answers", type(exc).__name__, exc)
        self._down_until = time.monotonic() + self._retry_after_s

    def _answered(self) -> None:
        if self._down_until is not None:
            log.warning("Redis answers again; per-client limits are shared between replicas")
            self._down_until = None

    async def acquire(self, key: str, limit: int) -> Lease | None:
        """A lease from Redis, or from this process while Redis is unreachable (its token is then empty)."""
        if self._redis_worth_trying():
            try:
                lease = await self.shared.acquire(key, limit)
            except (RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self._answered()
                return Lease(key, lease.token, self) if lease is not None else None
        local = await self.local.acquire(key, limit)
        return Lease(key, "", self) if local is not None else None

    async def pace(self, key: str, interval_s: float, burst: int, max_wait_s: float) -> float:
        """Book the start in Redis, or in this process while Redis is unreachable."""
        if self._redis_worth_trying():
            try:
                wait = await self.shared.pace(key, interval_s, burst, max_wait_s)
            except (RedisError, OSError) as exc:
                self._failed(exc)
            else:
                self._answered()
                return wait
        return await self.local.pace(key, interval_s, burst, max_wait_s)

    async def release(self, lease: Lease) -> None:
        """Give ``lease`` back where it came from (a Redis lease that cannot be released lapses on its own)."""
        if not lease.token:
            await self.local.release(lease)
            return
        with contextlib.suppress(RedisError, OSError):  # it lapses after the lease TTL
            await self.shared.release(lease)

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self.shared.aclose()
