"""The address guard: which IP addresses a fetch may connect to, and vetting a hostname's DNS answers.

The denylist is written out here (the union of smokescreen, ssrf_filter and safeurl, as the design lists it)
instead of asking ``ipaddress.is_global``/``is_private``, whose answers change between Python patch releases.
IPv6 forms that carry an IPv4 address (mapped, IPv4-compatible, 6to4, Teredo, NAT64) are also judged by the
IPv4 inside them, so the report can say "this is 169.254.169.254 in disguise".
"""

from __future__ import annotations

import ipaddress
import math
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mediacheck._limits import DEFAULT_TIMEOUT_S
from mediacheck._report import Finding, Severity
from mediacheck._urlpolicy import HostProblem, invalid, normalize_host
from mediacheck.exceptions import UsageError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A resolver maps (host, port) to the IP address strings a connection may use, in preference order.
# Tests inject stubs to play public DNS answers and rebinding; the default asks the system (getaddrinfo).
Resolver = Callable[[str, int], Sequence[str]]

# (network, why nobody outside may make us connect there). Order does not matter: the most specific match
# names the reason.
_DENIED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
    ("10.0.0.0/8", "private (10.0.0.0/8)"),
    ("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
    ("127.0.0.0/8", "loopback (127.0.0.0/8)"),
    ("169.254.0.0/16", "link-local, where cloud metadata services live (169.254.0.0/16)"),
    ("172.16.0.0/12", "private (172.16.0.0/12)"),
    ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
    ("192.0.2.0/24", "documentation (192.0.2.0/24)"),
    ("192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)"),
    ("192.168.0.0/16", "private (192.168.0.0/16)"),
    ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
    ("198.51.100.0/24", "documentation (198.51.100.0/24)"),
    ("203.0.113.0/24", "documentation (203.0.113.0/24)"),
    ("224.0.0.0/4", "multicast (224.0.0.0/4)"),
    ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
    ("255.255.255.255/32", "limited broadcast (255.255.255.255)"),
    ("::/128", "the unspecified address (::)"),
    ("::1/128", "loopback (::1)"),
    ("::ffff:0:0/96", "IPv4-mapped (::ffff:0:0/96)"),
    ("64:ff9b::/96", "NAT64 (64:ff9b::/96)"),
    ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
    ("100::/64", "discard-only (100::/64)"),
    ("2001::/23", "IETF protocol assignments incl. Teredo (2001::/23)"),
    ("2001:db8::/32", "documentation (2001:db8::/32)"),
    ("2002::/16", "6to4 (2002::/16)"),
    ("fc00::/7", "unique local, i.e. private (fc00::/7)"),
    ("fe80::/10", "link-local (fe80::/10)"),
    ("fec0::/10", "site-local (fec0::/10)"),
    ("ff00::/8", "multicast (ff00::/8)"),
)

DENIED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    sorted(((ipaddress.ip_network(net), why) for net, why in _DENIED), key=lambda item: -item[0].prefixlen)
)

