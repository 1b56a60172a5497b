"""The test suite's network fence: sockets reach only loopback and no name ever goes to the resolver.

Installed for the whole test process by tests/conftest.py. ``socket.socket.connect``, ``connect_ex``, ``sendto``
and ``sendmsg`` (which ``socket.create_connection``, ssl, http clients and asyncio's loops all end in) refuse an
internet address outside 127.0.0.0/8 and ::1 before the kernel sees it, and the module's lookups refuse every
name but IP literals and ``localhost``: ``getaddrinfo``, ``gethostbyname`` and ``gethostbyname_ex`` answer
those from the address itself or /etc/hosts. Reverse lookups (``gethostbyaddr``, ``getfqdn``, ``getnameinfo``
asked for a name) are refused outright, since any address /etc/hosts does not list (``::1`` on many machines)
becomes a PTR query to DNS.

Code under test may swallow the error (a failed lookup becomes a finding), so every refusal is also recorded,
and the plugin fails the test phase (setup, call or teardown) during which one happened. A test that provokes
refusals on purpose takes them with :func:`take_refusals`. Processes a test spawns are outside the fence.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections.abc import Callable, Generator
from typing import Any

import pytest

ALLOWED_NAMES = frozenset({"localhost"})
_INTERNET_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})

# The unfenced originals, looked up here so the fence can hand allowed calls on (and tests can spy on them).
REAL: dict[str, Callable[..., Any]] = {}
_SOCKET_METHODS = ("connect", "connect_ex", "sendto", "sendmsg")
_LOOKUPS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getfqdn", "getnameinfo")

_refusals: list[str] = []
_lock = threading.Lock()


class LoopbackOnlyError(OSError):
    """A test tried to reach a non-loopback address or to ask the DNS resolver about a name."""


def _refuse(what: str) -> LoopbackOnlyError:
    message = (f"loopback only: {what}; tests may reach only 127.0.0.0/8 and ::1 and resolve only IP literals and "
               "localhost (use an IP literal or a stub resolver; fence in tests/support/loopback_only.py)")
    with _lock:
        _refusals.append(message)
    return LoopbackOnlyError(message)


def take_refusals() -> list[str]:
    """Every refusal recorded since the last call, oldest first (and forget them)."""
    with _lock:
        taken = list(_refusals)
        _refusals.clear()
    return taken


@functools.lru_cache(maxsize=256)
def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address an IP literal names (a ``%zone`` suffix ignored), or None for anything else."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _text(host: object) -> str | None:
    if isinstance(host, bytes):
        return host.decode("ascii", "replace")
    return host if isinstance(host, str) else None


def _is_loopback(host: object) -> bool:
    text = _text(host)
    if text is None:
        return False
    if text.lower() in ALLOWED_NAMES:
        return True
    address = _ip(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # the kernel connects ::ffff:a.b.c.d over IPv4
    return address is not None and address.is_loopback


def _needs_no_resolver(host: object) -> bool:
    """Whether a forward lookup of ``host`` is answered without DNS: no host, an IP literal or localhost."""
    if host is None:
        return True
    text = _text(host)
    return text is not None and (text == "" or text.lower() in ALLOWED_NAMES or _ip(text) is not None)


def _check_destination(sock: socket.socket, address: object, verb: str) -> None:
    if sock.family not in _INTERNET_FAMILIES or not isinstance(address, tuple) or not address:
        return  # AF_UNIX, netlink and friends never leave the machine
    if not _is_loopback(address[0]):
        raise _refuse(f"refused to {verb} {address[0]!r} (port {address[1] if len(address) > 1 else '?'})")


def _connect(self: socket.socket, address: Any) -> None:
    _check_destination(self, address, "connect to")
    REAL["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check_destination(self, address, "connect to")
    return int(REAL["connect_ex"](self, address))


def _sendto(self: socket.socket, data: Any, flags_or_address: Any, *maybe_address: Any) -> int:
    _check_destination(self, maybe_address[0] if maybe_address else flags_or_address, "send to")
    return int(REAL["sendto"](self, data, flags_or_address, *maybe_address))


def _sendmsg(self: socket.socket, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None) -> int:
    if address is None:
        return int(REAL["sendmsg"](self, buffers, ancdata, flags))
    _check_destination(self, address, "send to")
    return int(REAL["sendmsg"](self, buffers, ancdata, flags, address))


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _needs_no_resolver(host):
        raise _refuse(f"refused to resolve {host!r} (getaddrinfo)")
    return REAL["getaddrinfo"](host, *args, **kwargs)


def _gethostbyname(host: str) -> str:
    if not _needs_no_resolver(host):
        raise _refuse(f"refused to resolve {host!r} (gethostbyname)")
    return str(REAL["gethostbyname"](host))


def _gethostbyname_ex(host: str) -> Any:
    if not _needs_no_resolver(host):
        raise _refuse(f"refused to resolve {host!r} (gethostbyname_ex)")
    return REAL["gethostbyname_ex"](host)


def _gethostbyaddr(host: str) -> Any:
    raise _refuse(f"refused the reverse lookup of {host!r} (gethostbyaddr)")


def _getfqdn(name: str = "") -> str:
    raise _refuse(f"refused the reverse lookup of {name or 'this host'!r} (getfqdn)")


def _getnameinfo(sockaddr: Any, flags: int) -> Any:
    if not flags & socket.NI_NUMERICHOST:
        raise _refuse(f"refused the reverse lookup of {sockaddr!r} (getnameinfo without NI_NUMERICHOST)")
    return REAL["getnameinfo"](sockaddr, flags)


_FENCED_METHODS: dict[str, Callable[..., Any]] = {
    "connect": _connect, "connect_ex": _connect_ex, "sendto": _sendto, "sendmsg": _sendmsg,
}
_FENCED_LOOKUPS: dict[str, Callable[..., Any]] = {
    "getaddrinfo": _getaddrinfo, "gethostbyname": _gethostbyname, "gethostbyname_ex": _gethostbyname_ex,
    "gethostbyaddr": _gethostbyaddr, "getfqdn": _getfqdn, "getnameinfo": _getnameinfo,
}


def install() -> None:
    """Put the fence up for this process (a second call changes nothing)."""
    if REAL:
        return
    for name in _SOCKET_METHODS:
        REAL[name] = getattr(socket.socket, name)
        setattr(socket.socket, name, _FENCED_METHODS[name])
    for name in _LOOKUPS:
        REAL[name] = getattr(socket, name)
        setattr(socket, name, _FENCED_LOOKUPS[name])


def uninstall() -> None:
    """Take the fence down again, restoring the socket module as it was."""
    for name in _SOCKET_METHODS:
        if name in REAL:
            setattr(socket.socket, name, REAL[name])
    for name in _LOOKUPS:
        if name in REAL:
            setattr(socket, name, REAL[name])
    REAL.clear()


def installed() -> bool:
    """Whether the fence is up."""
    return bool(REAL)


def _fail_on_refusals(when: str) -> None:
    refused = take_refusals()
    if refused:
        listed = "\n  ".join(refused)
        pytest.fail(f"the test's {when} reached past loopback or asked the resolver:\n  {listed}", pytrace=False)


class LoopbackOnlyPlugin:
    """Fails each test phase during which the fence refused something, even if the code under test swallowed it."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        finally:
            _fail_on_refusals("setup")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        finally:
            _fail_on_refusals("call")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
        try:
            return (yield)
        finally:
            _fail_on_refusals("teardown")
