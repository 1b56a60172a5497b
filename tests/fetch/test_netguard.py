"""The address guard: every denylist range, IPv4 hidden in IPv6, allow lists, and vetting a host's answers."""

from __future__ import annotations

import ipaddress
import threading

import anyio
import pytest

from mediacheck._netguard import DENIED_NETWORKS, AddressPolicy, avet_host, denial_reason, embedded_ipv4, vet_host
from mediacheck.exceptions import UsageError
from tests.fetch.conftest import StubResolver

# Every range of the design's denylist with the words its refusal must name.
DESIGN_DENYLIST = {
    "0.0.0.0/8": "'this network'", "10.0.0.0/8": "private (10.0.0.0/8)", "100.64.0.0/10": "carrier-grade NAT",
    "127.0.0.0/8": "loopback (127", "169.254.0.0/16": "link-local", "172.16.0.0/12": "private (172.16",
    "192.0.0.0/24": "IETF protocol assignments (192", "192.0.2.0/24": "documentation (192.0.2",
    "192.88.99.0/24": "6to4 relay", "192.168.0.0/16": "private (192.168", "198.18.0.0/15": "benchmarking",
    "198.51.100.0/24": "documentation (198.51", "203.0.113.0/24": "documentation (203",
    "224.0.0.0/4": "multicast (224", "240.0.0.0/4": "reserved (240", "255.255.255.255/32": "limited broadcast",
    "::/128": "unspecified", "::1/128": "loopback (::1)", "::ffff:0:0/96": "IPv4-mapped",
    "64:ff9b::/96": "NAT64 (64:ff9b::/96)", "64:ff9b:1::/48": "local-use NAT64", "100::/64": "discard-only",
    "2001::/23": "Teredo", "2001:db8::/32": "documentation (2001:db8", "2002::/16": "6to4 (2002",
    "fc00::/7": "unique local", "fe80::/10": "link-local (fe80", "fec0::/10": "site-local",
    "ff00::/8": "multicast (ff00",
}

# Public addresses hiding in each embedding range, so the range itself (not the IPv4 inside) must refuse them.
PUBLIC_V4 = ipaddress.IPv4Address("8.8.8.8")


