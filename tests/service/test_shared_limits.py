"""MEDIACHECK_REDIS_URL: replicas share one per-client limit through a real redis-server on loopback."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest

from mediacheck.service.redis_leases import KEY_PREFIX, RedisLeaseStore, SharedLeaseStore
from tests.service.inflight import Callers, StalledUpstream, client_from, wait_until
from tests.support.redis_server import RedisServer

CLIENT, OTHER = "127.0.0.2", "127.0.0.3"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (fails in CI, skips locally, when the binary is missing)."""
    with RedisServer(tmp_path) as server:
        yield server


class TestRedisLeaseStore:
    """Leases in Redis: atomic counting to a limit, release, and expiry of a dead replica's leases."""

    def test_counts_to_the_limit_and_releases(self, redis_server: RedisServer) -> None:
        """Two leases of a limit of two are granted, the third is not; after a release one is granted again."""

        async def scenario() -> list[bool]:
            store = RedisLeaseStore(redis_server.url, lease_ttl_s=60)
            try:
                first, second, third = [await store.acquire("checks:ip:198.51.100.7", 2) for _ in range(3)]
                assert first is not None
                assert second is not None
                other_client = await store.acquire("checks:ip:198.51.100.8", 2)
                await store.release(first)
                fourth = await store.acquire("checks:ip:198.51.100.7", 2)
                return [third is None, other_client is not None, fourth is not None]
            finally:
                await store.aclose()

        assert anyio.run(scenario) == [True, True, True]

    def test_paces_starts_in_redis_clock(self, redis_server: RedisServer) -> None:
        """Interval 10 s, burst 2: two starts at once, the third waits about 10 s; another client does not."""

        async def scenario() -> list[float]:
            store = RedisLeaseStore(redis_server.url, lease_ttl_s=60)
            try:
                return [await store.pace(key, 10.0, 2, 60.0) for key in ("starts:ip:198.51.100.7",) * 3 +
                        ("starts:ip:198.51.100.8",)]
            finally:
                await store.aclose()

        first, second, third, other = anyio.run(scenario)
        assert (first, second, other) == (0.0, 0.0, 0.0)
        assert 9.9 < third <= 10.0

    def test_a_refused_start_books_nothing_in_redis(self, redis_server: RedisServer) -> None:
        """A start further off than the wait allowed leaves the client's booking as it was."""

        async def scenario() -> list[float]:
            store = RedisLeaseStore(redis_server.url, lease_ttl_s=60)
            try:
                return [await store.pace("starts:ip:198.51.100.9", 10.0, 1, 5.0) for _ in range(3)]
            finally:
                await store.aclose()

        first, refused, again = anyio.run(scenario)
        assert first == 0.0
        assert 9.9 < refused <= 10.0
        assert 9.9 < again <= refused

    def test_a_dead_replicas_leases_lapse(self, redis_server: RedisServer) -> None:
        """A lease never released (its replica crashed) lapses after the lease TTL, even while the same client
        keeps taking and returning leases elsewhere; and the key itself expires."""
        key = "checks:ip:198.51.100.7"

        async def scenario() -> tuple[bool, int, int]:
            store = RedisLeaseStore(redis_server.url, lease_ttl_s=0.3)
            try:
                assert await store.acquire(key, 2) is not None  # the dead replica's, never released
                live = await store.acquire(key, 2)
                assert live is not None
                refused_while_held = await store.acquire(key, 2) is None
                await store.release(live)
                for _ in range(5):  # a live replica serving the same client keeps the key in use
                    await anyio.sleep(0.1)
                    lease = await store.acquire(key, 2)
                    assert lease is not None
                    await store.release(lease)
                granted = [await store.acquire(key, 2) for _ in range(2)]
                key_ttl_ms = int(await store._redis.pttl(KEY_PREFIX + key))
                return refused_while_held, sum(lease is not None for lease in granted), key_ttl_ms
            finally:
                await store.aclose()

        refused_while_held, granted_after, key_ttl_ms = anyio.run(scenario)
        assert refused_while_held
        assert granted_after == 2
        # Nothing stays in Redis longer than its newest lease: the key expires within the lease TTL, or has already
        # expired (-2) on a slow machine; never -1 (a key without an expiry would pin the client's count for good).
        assert key_ttl_ms == -2 or 0 < key_ttl_ms <= 300, key_ttl_ms

    def test_pacing_falls_back_to_this_process(self, redis_server: RedisServer) -> None:
        """With Redis down a client is still paced, in this process: the second start waits its turn."""

        async def scenario() -> tuple[list[float], bool]:
            store = SharedLeaseStore(RedisLeaseStore(redis_server.url, lease_ttl_s=60), retry_after_s=60)
            try:
                redis_server.stop()
                waits = [await store.pace("starts:ip:198.51.100.7", 10.0, 1, 60.0) for _ in range(2)]
                return waits, store.shared_now
            finally:
                await store.aclose()

        (first, second), shared_now = anyio.run(scenario)
        assert first == 0.0
        assert 9.9 < second <= 10.0
        assert not shared_now

    def test_outage_falls_back_to_this_process_and_recovers(self, redis_server: RedisServer,
                                                             caplog: pytest.LogCaptureFixture) -> None:
        """With Redis down the limit is counted in this process (and said so once); when it is back, in Redis again."""

        async def scenario() -> tuple[bool, bool, bool, int]:
            shared = RedisLeaseStore(redis_server.url, lease_ttl_s=60)
            store = SharedLeaseStore(shared, retry_after_s=0.1)
            try:
                redis_server.stop()
                local = await store.acquire("checks:ip:198.51.100.7", 1)
                refused_locally = local is not None and await store.acquire("checks:ip:198.51.100.7", 1) is None
                fell_back = not store.shared_now
                assert local is not None
                await store.release(local)
                redis_server.start()
                await anyio.sleep(0.2)
                again = await store.acquire("checks:ip:198.51.100.7", 1)
                assert again is not None
                in_redis = int(await shared._redis.zcard(KEY_PREFIX + "checks:ip:198.51.100.7"))
                return refused_locally, fell_back, store.shared_now, in_redis
            finally:
                await store.aclose()

        with caplog.at_level(logging.WARNING, logger="mediacheck.service.limits"):
            refused_locally, fell_back, shared_again, in_redis = anyio.run(scenario)
        assert refused_locally
        assert fell_back
        assert shared_again
        assert in_redis == 1
        messages = [record.getMessage() for record in caplog.records]
        assert sum("Redis is unreachable" in message for message in messages) == 1
        assert sum("Redis answers again" in message for message in messages) == 1
        assert not any(redis_server.url in message for message in messages)


