"""One caller cannot take every slot: per-client limits (API key, else IP) answer 429; uploads hold no check slot."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import anyio
import httpx2 as httpx
import pytest
from fastapi import HTTPException

from mediacheck.service.client_limits import InProcessLeaseStore, client_address, client_key, next_start, parse_networks
from mediacheck.service.deps import check_slot_within
from mediacheck.service.resources import open_resources
from tests.service.conftest import make_settings
from tests.service.inflight import Callers, StalledUpstream, client_from, wait_until
from tests.service.test_metrics import scrape, value
from tests.service.test_upload import BOUNDARY, _head
from tests.support.servers import LoopbackServer, Static

ATTACKER, HONEST = "127.0.0.2", ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")


@pytest.fixture(scope="module")
def media(good_mp3: bytes) -> Iterator[LoopbackServer]:
    """A loopback server with a good MP3, for honest checks."""
    with LoopbackServer({"/good.mp3": Static(good_mp3)}) as server:
        yield server


def _trickling_upload(base: str, source: str) -> socket.socket:
    """An upload from ``source`` that sends its headers and 3 bytes of the file, then nothing: the socket stays open."""
    port = int(base.rsplit(":", 1)[1])
    conn = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    conn.sendall(b"POST /v1/checks/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: multipart/form-data; boundary=" + BOUNDARY.encode() + b"\r\n"
                 b"Content-Length: 1000000\r\n\r\n" + _head() + b"ID3")
    return conn


def _upload_status(base: str, source: str, mp3: bytes) -> int:
    with client_from(source) as client:
        return client.post(f"{base}/v1/checks/upload", files={"file": ("hold.mp3", mp3, "audio/mpeg")}).status_code


class TestSlowUploads:
    """An upload takes a check slot only once its body has arrived, so trickling uploads starve no one."""

    def test_32_trickling_uploads_do_not_starve_32_honest_checks(self, live_for: Callable[..., str],
                                                                 media: LoopbackServer, good_mp3: bytes) -> None:
        """32 uploads sending 3 bytes each hold 32 uploads in flight; 32 honest checks beside them all get 200.

        Per-client limits are off for checks here, so what keeps the slots free is the upload design alone.
        """
        base = live_for(max_concurrency=32, max_uploads_per_client=32, max_checks_per_client=0)
        trickles = [_trickling_upload(base, ATTACKER) for _ in range(32)]
        try:
            # The 33rd upload of the same client is refused: all 32 trickles are in flight, holding their leases.
            wait_until(lambda: _upload_status(base, ATTACKER, good_mp3) == 429, "32 trickling uploads are in flight")
            with Callers() as callers:
                answers = [callers.post(HONEST[i % 4], f"{base}/v1/checks", json={"url": media.url("/good.mp3")})
                           for i in range(32)]
                statuses = [answer.result().status_code for answer in answers]
            assert statuses == [200] * 32
            assert all(answer.result().json()["ok"] for answer in answers)
        finally:
            for conn in trickles:
                conn.close()

    def test_a_received_upload_waits_for_a_check_slot(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """An upload that has fully arrived while every check slot is busy waits for one rather than being refused."""
        base = live_for(max_concurrency=1)
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = callers.post(ATTACKER, f"{base}/v1/checks", json={"url": upstream.url()})
            wait_until(lambda: upstream.waiting == 1, "the URL check holds the only slot")
            upload = callers.post(HONEST[0], f"{base}/v1/checks/upload",
                                  files={"file": ("hold.mp3", good_mp3, "audio/mpeg")})
            time.sleep(0.5)
            assert not upload.done()  # received, and waiting for the slot
            upstream.release()
            assert held.result().status_code == 200
            assert upload.result().status_code == 200
            assert upload.result().json()["ok"] is True

    def test_the_wait_for_a_check_slot_ends_in_a_503(self) -> None:
        """When no check slot frees within the rest of the upload's deadline, the answer is 503 with Retry-After."""

        async def scenario() -> tuple[HTTPException, bool]:
            async with open_resources(make_settings(max_concurrency=1, retry_after_s=4)) as resources:
                await resources.slots.acquire()  # a check holds the only slot throughout
                with pytest.raises(HTTPException) as refused:
                    async with check_slot_within(resources, 0.1):
                        pass
                resources.slots.release()
                async with check_slot_within(resources, 0.1):
                    served = True
                return refused.value, served

        refused, served = anyio.run(scenario)
        assert refused.status_code == 503
        assert refused.headers == {"Retry-After": "4"}
        assert refused.detail == "All 1 check slots are busy; retry shortly."
        assert served

    def test_one_client_has_at_most_its_share_of_uploads(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """Past MEDIACHECK_MAX_UPLOADS_PER_CLIENT uploads in flight, that client gets 429; others are served."""
        base = live_for(max_uploads_per_client=2, retry_after_s=3)
        trickles = [_trickling_upload(base, ATTACKER) for _ in range(2)]
        try:
            def third_is_refused() -> bool:
                with client_from(ATTACKER) as client:
                    answer = client.post(f"{base}/v1/checks/upload", files={"file": ("a.mp3", good_mp3)})
                if answer.status_code != 429:
                    return False
                assert answer.headers["retry-after"] == "3"
                assert "2 uploads in flight" in answer.json()["detail"]
                return True

            wait_until(third_is_refused, "the client's third upload was refused")
            assert _upload_status(base, HONEST[0], good_mp3) == 200
        finally:
            for conn in trickles:
                conn.close()

    def test_uploads_in_flight_are_bounded_per_process(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """Past MEDIACHECK_MAX_UPLOADS uploads in flight (from any clients) the next upload gets 503."""
        base = live_for(max_uploads=2, max_uploads_per_client=0)
        trickles = [_trickling_upload(base, source) for source in HONEST[:2]]
        try:
            wait_until(lambda: _upload_status(base, HONEST[2], good_mp3) == 503, "both upload slots are taken")
            with client_from(HONEST[2]) as client:
                answer = client.post(f"{base}/v1/checks/upload", files={"file": ("a.mp3", good_mp3)})
            assert "upload slots are busy" in answer.json()["detail"]
            assert httpx.post(f"{base}/v1/checks", json={"url": "ftp://x"}, timeout=30).status_code == 200
        finally:
            for conn in trickles:
                conn.close()


class TestChecksPerClient:
    """MEDIACHECK_MAX_CHECKS_PER_CLIENT bounds one client's checks in flight; the rest of the slots stay for others."""

    def test_one_client_cannot_take_every_slot(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """A client with 2 checks in flight (of 4 slots) gets 429 with Retry-After and a JSON detail; others do not."""
        base = live_for(max_concurrency=4, max_checks_per_client=2, retry_after_s=2)
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = [callers.post(ATTACKER, f"{base}/v1/checks", json={"url": upstream.url()}) for _ in range(2)]
            wait_until(lambda: upstream.waiting == 2, "both checks reached the upstream")
            with client_from(ATTACKER) as attacker:
                third = attacker.post(f"{base}/v1/checks", json={"url": upstream.url()})
            assert third.status_code == 429
            assert third.headers["retry-after"] == "2"
            assert third.json() == {"detail": "This client already has 2 checks in flight, the most one client may "
                                              "have; retry when one has ended."}
            with client_from(HONEST[0]) as honest:
                assert honest.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 200
            assert upstream.waiting == 2
            upstream.release()
            assert [answer.result().status_code for answer in held] == [200, 200]
            with client_from(ATTACKER) as attacker:
                assert attacker.post(f"{base}/v1/checks", json={"url": upstream.url()}).status_code == 200

    def test_the_api_key_is_the_client_when_keys_are_set(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """With keys configured, one key's checks count together from any address, and another key has its own."""
        base = live_for(api_keys=("key-a", "key-b"), max_checks_per_client=1)
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = callers.post(HONEST[0], f"{base}/v1/checks", json={"url": upstream.url()},
                                headers={"Authorization": "Bearer key-a"})
            wait_until(lambda: upstream.waiting == 1, "the check reached the upstream")
            with client_from(HONEST[1], headers={"Authorization": "Bearer key-a"}) as same_key_elsewhere:
                assert same_key_elsewhere.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 429
            with client_from(HONEST[0], headers={"Authorization": "Bearer key-b"}) as other_key_same_address:
                assert other_key_same_address.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 200
            upstream.release()
            assert held.result().status_code == 200

    def test_forwarded_for_counts_only_from_trusted_proxies(self, live_for: Callable[..., str],
                                                            good_mp3: bytes) -> None:
        """Behind a proxy in MEDIACHECK_TRUSTED_PROXIES each forwarded client has its own limit; from anyone else,
        X-Forwarded-For changes nothing."""
        proxy, stranger = HONEST[0], HONEST[1]
        base = live_for(trusted_proxies=(f"{proxy}/32",), max_checks_per_client=1)
        with StalledUpstream(good_mp3) as upstream, Callers() as callers:
            held = [callers.post(proxy, f"{base}/v1/checks", json={"url": upstream.url()},
                                 headers={"X-Forwarded-For": "198.51.100.7"}),
                    callers.post(stranger, f"{base}/v1/checks", json={"url": upstream.url()},
                                 headers={"X-Forwarded-For": "198.51.100.20"})]
            wait_until(lambda: upstream.waiting == 2, "both checks reached the upstream")

            def status(source: str, forwarded_for: str) -> int:
                with client_from(source, headers={"X-Forwarded-For": forwarded_for}) as client:
                    return client.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code

            assert status(proxy, "198.51.100.7") == 429  # the same forwarded client
            assert status(proxy, "198.51.100.8") == 200  # another client behind the same proxy
            assert status(proxy, "203.0.113.9, 198.51.100.7") == 429  # what the client wrote itself does not count
            assert status(stranger, "198.51.100.21") == 429  # not a trusted proxy: it is the client
            upstream.release()
            assert [answer.result().status_code for answer in held] == [200, 200]


TRUSTED = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


class TestPace:
    """MEDIACHECK_CHECK_RATE_PER_CLIENT: a client's check starts are paced; a burst passes, later ones wait."""

    def test_the_cell_rate_steps(self) -> None:
        """Interval 1 s, burst 3: three starts at once, then one a second; a client idle long enough starts afresh."""
        booked: float | None = None
        waits = []
        for _ in range(5):
            wait, booked = next_start(booked, 100.0, 1.0, 3)
            waits.append(wait)
        assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
        assert next_start(booked, 200.0, 1.0, 3) == (0.0, 201.0)

    def test_clients_are_paced_apart(self) -> None:
        """One client's bookings do not delay another's."""

        async def scenario() -> list[float]:
            store = InProcessLeaseStore()
            return [await store.pace(key, 10.0, 1, 60.0) for key in ("starts:a", "starts:a", "starts:b")]

        first, second, other = anyio.run(scenario)
        assert (first, other) == (0.0, 0.0)
        assert 9.9 < second <= 10.0

    def test_a_refused_start_books_nothing(self) -> None:
        """A start further off than the wait allowed is refused unbooked: asking again finds the same turn, not
        one pushed back by each refusal (a client that retries is not locked out for longer and longer)."""

        async def scenario() -> list[float]:
            store = InProcessLeaseStore()
            return [await store.pace("starts:a", 10.0, 1, 5.0) for _ in range(3)]

        first, refused, again = anyio.run(scenario)
        assert first == 0.0
        assert 9.9 < refused <= 10.0
        assert 9.9 < again <= refused

    def test_a_turn_further_off_than_a_fetch_is_429(self, live_for: Callable[..., str]) -> None:
        """At one start per 100 s, a client's second check (its turn 100 s away, past the 30 s fetch timeout) is
        429 with that Retry-After at once; another client's check runs."""
        base = live_for(check_rate_per_client=0.01)
        with client_from(ATTACKER) as attacker, client_from(HONEST[0]) as honest:
            assert attacker.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 200
            second = attacker.post(f"{base}/v1/checks", json={"url": "ftp://x"})
            third = attacker.post(f"{base}/v1/checks", json={"url": "ftp://x"})
            assert honest.post(f"{base}/v1/checks", json={"url": "ftp://x"}).status_code == 200
        assert (second.status_code, third.status_code) == (429, 429)
        assert 99 <= int(second.headers["retry-after"]) <= 100
        assert 99 <= int(third.headers["retry-after"]) <= 100  # the refusal booked nothing
        assert second.json() == {"detail": "This client starts checks faster than the 0.01 a second one client may; "
                                           "retry later."}

    def test_a_start_past_the_burst_waits_its_turn(self, live_for: Callable[..., str]) -> None:
        """At one start a second, two checks sent together both pass, and the second is counted as paced (its
        wait, under a second, in /metrics)."""
        base = live_for(check_rate_per_client=1)
        with Callers() as callers:
            answers = [callers.post(ATTACKER, f"{base}/v1/checks", json={"url": "ftp://x"}) for _ in range(2)]
            assert [answer.result().status_code for answer in answers] == [200, 200]
        samples = scrape(lambda path, **kwargs: httpx.get(base + path, **kwargs))
        assert value(samples, "mediacheck_paced_starts_total") == 1
        assert 0 < value(samples, "mediacheck_paced_seconds_total") <= 1.0


class TestClientAddress:
    """Who the client is, read from the peer and X-Forwarded-For as a careful proxy setup intends."""

    @pytest.mark.parametrize(("peer", "forwarded", "expected"), [
        ("203.0.113.5", [], "203.0.113.5"),
        ("203.0.113.5", ["198.51.100.7"], "203.0.113.5"),  # untrusted peer: its header is its own claim
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["1.2.3.4, 198.51.100.7, 10.0.0.3"], "198.51.100.7"),  # two trusted hops, then the client
        ("10.0.0.2", ["1.2.3.4", "198.51.100.7"], "198.51.100.7"),  # two headers are one list
        ("10.0.0.2", ["198.51.100.7:5123"], "198.51.100.7"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("10.0.0.2", ["::ffff:198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["198.51.100.7, garbage"], "10.0.0.2"),  # a proxy passed on junk: stop at that proxy
        ("10.0.0.2", ["10.0.0.9"], "10.0.0.9"),  # every hop trusted: the farthest one
        ("10.0.0.2", [], "10.0.0.2"),
        ("2001:db8:ffff::1", ["2001:db8:1::5"], "2001:db8:1::5"),
        ("testclient", ["198.51.100.7"], "testclient"),
        (None, [], "unknown"),
        (None, ["1.2.3.4, 198.51.100.7"], "198.51.100.7"),  # a Unix socket: the local proxy's last hop
        (None, ["198.51.100.7, 10.0.0.3"], "198.51.100.7"),
        (None, ["junk"], "unknown"),
    ])
    def test_client_address(self, peer: str | None, forwarded: list[str], expected: str) -> None:
        """X-Forwarded-For is read right to left through trusted proxies only, up to the first other address."""
        assert client_address(peer, forwarded, TRUSTED) == expected

    def test_ipv6_clients_count_per_64(self) -> None:
        """Two addresses of one /64 are one client; IPv4 addresses are each their own."""
        assert client_key("2001:db8:1:2::1", None) == client_key("2001:db8:1:2:ffff::9", None) == "ip:2001:db8:1:2::/64"
        assert client_key("2001:db8:1:3::1", None) != client_key("2001:db8:1:2::1", None)
        assert client_key("198.51.100.7", None) == "ip:198.51.100.7"

    def test_api_keys_are_counted_by_digest(self) -> None:
        """A key's leases are named by its SHA-256, never the key: Redis and logs never see a secret."""
        key = client_key("198.51.100.7", "s3cret-key")
        assert key.startswith("key:")
        assert "s3cret" not in key
        assert key != client_key("198.51.100.7", "other-key")