_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def parse_networks(allow_networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Turn CIDR strings into networks; a string that is not one is the caller's mistake (UsageError)."""
    if isinstance(allow_networks, str):
        raise UsageError("allow_networks must be a list of CIDR strings, not one string")
    if not isinstance(allow_networks, Iterable):
        raise UsageError(f"allow_networks must be a list of CIDR strings, not {type(allow_networks).__name__}")
    networks: list[IPNetwork] = []
    for cidr in allow_networks:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError as exc:
            raise UsageError(f"allow_networks: {cidr!r} is not a CIDR network ({exc})") from exc
    return tuple(networks)


def embedded_ipv4(address: IPAddress) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (mapped, IPv4-compatible, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv4Address):
        return ()
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in net for net in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return tuple(found)


def denial_reason(address: IPAddress) -> str | None:
    """Why the denylist forbids this address (None when it does not), ignoring any allow list."""
    for inner in embedded_ipv4(address):
        reason = _listed(inner)
        if reason is not None:
            return f"{address} carries the IPv4 address {inner}, which is {reason}"
    reason = _listed(address)
    return None if reason is None else f"{address} is {reason}"


def _listed(address: IPAddress) -> str | None:
    found = _listed_network(address)
    return None if found is None else found[1]


def _listed_network(address: IPAddress) -> tuple[IPNetwork, str] | None:
    for network, why in DENIED_NETWORKS:
        if address.version == network.version and address in network:
            return network, why
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """The denylist plus the caller's exempt networks: decides whether one address may be connected to."""

    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_cidrs(cls, allow_networks: Iterable[str] = ()) -> AddressPolicy:
        """A policy exempting the given CIDR strings (tests, intranets) from the denylist."""
        return cls(parse_networks(allow_networks))

    def reason_to_refuse(self, address: IPAddress) -> str | None:
        """Why a connection to ``address`` is refused, or None when it is allowed.

        An IPv6 address that carries an IPv4 address must pass on both: allowing ``::/0`` (or the mapped range)
        must not let ``::ffff:169.254.169.254`` through, since the kernel connects a mapped address over IPv4.
        """
        for inner in embedded_ipv4(address):
            reason = None if self._allows(inner) else _listed(inner)
            if reason is not None:
                return f"{address} carries the IPv4 address {inner}, which is {reason}"
        if self._allows(address):
            return None
        return denial_reason(address)

    def exemptions_needed(self, address: IPAddress) -> tuple[str, ...]:
        """The denylisted networks that refuse ``address`` under this policy, as CIDR strings: exempting all of
        them lets it through (``::ffff:127.0.0.1`` needs ``127.0.0.0/8`` and ``::ffff:0:0/96``)."""
        needed: list[IPNetwork] = []
        for inner in embedded_ipv4(address):
            listed = _listed_network(inner)
            if listed is not None and not self._allows(inner):
                needed.append(listed[0])
        if denial_reason(address) is not None and not self._allows(address):
            listed = _listed_network(address)
            needed.append(listed[0] if listed is not None else ipaddress.ip_network(address))
        return tuple(dict.fromkeys(str(network) for network in needed))

    def _allows(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.allow)


BLOCKED_HINT = "Host the file where anyone on the internet can fetch it (a public web server, bucket or CDN)."
UNRESOLVABLE_HINT = "Check the spelling of the host name, and that its DNS record is public."


@dataclass(frozen=True, slots=True)
class HostRefusal:
    """Why the guard will not connect to a host: what it found, kept as data so each caller words it its own way.

    ``code`` is ``access.blocked-address`` (an address is in the denylist), ``access.unreachable`` (no usable
    answer) or ``url.invalid`` (the host is malformed). ``address`` and ``why`` say which address was refused
    and why (``"10.1.2.3 is private (10.0.0.0/8)"``), or what the resolver said. ``resolved`` is true when the
    address came from DNS rather than from the URL: shown to a remote caller, it would map internal DNS.
    """

    code: str
    host: str
    why: str
    address: IPAddress | None = None
    resolved: bool = False
    hint: str | None = None
    exemptions: tuple[str, ...] = ()  # for a refused address: the networks an allow list must cover to reach it

    def shows_internal_dns(self) -> bool:
        """True when the wording would disclose what DNS answered for the host (an address or the raw answer)."""
        return self.resolved and self.code != "url.invalid"

    def detail(self) -> str:
        """The refusal in full, without its framing: ``db.corp: 10.1.2.3 is private (10.0.0.0/8)``."""
        if self.code == "access.blocked-address" and not self.why.startswith(f"{self.host} "):
            return f"{self.host}: {self.why}"
        return self.why

    def finding(self, *, reveal_addresses: bool = True) -> Finding:
        """The finding for a fetch: ``reveal_addresses=False`` (the service) keeps resolved addresses out of it."""
        if self.code == "access.blocked-address":
            if not reveal_addresses and self.shows_internal_dns():
                return Finding(self.code, Severity.ERROR,
                               f"Refused to connect: {self.host} has no public internet address.", BLOCKED_HINT)
            return Finding(self.code, Severity.ERROR, f"Refused to connect: {self.detail()}, not a public internet "
                           "address.", BLOCKED_HINT, refused_networks=self.exemptions)
        if self.code == "access.unreachable":
            if not reveal_addresses and self.shows_internal_dns():
                return Finding(self.code, Severity.ERROR, f"The host name {self.host} has no usable address.",
                               UNRESOLVABLE_HINT)
            return Finding(self.code, Severity.ERROR, f"The host name {self.host} cannot be resolved ({self.why}).",
                           UNRESOLVABLE_HINT)
        return Finding(self.code, Severity.ERROR, self.why, self.hint)


class HostRefusedError(Exception):
    """Raised inside the network backend when the guard refuses a host; ``refusal`` says why."""

    def __init__(self, refusal: HostRefusal) -> None:
        super().__init__(f"{refusal.code}: {refusal.host}")
        self.refusal = refusal


def system_resolver(host: str, port: int) -> list[str]:
    """Ask the system resolver (getaddrinfo) for the TCP addresses of ``host``, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def vet_addresses(host: str, answers: Sequence[str], policy: AddressPolicy, *,
                  resolved: bool = True) -> tuple[IPAddress, ...]:
    """Parse and vet every answer for ``host``; raise if any is refused (one bad answer spoils them all)."""
    if not answers:
        raise HostRefusedError(HostRefusal("access.unreachable", host, "no addresses", resolved=resolved))
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            if not isinstance(answer, str):  # an int would parse: ip_address(2130706433) is 127.0.0.1
                raise ValueError(answer)
            address = ipaddress.ip_address(answer.split("%", 1)[0])
        except ValueError:
            raise HostRefusedError(HostRefusal("access.unreachable", host, f"the resolver answered {answer!r}",
                                               resolved=resolved)) from None
        reason = policy.reason_to_refuse(address)
        if reason is not None:
            raise HostRefusedError(HostRefusal("access.blocked-address", host, reason, address, resolved,
                                               exemptions=policy.exemptions_needed(address)))
        addresses.append(address)
    return tuple(addresses)


def literal_address(host: str) -> IPAddress | None:
    """The IP address a host names directly (``[::1]`` or ``192.0.2.1``), or None for a host name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve_and_vet(host: str, port: int, policy: AddressPolicy, resolver: Resolver | None) -> tuple[IPAddress, ...]:
    """Resolve ``host`` once and vet every answer; raise HostRefusedError when the guard refuses it."""
    literal = literal_address(host)
    if literal is not None:
        return vet_addresses(host, [str(literal)], policy, resolved=False)
    try:
        answers = list((resolver or system_resolver)(host, port))
    except Exception as exc:  # whatever the resolver's failure, the name did not resolve: a finding, not a crash
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise HostRefusedError(HostRefusal("access.unreachable", host, detail, resolved=True)) from exc
    return vet_addresses(host, answers, policy)


def refuse_host(host: str, *, policy: AddressPolicy, resolver: Resolver | None = None, port: int = 443,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> HostRefusal | None:
    """Resolve ``host`` once and vet every address, sending no request: why it is refused, or None if it is not.

    An IP literal is judged at once: no lookup, no thread (starting one cost a dial-in lint 0.1-0.3 ms).
    """
    ascii_host = normalize_host(host)
    if isinstance(ascii_host, HostProblem):
        return HostRefusal("url.invalid", host, invalid(host, ascii_host.why).message, hint=ascii_host.hint)
    if literal_address(ascii_host) is not None:
        try:
            resolve_and_vet(ascii_host, port, policy, resolver)
        except HostRefusedError as exc:
            return exc.refusal
        return None
    # getaddrinfo cannot be interrupted: it runs in a daemon thread we stop waiting for at the deadline, so a
    # name whose DNS never answers cannot hold the caller (a service check slot, say) longer than timeout_s.
    box: list[HostRefusal | None] = []

    def work() -> None:
        try:
            resolve_and_vet(ascii_host, port, policy, resolver)
        except HostRefusedError as exc:
            box.append(exc.refusal)
        else:
            box.append(None)

    worker = threading.Thread(target=work, name="mediacheck-vet-host", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not box:
        return HostRefusal("access.unreachable", ascii_host, f"no answer within {timeout_s:g} s")
    return box[0]


async def arefuse_host(host: str, *, policy: AddressPolicy, resolver: Resolver | None = None, port: int = 443,
                       timeout_s: float = DEFAULT_TIMEOUT_S) -> HostRefusal | None:
    """The async twin of :func:`refuse_host` (a lookup runs in a worker thread; a literal needs none)."""
    if literal_address(host.strip()) is not None or isinstance(normalize_host(host), HostProblem):
        return refuse_host(host, policy=policy, resolver=resolver, port=port, timeout_s=timeout_s)
    import anyio.to_thread  # here, not at the top: vet_host alone must not load the event-loop machinery

    return await anyio.to_thread.run_sync(
        lambda: refuse_host(host, policy=policy, resolver=resolver, port=port, timeout_s=timeout_s),
        abandon_on_cancel=True,
    )


def _vetting(host: object, allow_networks: Iterable[str], resolver: object, port: object,
             timeout_s: object, reveal_addresses: object) -> AddressPolicy:
    """Check vet_host's arguments (a caller's mistake is a UsageError) and return the address policy."""
    if not isinstance(host, str):
        raise UsageError(f"host must be a string, not {type(host).__name__}")
    if resolver is not None and not callable(resolver):
        raise UsageError(f"resolver must be a function (host, port) -> addresses, not {type(resolver).__name__}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise UsageError(f"port must be a number from 1 to 65535, got {port!r}")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not 0 < timeout_s < math.inf:
        raise UsageError(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
    if not isinstance(reveal_addresses, bool):
        raise UsageError(f"reveal_addresses must be True or False, not {reveal_addresses!r}")
    return AddressPolicy.from_cidrs(allow_networks)


def vet_host(host: str, *, allow_networks: Iterable[str] = (), resolver: Resolver | None = None,
             port: int = 443, timeout_s: float = DEFAULT_TIMEOUT_S, reveal_addresses: bool = True) -> Finding | None:
    """Resolve ``host`` once and vet every address, sending no request; None means every answer is public.

    Returns the finding that refuses it otherwise: ``url.invalid`` for a malformed or odd-notation host
    (``2130706433``, ``0x7f.1``), ``access.blocked-address`` when any answer is in the denylist (and not in
    ``allow_networks``), ``access.unreachable`` when DNS has no answer, or none within ``timeout_s``.
    ``resolver(host, port)`` returns IP strings; tests pass a stub instead of asking the system.
    ``reveal_addresses=False`` keeps what DNS answered out of the finding (for answers sent to strangers).
    Raises :class:`mediacheck.UsageError` for arguments it cannot accept.
    """
    policy = _vetting(host, allow_networks, resolver, port, timeout_s, reveal_addresses)
    refusal = refuse_host(host, policy=policy, resolver=resolver, port=port, timeout_s=timeout_s)
    return None if refusal is None else refusal.finding(reveal_addresses=reveal_addresses)


async def avet_host(host: str, *, allow_networks: Iterable[str] = (), resolver: Resolver | None = None,
                    port: int = 443, timeout_s: float = DEFAULT_TIMEOUT_S,
                    reveal_addresses: bool = True) -> Finding | None:
    """The async twin of :func:`vet_host` (the resolver runs in a worker thread)."""
    policy = _vetting(host, allow_networks, resolver, port, timeout_s, reveal_addresses)
    refusal = await arefuse_host(host, policy=policy, resolver=resolver, port=port, timeout_s=timeout_s)
    return None if refusal is None else refusal.finding(reveal_addresses=reveal_addresses)