class TestReplicas:
    """Two service processes behind a load balancer, one Redis: one limit per client between them."""

    def test_two_replicas_enforce_one_shared_limit(self, live_for: Callable[..., str], redis_server: RedisServer,
                                                    good_mp3: bytes) -> None:
        """A client with one check on each of two replicas is at its limit of 2 on both; another client is not."""
        replicas = [live_for(redis_url=redis_server.url, max_checks_per_client=2) for _ in range(2)]
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = [callers.post(CLIENT, f"{base}/v1/checks", json={"url": upstream.url()}) for base in replicas]
            wait_until(lambda: upstream.waiting == 2, "a check reached the upstream through each replica")
            for base in replicas:
                with client_from(CLIENT) as client:
                    refused = client.post(f"{base}/v1/checks", json={"url": "ftp://x"})
                assert refused.status_code == 429
                assert refused.headers["retry-after"] == "1"
                with client_from(OTHER) as other:
                    assert other.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 200
            upstream.release()
            assert [answer.result().status_code for answer in held] == [200, 200]
        with client_from(CLIENT) as client:
            assert [client.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code
                    for base in replicas] == [200, 200]

    def test_service_keeps_serving_through_a_redis_outage(self, live_for: Callable[..., str],
                                                          redis_server: RedisServer, good_mp3: bytes) -> None:
        """With Redis gone, checks are still answered at once, and each replica still limits each client."""
        base = live_for(redis_url=redis_server.url, max_checks_per_client=1)
        redis_server.stop()
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = callers.post(CLIENT, f"{base}/v1/checks", json={"url": upstream.url()})
            wait_until(lambda: upstream.waiting == 1, "the check reached the upstream")
            with client_from(CLIENT) as client:
                started = time.monotonic()
                assert client.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 429
                refused_in = time.monotonic() - started
            with client_from(OTHER) as other:
                assert other.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 200
            upstream.release()
            assert held.result().status_code == 200
        assert refused_in < 5  # no Redis timeouts stacked on the request
