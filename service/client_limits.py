"""Per-client limits: who the caller is (API key, else IP address), how many leases of a kind it holds, and
how fast it may start checks.

One caller must not be able to take every check slot. Each request in flight holds a *lease* of its kind
(``checks``, ``uploads``) for its client; a client at its limit is answered 429. Leases live in a
:class:`LeaseStore`: in this process by default, or in Redis (:mod:`mediacheck.service.redis_leases`) so
that N replicas behind a load balancer enforce one limit between them.

A limit on requests in flight does not bound a rate: a client whose checks end quickly (a hostile upstream
refused after a few milliseconds) starts them back to back and takes a share of the CPU that grows with its
speed. So the store also *paces* each client's check starts, with the generic cell rate algorithm (one
"theoretical arrival time" per client): a burst of starts passes at once, later ones wait their turn, which
costs a sleeping request and no CPU.

Who the client is: the API key when keys are configured (by its SHA-256, never the key itself), else the
peer's IP address. ``X-Forwarded-For`` is believed only from proxies the operator names
(``MEDIACHECK_TRUSTED_PROXIES``): anyone else can write any address into it. IPv6 clients are counted
per /64, the block one subscriber gets, or a single host could take every slot from 2^64 addresses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import anyio

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# A release that cannot reach its store within this time is given up; a Redis lease then lapses on its own.
_RELEASE_TIMEOUT_S = 2.0
# The in-process pacing table drops clients whose turn has passed once it holds this many.
_PACED_CLIENTS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class Lease:
    """One unit of a client's limit, held while its request runs; ``store`` is None when nothing was counted."""

    key: str
    token: str
    store: LeaseStore | None


class LeaseStore(Protocol):
    """Counts leases per key, atomically, up to a limit."""

    async def acquire(self, key: str, limit: int) -> Lease | None:
        """A new lease on ``key`` when fewer than ``limit`` are held, else None."""
        ...

    async def release(self, lease: Lease) -> None:
        """Give ``lease`` back."""
        ...

    async def pace(self, key: str, interval_s: float, burst: int, max_wait_s: float) -> float:
        """Book ``key``'s next start, at most one per ``interval_s`` on average after ``burst`` at once; return
        the seconds until it may start (0: now). A start further off than ``max_wait_s`` is not booked (it is
        refused, and must not push the client's later turns back)."""
        ...

    async def aclose(self) -> None:
        """Let go of connections."""
        ...


def next_start(booked: float | None, now: float, interval_s: float, burst: int) -> tuple[float, float]:
    """One step of the generic cell rate algorithm: ``(wait, booked after this start)`` from the client's
    booked time (None: a new client) and the time now."""
    booked = now if booked is None or booked < now else booked
    return max(0.0, booked - (burst - 1) * interval_s - now), booked + interval_s


class InProcessLeaseStore:
    """Leases counted in this process: right for one process, and the fallback when Redis is unreachable.

    One event loop runs every request of a process, and nothing awaits between the test and the count,
    so no lock is needed. Keys with no lease are dropped: the table holds only clients with requests in flight.
    """

    def __init__(self) -> None:
        self._held: dict[str, int] = {}
        self._booked: dict[str, float] = {}

    async def acquire(self, key: str, limit: int) -> Lease | None:
        """A new lease on ``key`` when fewer than ``limit`` are held here, else None."""
        held = self._held.get(key, 0)
        if held >= limit:
            return None
        self._held[key] = held + 1
        return Lease(key, "", self)

    async def release(self, lease: Lease) -> None:
        """Give ``lease`` back."""
        left = self._held.get(lease.key, 0) - 1
        if left > 0:
            self._held[lease.key] = left
        else:
            self._held.pop(lease.key, None)

    def held(self, key: str) -> int:
        """How many leases on ``key`` are held (for tests and metrics)."""
        return self._held.get(key, 0)

    async def pace(self, key: str, interval_s: float, burst: int, max_wait_s: float) -> float:
        """Book ``key``'s next start in this process; the seconds until it may start."""
        now = time.monotonic()
        if len(self._booked) >= _PACED_CLIENTS_KEPT:  # forget clients whose turn has come: they start afresh
            self._booked = {k: booked for k, booked in self._booked.items() if booked > now}
        wait, booked = next_start(self._booked.get(key), now, interval_s, burst)
        if wait <= max_wait_s:
            self._booked[key] = booked
        return wait

    async def aclose(self) -> None:
        """Nothing to close."""


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings as networks (settings validated them already)."""
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443", as some proxies write it
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]) -> str:
    """The caller's address: the peer, or from a trusted peer (or a Unix socket) the nearest untrusted hop of
    X-Forwarded-For.

    Each proxy appends the address it got the request from, so reading from the right, every entry up to
    the first untrusted one was written by a proxy we trust; entries left of it are the client's own words.
    """
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if peer is None:
        # A Unix socket (uvicorn --uds): only a local process, i.e. the operator's proxy, can be the peer.
        if not hops or (nearest := _address(hops[-1])) is None:
            return "unknown"
        hops.pop()
        if not _trusted(nearest, proxies):
            return str(nearest)
    else:
        nearest = _address(peer)
        if nearest is None or not _trusted(nearest, proxies):
            return str(nearest) if nearest is not None else peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # a trusted proxy passed on something that is not an address: stop at that proxy
        nearest = address
        if not _trusted(address, proxies):
            break
    return str(nearest)


def client_key(address: str, api_key: str | None) -> str:
    """The name a client's leases are counted under: its API key's digest, else its address (IPv6 per /64)."""
    if api_key is not None:
        return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:32]
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return "ip:" + str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return "ip:" + (str(parsed) if parsed is not None else address)


class ClientLimiter:
    """Names the client of a request and hands out its leases from one store."""

    def __init__(self, store: LeaseStore, *, trusted_proxies: Sequence[str] = ()) -> None:
        self.store = store
        self._proxies = parse_networks(trusted_proxies)

    def identify(self, peer: str | None, forwarded_for: Sequence[str], api_key: str | None) -> str:
        """The client key of a request from ``peer`` carrying these X-Forwarded-For values and API key."""
        if api_key is not None:
            return client_key("", api_key)
        return client_key(client_address(peer, forwarded_for, self._proxies), None)

    async def acquire(self, kind: str, client: str, limit: int) -> Lease | None:
        """A lease of ``kind`` for ``client`` if it holds fewer than ``limit`` (0: no limit), else None."""
        if limit <= 0:
            return Lease(f"{kind}:{client}", "", None)
        # Shielded: a lease the store granted must reach the caller, who alone releases it.
        with anyio.CancelScope(shield=True):
            lease = await self.store.acquire(f"{kind}:{client}", limit)
        return lease

    async def release(self, lease: Lease) -> None:
        """Give ``lease`` back, even from a cancelled request (a client that hung up), within a bounded time."""
        if lease.store is None:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(_RELEASE_TIMEOUT_S):
            await lease.store.release(lease)

    async def pace(self, client: str, per_second: float, max_wait_s: float) -> float:
        """Book ``client``'s next check start at ``per_second`` on average (bursts of up to one second's worth
        at once; 0: no pacing); the seconds it must wait for it, unbooked when more than ``max_wait_s``."""
        if per_second <= 0:
            return 0.0
        return await self.store.pace(f"starts:{client}", 1 / per_second, max(1, math.ceil(per_second)), max_wait_s)

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.aclose()