def _edges(cidr: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    # The last address but one: 255.255.255.255 (the end of 240/4) has a more specific entry of its own.
    network = ipaddress.ip_network(cidr)
    return [network.network_address, network.broadcast_address - (network.num_addresses > 2)]


class TestDenylist:
    """Each range of the design's denylist refuses its first and last address, and names itself."""

    def test_the_table_is_exactly_the_designs(self) -> None:
        """No range was dropped or added without the design (and this test) knowing."""
        assert {str(net) for net, _ in DENIED_NETWORKS} == set(DESIGN_DENYLIST)

    @pytest.mark.parametrize("cidr", sorted(DESIGN_DENYLIST))
    def test_range_edges_are_refused_naming_the_range(self, cidr: str) -> None:
        """The first and (nearly) the last address of the range are refused with the range's own reason."""
        for address in _edges(cidr):
            reason = denial_reason(address)
            assert reason is not None, address
            embedded = embedded_ipv4(address)
            if not embedded or all(denial_reason(v4) is None for v4 in embedded):
                assert DESIGN_DENYLIST[cidr] in reason, (address, reason)

    @pytest.mark.parametrize("address", [
        "1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
        "192.0.1.255", "192.0.3.0", "192.88.98.255", "192.88.100.0", "192.167.255.255", "192.169.0.0",
        "198.17.255.255", "198.20.0.0", "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0",
        "223.255.255.255", "8.8.8.8", "2606:4700::1111", "2001:200::1", "2001:db9::1", "2003::1", "fbff::1",
        "::2:0:0", "64:ff9b::1:0:0", "64:ff9b:2::1", "100:0:0:1::", "2a00:1450::1",
    ])
    def test_public_neighbours_are_allowed(self, address: str) -> None:
        """Addresses just outside each range (and well-known public ones) pass: no range is too wide."""
        assert denial_reason(ipaddress.ip_address(address)) is None

    @pytest.mark.parametrize(("address", "inner"), [
        ("::ffff:169.254.169.254", "169.254.169.254"),
        ("2002:a9fe:a9fe::1", "169.254.169.254"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("64:ff9b:1::a00:1", "10.0.0.1"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),
        ("::7f00:1", "127.0.0.1"),
    ])
    def test_ipv4_inside_ipv6_is_judged_and_named(self, address: str, inner: str) -> None:
        """Mapped, 6to4, NAT64, Teredo and IPv4-compatible forms are refused for the IPv4 they carry."""
        reason = denial_reason(ipaddress.ip_address(address))
        assert reason is not None
        assert f"carries the IPv4 address {inner}" in reason

    @pytest.mark.parametrize("address", ["::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::808:808",
                                         "2001:0:4136:e378:8000:63bf:f7f7:f7f7"])
    def test_embedding_ranges_refuse_even_public_insides(self, address: str) -> None:
        """A public IPv4 wrapped in a mapped/6to4/NAT64/Teredo address is still refused by the range itself."""
        assert embedded_ipv4(ipaddress.ip_address(address))
        assert denial_reason(ipaddress.ip_address(address)) is not None

    def test_ipv4_compatible_form_outside_the_list_is_caught_by_its_inside(self) -> None:
        """::a.b.c.d is in no listed range, so only the embedded-IPv4 check stands between it and 10.0.0.1."""
        assert denial_reason(ipaddress.ip_address("::a00:1")) is not None
        assert denial_reason(ipaddress.ip_address("::808:808")) is None


class TestAddressPolicy:
    """allow_networks exempts ranges; everything else follows the denylist."""

    def test_allowed_network_is_exempt_and_its_neighbours_are_not(self) -> None:
        """127.0.0.1/32 allowed lets 127.0.0.1 through but still refuses 127.0.0.2."""
        policy = AddressPolicy.from_cidrs(["127.0.0.1/32"])
        assert policy.reason_to_refuse(ipaddress.ip_address("127.0.0.1")) is None
        assert policy.reason_to_refuse(ipaddress.ip_address("127.0.0.2")) is not None

    def test_allowing_an_ipv6_range_exempts_its_addresses(self) -> None:
        """An allowed 2002::/16 intranet lets a 6to4 address with a public IPv4 inside through."""
        policy = AddressPolicy.from_cidrs(["2002::/16"])
        assert policy.reason_to_refuse(ipaddress.ip_address("2002:808:808::1")) is None
        assert AddressPolicy().reason_to_refuse(ipaddress.ip_address("2002:808:808::1")) is not None

    @pytest.mark.parametrize(("allow", "address", "inside"), [
        ("::/0", "::ffff:169.254.169.254", "169.254.169.254"),
        ("::/0", "::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:0:0/96", "::ffff:10.0.0.1", "10.0.0.1"),
        ("::/0", "::127.0.0.1", "127.0.0.1"),
        ("2002::/16", "2002:7f00:1::1", "127.0.0.1"),
        ("64:ff9b::/96", "64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2001::/32", "2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo client 127.0.0.1
    ])
    def test_allowing_an_ipv6_range_does_not_launder_the_ipv4_inside(self, allow: str, address: str,
                                                                      inside: str) -> None:
        """Allowing an IPv6 range never exempts the denied IPv4 an address in it carries (mapped ones connect there)."""
        reason = AddressPolicy.from_cidrs([allow]).reason_to_refuse(ipaddress.ip_address(address))
        assert reason is not None
        assert f"carries the IPv4 address {inside}" in reason

    def test_an_ipv4_inside_passes_when_both_are_allowed(self) -> None:
        """Allowing the mapped range and the IPv4 network inside lets ::ffff:127.0.0.1 in; either alone does not."""
        mapped = ipaddress.ip_address("::ffff:127.0.0.1")
        assert AddressPolicy.from_cidrs(["::ffff:0:0/96", "127.0.0.0/8"]).reason_to_refuse(mapped) is None
        assert AddressPolicy.from_cidrs(["127.0.0.0/8"]).reason_to_refuse(mapped) is not None
        assert AddressPolicy.from_cidrs(["::ffff:0:0/96"]).reason_to_refuse(mapped) is not None

    @pytest.mark.parametrize("address", sorted({str(a) for cidr in DESIGN_DENYLIST for a in _edges(cidr)} | {
        "::ffff:127.0.0.1", "::ffff:8.8.8.8", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe", "::a00:1", "10.1.2.3",
        "2001:0:4136:e378:8000:63bf:80ff:fffe"}))
    def test_the_exemptions_named_let_the_address_through(self, address: str) -> None:
        """For every refused address, allowing exactly the networks the refusal names lets it through (the CLI's
        --allow-network advice works), and each one named is needed."""
        ip = ipaddress.ip_address(address)
        needed = AddressPolicy().exemptions_needed(ip)
        assert needed
        assert AddressPolicy.from_cidrs(needed).reason_to_refuse(ip) is None
        for left_out in needed:
            assert AddressPolicy.from_cidrs([n for n in needed if n != left_out]).reason_to_refuse(ip) is not None

    def test_exemptions_are_what_is_still_missing(self) -> None:
        """::ffff:127.0.0.1 needs the IPv4 range and the mapped range; with one allowed, only the other is named."""
        mapped = ipaddress.ip_address("::ffff:127.0.0.1")
        assert AddressPolicy().exemptions_needed(mapped) == ("127.0.0.0/8", "::ffff:0:0/96")
        assert AddressPolicy.from_cidrs(["127.0.0.0/8"]).exemptions_needed(mapped) == ("::ffff:0:0/96",)
        assert AddressPolicy.from_cidrs(["::ffff:0:0/96", "127.0.0.0/8"]).exemptions_needed(mapped) == ()

    @pytest.mark.parametrize("bad", [["not-a-network"], ["10.0.0.0/33"], "10.0.0.0/8"])
    def test_bad_allow_networks_are_a_usage_error(self, bad: object) -> None:
        """A malformed CIDR (or one string instead of a list) is the caller's mistake, said clearly."""
        with pytest.raises(UsageError, match="allow_networks"):
            AddressPolicy.from_cidrs(bad)  # type: ignore[arg-type]


class TestVetHost:
    """vet_host resolves once and refuses a host if any answer is denied, without sending a request."""

    def test_public_answers_pass(self) -> None:
        """A host whose every answer is public gets no finding, after one resolution."""
        resolver = StubResolver({"media.example": [["93.184.216.34", "2606:2800:220:1::1"]]})
        assert vet_host("media.example", resolver=resolver) is None
        assert resolver.calls == ["media.example"]

    def test_one_private_answer_among_public_ones_refuses_the_host(self) -> None:
        """Public first, private next: the host is refused and the message names the private answer."""
        resolver = StubResolver({"media.example": [["93.184.216.34", "10.1.2.3"]]})
        finding = vet_host("media.example", resolver=resolver)
        assert finding is not None
        assert finding.code == "access.blocked-address"
        assert "10.1.2.3" in finding.message

    def test_literal_addresses_need_no_resolver(self) -> None:
        """An IP literal is judged as it is: 169.254.169.254 is refused, 8.8.8.8 is not, no lookup made."""
        resolver = StubResolver({})
        assert vet_host("169.254.169.254", resolver=resolver) is not None
        assert vet_host("[::1]", resolver=resolver) is not None
        assert vet_host("8.8.8.8", resolver=resolver) is None
        assert resolver.calls == []

    def test_unresolvable_host_is_unreachable(self) -> None:
        """A name DNS does not know is access.unreachable, with the resolver's reason."""
        finding = vet_host("nowhere.example", resolver=StubResolver({}))
        assert finding is not None
        assert finding.code == "access.unreachable"
        assert "not known" in finding.message

    @pytest.mark.parametrize(("answers", "shown"), [
        ([], "no addresses"),
        (["not-an-address"], "not-an-address"),
        (["93.184.216.34", "not-an-address"], "not-an-address"),
    ])
    def test_no_usable_answer_is_unreachable_not_public(self, answers: list[str], shown: str) -> None:
        """Zero answers, or one that is no IP address, is access.unreachable: never "every answer is public"."""
        finding = vet_host("media.example", resolver=StubResolver({"media.example": [answers]}))
        assert finding is not None
        assert finding.code == "access.unreachable"
        assert shown in finding.message

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_dns_that_never_answers_is_given_up_at_the_timeout(self, mode: str) -> None:
        """A hanging lookup is abandoned after timeout_s: unreachable, answered while the lookup still hangs."""
        release, finished = threading.Event(), threading.Event()

        def hanging(host: str, port: int) -> list[str]:
            release.wait(20)
            finished.set()
            return ["93.184.216.34"]

        try:
            if mode == "sync":
                finding = vet_host("slow.example", resolver=hanging, timeout_s=0.3)
            else:
                finding = anyio.run(lambda: avet_host("slow.example", resolver=hanging, timeout_s=0.3))
            assert not finished.is_set()
        finally:
            release.set()
        assert finding is not None
        assert finding.code == "access.unreachable"
        assert "no answer within 0.3 s" in finding.message

    @pytest.mark.parametrize("timeout_s", [0, -1.0, float("inf"), float("nan"), True, "5"])
    def test_bad_timeout_is_a_usage_error(self, timeout_s: object) -> None:
        """A timeout that is not a positive finite number of seconds is the caller's mistake."""
        with pytest.raises(UsageError, match="timeout_s"):
            vet_host("media.example", resolver=StubResolver({}), timeout_s=timeout_s)  # type: ignore[arg-type]

    @pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "", "a b"])
    def test_odd_notation_hosts_are_invalid(self, host: str) -> None:
        """Decimal, hex, octal and short IPv4 forms (and junk) are url.invalid, never resolved."""
        resolver = StubResolver({})
        finding = vet_host(host, resolver=resolver)
        assert finding is not None
        assert finding.code == "url.invalid"
        assert resolver.calls == []

    def test_allow_networks_exempts(self) -> None:
        """An intranet range given in allow_networks passes."""
        resolver = StubResolver({"intranet.example": [["10.1.2.3"]]})
        assert vet_host("intranet.example", allow_networks=["10.0.0.0/8"], resolver=resolver) is None

    def test_async_twin_agrees(self) -> None:
        """avet_host gives the same findings as vet_host."""
        resolver = StubResolver({"a.example": [["8.8.8.8"]], "b.example": [["8.8.8.8", "fd00::1"]]})

        async def both() -> list[object]:
            return [await avet_host("a.example", resolver=resolver), await avet_host("b.example", resolver=resolver)]

        first, second = anyio.run(both)
        assert first is None
        assert second == vet_host("b.example", resolver=resolver)

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize(("answers", "message"), [
        (["10.1.2.3"], "Refused to connect: db.corp.example has no public internet address."),
        (["::ffff:10.1.2.3"], "Refused to connect: db.corp.example has no public internet address."),
        (["garbage 10.1.2.3"], "The host name db.corp.example has no usable address."),
    ])
    def test_hidden_addresses(self, mode: str, answers: list[str], message: str) -> None:
        """reveal_addresses=False words a refusal without what DNS answered: no address, no range."""
        resolver = StubResolver({"db.corp.example": [answers]})
        if mode == "sync":
            finding = vet_host("db.corp.example", resolver=resolver, reveal_addresses=False)
        else:
            finding = anyio.run(lambda: avet_host("db.corp.example", resolver=resolver, reveal_addresses=False))
        assert finding is not None
        assert finding.message == message
        assert finding.refused_networks == ()  # the range would tell what DNS answered as well as the address

    def test_a_revealed_refusal_carries_its_networks(self) -> None:
        """Where the address is shown (library, CLI), the finding carries the networks that refused it."""
        resolver = StubResolver({"db.corp.example": [["::ffff:10.1.2.3"]]})
        finding = vet_host("db.corp.example", resolver=resolver)
        assert finding is not None
        assert finding.refused_networks == ("10.0.0.0/8", "::ffff:0:0/96")
