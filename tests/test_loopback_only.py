"""The suite's network fence refuses non-loopback traffic and resolver lookups before anything leaves the process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any

import pytest

from mediacheck import check_url, vet_host
from tests.support import loopback_only
from tests.support.loopback_only import LoopbackOnlyError, take_refusals
from tests.support.servers import LoopbackServer, Static

RealCalls = list[tuple[str, object]]

# TEST-NET-1 (RFC 5737): documentation only, routed nowhere, so even a leak would reach no one.
OUTSIDE = "192.0.2.1"
UNRESOLVABLE = "example.invalid"


@pytest.fixture
def real_calls(monkeypatch: pytest.MonkeyPatch) -> RealCalls:
    """Spies on the unfenced socket functions: (name, host or address) of each call the fence handed on."""
    calls: list[tuple[str, object]] = []
    for name, real in list(loopback_only.REAL.items()):
        def spy(*args: Any, _name: str = name, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            target = args[1] if _name in ("connect", "connect_ex") else args[0] if args else None
            calls.append((_name, target))
            return _real(*args, **kwargs)

        monkeypatch.setitem(loopback_only.REAL, name, spy)
    return calls


def test_the_fence_is_up_for_every_test() -> None:
    assert loopback_only.installed()
    assert socket.getaddrinfo is not loopback_only.REAL["getaddrinfo"]


def test_a_tcp_connect_outside_loopback_is_refused_before_the_kernel_sees_it(real_calls: RealCalls) -> None:
    with socket.socket() as sock, pytest.raises(LoopbackOnlyError, match=r"192\.0\.2\.1.*port 80"):
        sock.connect((OUTSIDE, 80))
    with socket.socket() as sock:
        with pytest.raises(LoopbackOnlyError):
            sock.connect_ex((OUTSIDE, 80))
        # The kernel binds a local port at a socket's first connect or send: an unbound socket sent nothing.
        assert sock.getsockname() == ("0.0.0.0", 0)
    assert real_calls == []
    assert len(take_refusals()) == 2  # taken, so the fence's own check does not fail this test


def test_a_udp_send_outside_loopback_is_refused_before_the_kernel_sees_it(real_calls: RealCalls) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(LoopbackOnlyError):
            sock.sendto(b"x", (OUTSIDE, 53))
        with pytest.raises(LoopbackOnlyError):
            sock.sendto(b"x", 0, (OUTSIDE, 53))
        with pytest.raises(LoopbackOnlyError):
            sock.sendmsg([b"x"], [], 0, (OUTSIDE, 53))
        assert sock.getsockname() == ("0.0.0.0", 0)
    assert real_calls == []
    assert len(take_refusals()) == 3


def test_ipv6_and_mapped_addresses_outside_loopback_are_refused(real_calls: RealCalls) -> None:
    with socket.socket(socket.AF_INET6) as sock:
        for address in ("2001:db8::1", "::ffff:192.0.2.1", "::"):
            with pytest.raises(LoopbackOnlyError):
                sock.connect((address, 80, 0, 0))
        assert sock.getsockname()[1] == 0
    assert real_calls == []
    assert len(take_refusals()) == 3


def test_create_connection_and_asyncio_go_through_the_fence(real_calls: RealCalls) -> None:
    with pytest.raises(LoopbackOnlyError):
        socket.create_connection((OUTSIDE, 80), timeout=1)

    async def open_outside() -> None:
        await asyncio.open_connection(OUTSIDE, 80)

    async def open_name() -> None:
        await asyncio.open_connection(UNRESOLVABLE, 80)

    with pytest.raises(LoopbackOnlyError, match="connect to"):
        asyncio.run(open_outside())
    with pytest.raises(LoopbackOnlyError, match="resolve"):
        asyncio.run(open_name())
    # create_connection looks the literal up (numerically, no DNS) before the refused connect.
    assert [name for name, _ in real_calls] == ["getaddrinfo"]
    assert [refusal.split(";")[0] for refusal in take_refusals()] == [
        "loopback only: refused to connect to '192.0.2.1' (port 80)",
        "loopback only: refused to connect to '192.0.2.1' (port 80)",
        "loopback only: refused to resolve 'example.invalid' (getaddrinfo)",
    ]


@pytest.mark.parametrize("lookup", [
    lambda: socket.getaddrinfo(UNRESOLVABLE, 443),
    lambda: socket.gethostbyname(UNRESOLVABLE),
    lambda: socket.gethostbyname_ex(UNRESOLVABLE),
    lambda: socket.getaddrinfo("localhost.", 443),
    lambda: socket.gethostbyaddr("127.0.0.1"),
    lambda: socket.getfqdn("127.0.0.1"),
    lambda: socket.getfqdn(),
    lambda: socket.getnameinfo(("127.0.0.1", 80), 0),
], ids=["getaddrinfo", "gethostbyname", "gethostbyname_ex", "dotted-localhost", "gethostbyaddr", "getfqdn-literal",
        "getfqdn-own-name", "getnameinfo"])
def test_a_name_lookup_is_refused_without_asking_the_resolver(real_calls: RealCalls, lookup: Callable[[], Any]) -> None:
    with pytest.raises(LoopbackOnlyError, match="loopback only"):
        lookup()
    assert real_calls == []
    assert len(take_refusals()) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LOCALHOST", None])
def test_literals_and_localhost_resolve(host: str | None, real_calls: RealCalls) -> None:
    assert socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)
    assert real_calls == [("getaddrinfo", host)]


def test_numeric_name_info_is_allowed() -> None:
    assert socket.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV) == ("127.0.0.1", "80")


@pytest.mark.parametrize(("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "localhost"),
                                              (socket.AF_INET6, "::1")])
def test_loopback_connects_and_sends_pass(family: socket.AddressFamily, host: str) -> None:
    with socket.socket(family) as server:
        server.bind((host, 0))
        server.listen(1)
        with socket.socket(family) as client:
            client.connect(server.getsockname())
            client.sendall(b"ping")
            conn, _ = server.accept()
            with conn:
                assert conn.recv(4) == b"ping"
        with socket.create_connection((host, server.getsockname()[1]), timeout=5):
            pass
    with socket.socket(family, socket.SOCK_DGRAM) as receiver, socket.socket(family, socket.SOCK_DGRAM) as sender:
        receiver.bind((host, 0))
        sender.sendto(b"pong", receiver.getsockname())
        assert receiver.recv(4) == b"pong"


def test_a_swallowed_refusal_still_fails_the_test() -> None:
    with contextlib.suppress(OSError):  # as code under test does, turning the failure into a finding
        socket.getaddrinfo(UNRESOLVABLE, 80)
    with pytest.raises(pytest.fail.Exception, match=r"asked the resolver:\n.*example\.invalid"):
        loopback_only._fail_on_refusals("call")
    loopback_only._fail_on_refusals("call")  # the refusal was reported once and then forgotten


def test_the_projects_stub_resolvers_never_reach_socket_lookups(real_calls: RealCalls) -> None:
    asked: list[str] = []

    def stub(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    assert vet_host("hold.example", resolver=stub, allow_networks=["127.0.0.0/8"]) is None
    with LoopbackServer({"/a.mp3": Static(b"not audio")}) as server:
        url = f"http://hold.example:{server.port}/a.mp3"
        check_url(url, resolver=stub, allow_networks=["127.0.0.0/8"])
        assert server.hits["/a.mp3"] == 1
    assert asked == ["hold.example", "hold.example"]
    # The fetch connected to the vetted address itself; nothing asked a socket lookup about the name.
    assert ("connect", ("127.0.0.1", server.port)) in real_calls
    assert all(target != "hold.example" for _, target in real_calls)
    assert take_refusals() == []
