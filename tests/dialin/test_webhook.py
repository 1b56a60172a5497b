"""`room_creation_api`: an absolute https URL on a public address, vetted by resolving its host and never requested."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from typing import Any

import anyio
import pytest

from mediacheck import Limits, Severity, UsageError, alint_dialin_config, lint_dialin_config
from mediacheck._dialin import DialinReport
from tests.dialin.conftest import LOOPBACK, PUBLIC_ADDRESS, StubResolver
from tests.support.servers import LoopbackServer, Static

BODY: dict[str, Any] = {"type": "pinless_dialin", "name_prefix": "Customer1",
                        "room_creation_api": "https://your-app.example.com/api/dial",
                        "hmac": "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0="}


def answering(*addresses: str) -> StubResolver:
    """A stub resolver that answers ``addresses`` for every name."""
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)
    return resolve


def lint(url: object, resolver: StubResolver | None = None, **kwargs: Any) -> DialinReport:
    """Lint the pinless body with ``room_creation_api`` replaced."""
    return lint_dialin_config({**BODY, "room_creation_api": url}, resolver=resolver, **kwargs)


class TestPublicAddress:
    def test_public_host_passes_and_is_only_resolved(self, public_resolver: tuple[StubResolver, list[str]]) -> None:
        """A host that resolves to a public address passes; the resolver was asked about exactly that host."""
        resolve, asked = public_resolver
        report = lint("https://your-app.example.com/api/dial", resolve)
        assert report.ok, report.to_dict()
        assert report.findings == ()
        assert asked == ["your-app.example.com"]

    @pytest.mark.parametrize(("answers", "why"), [
        (["10.1.2.3"], "private"), (["127.0.0.1"], "loopback"), (["169.254.169.254"], "link-local"),
        ([PUBLIC_ADDRESS, "192.168.0.10"], "private"), (["::ffff:127.0.0.1"], "127.0.0.1"),
    ])
    def test_host_on_a_private_address_fails(self, answers: list[str], why: str) -> None:
        """Any non-public answer fails the field with access.blocked-address and says why."""
        report = lint("https://your-app.example.com/api/dial", answering(*answers))
        finding = report.for_field("room_creation_api")[0]
        assert not report.ok
        assert (finding.code, finding.severity) == ("access.blocked-address", Severity.ERROR)
        assert finding.message.startswith("`room_creation_api` is not on a public address: your-app.example.com")
        assert why in finding.message

    def test_literal_public_ip_passes_without_dns(self) -> None:
        """A literal public address (IPv4 or IPv6) passes without asking any resolver."""
        def never(host: str, port: int) -> Sequence[str]:
            pytest.fail(f"resolved {host}")

        assert lint(f"https://{PUBLIC_ADDRESS}/api/dial", never).ok
        assert lint("https://[2606:4700:4700::1111]:8443/api/dial", never).ok

    def test_literal_private_ip_fails_without_dns(self) -> None:
        """A literal private IP is refused without asking any resolver."""
        report = lint("https://169.254.169.254/latest", answering())
        assert [f.code for f in report.for_field("room_creation_api")] == ["access.blocked-address"]

    def test_unresolvable_host_is_a_warning(self) -> None:
        """A host DNS cannot resolve here only warns: the pre-flight may run where DNS differs."""
        def fail(host: str, port: int) -> Sequence[str]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        report = lint("https://your-app.example.com/api/dial", fail)
        finding = report.for_field("room_creation_api")[0]
        assert report.ok
        assert (finding.code, finding.severity) == ("access.unreachable", Severity.WARNING)
        assert "does not resolve" in finding.message

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_dns_that_hangs_is_given_up_at_the_limits_timeout(self, mode: str) -> None:
        """The webhook's lookup gets the limits' timeout, not the default 30 s: a hung DNS warns and moves on."""
        release = threading.Event()

        def hang(host: str, port: int) -> Sequence[str]:
            release.wait(20)  # only then a public answer: seen only if the timeout was not honoured
            return [PUBLIC_ADDRESS]

        body = {**BODY, "room_creation_api": "https://your-app.example.com/api/dial"}
        limits = Limits(timeout_s=0.3)
        try:
            if mode == "sync":
                report = lint_dialin_config(body, resolver=hang, limits=limits)
            else:
                report = anyio.run(lambda: alint_dialin_config(body, resolver=hang, limits=limits))
        finally:
            release.set()
        finding = report.for_field("room_creation_api")[0]
        assert (finding.code, finding.severity) == ("access.unreachable", Severity.WARNING)

    def test_allow_networks_exempts_an_intranet_webhook(self) -> None:
        """A private address inside allow_networks passes."""
        assert lint("https://hooks.internal/dial", answering("10.1.2.3"), allow_networks=["10.0.0.0/8"]).ok

    def test_malformed_allow_networks_is_misuse(self) -> None:
        """An allow_networks entry that is not a CIDR raises UsageError (a caller's mistake, not a verdict)."""
        with pytest.raises(UsageError):
            lint("https://your-app.example.com/api/dial", answering(PUBLIC_ADDRESS), allow_networks=["intranet"])


class TestUrlForm:
    @pytest.mark.parametrize(("url", "codes"), [
        ("http://your-app.example.com/api/dial", ["url.scheme"]),
        ("https://user:pw@your-app.example.com/api/dial", ["url.credentials"]),
        ("http://user:pw@your-app.example.com/api/dial", ["url.scheme", "url.credentials"]),
        ("/api/dial", ["url.invalid"]),
        ("your-app.example.com/api/dial", ["url.invalid"]),
        ("https://your app.example.com/", ["url.invalid"]),
        (" https://your-app.example.com/api/dial\n", ["url.invalid"]),
        ("https://2130706433/api/dial", ["url.invalid"]),
        ("https://0x7f.1/api/dial", ["url.invalid"]),
        ("https://your-app.example.com:99999/", ["url.invalid"]),
        ("", ["field.empty"]),
        (42, ["field.type"]),
    ])
    def test_bad_urls_fail_before_any_lookup(self, url: object, codes: list[str]) -> None:
        """A webhook URL that is not absolute https on a plainly written host fails, and nothing is resolved."""
        def never(host: str, port: int) -> Sequence[str]:
            pytest.fail(f"resolved {host}")

        report = lint(url, never)
        assert not report.ok
        assert [f.code for f in report.for_field("room_creation_api")] == codes

    def test_pinless_only(self) -> None:
        """On a pin config the webhook is a wrong-kind error and is not resolved."""
        def never(host: str, port: int) -> Sequence[str]:
            pytest.fail(f"resolved {host}")

        report = lint_dialin_config({"type": "pin_dialin", "phone_number": "+18058700061",
                                     "room_creation_api": BODY["room_creation_api"]}, resolver=never)
        assert [f.code for f in report.for_field("room_creation_api")] == ["field.wrong-kind"]


class TestNeverRequested:
    def test_loopback_webhook_sees_no_request(self) -> None:
        """A webhook on a loopback server (exempted) passes, and the server counts zero hits, sync and async."""
        with LoopbackServer({"/api/dial": Static(b"{}", content_type="application/json")}) as server:
            body = {**BODY, "room_creation_api": server.url("/api/dial").replace("http://", "https://")}
            sync_report = lint_dialin_config(body, allow_networks=LOOPBACK)
            async_report = anyio.run(lambda: alint_dialin_config(body, allow_networks=LOOPBACK))
            assert sync_report.ok, sync_report.to_dict()
            assert async_report.to_dict() == sync_report.to_dict()
            assert sum(server.hits.values()) == 0

    def test_async_twin_agrees(self) -> None:
        """The async twin gives the same findings as the sync call for a failing webhook."""
        body = {**BODY, "room_creation_api": "https://your-app.example.com/api/dial"}
        resolve = answering("10.0.0.7")
        sync_report = lint_dialin_config(body, resolver=resolve)
        async_report = anyio.run(lambda: alint_dialin_config(body, resolver=resolve))
        assert not async_report.ok
        assert async_report.to_dict() == sync_report.to_dict()
