"""The URL policy: only plainly written http(s) URLs without credentials get anywhere near the network."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediacheck import Limits, check_url
from mediacheck._fetch_run import FetchRun, InspectSink
from mediacheck._report import Finding
from mediacheck._urlpolicy import MAX_URL_LENGTH, FetchableUrl, check_url_policy, normalize_host


def _code(url: str) -> str:
    result = check_url_policy(url)
    return result.code if isinstance(result, Finding) else "ok"


class TestRefusals:
    """Each kind of unusable URL gets its own code and a message that says why."""

    @pytest.mark.parametrize(("url", "code"), [
        ("", "url.invalid"),
        ("http://", "url.invalid"),
        ("https:///a.mp3", "url.invalid"),
        ("http://exa mple.com/a.mp3", "url.invalid"),
        (" https://example.com/a.mp3", "url.invalid"),
        ("http://example.com/a\nb.mp3", "url.invalid"),
        ("http://example.com\\@evil.example/a.mp3", "url.invalid"),
        ("http://☃☃.example/a.mp3", "url.invalid"),
        ("http://exa_mple..com/a.mp3", "url.invalid"),
        ("https://example.com:0/a.mp3", "url.invalid"),
        ("https://example.com:99999/a.mp3", "url.invalid"),
        ("https://example.com:\u00b2/a.mp3", "url.invalid"),  # superscript two: isdigit() yet int() raises
        ("https://[::1]:\u00b9/a.mp3", "url.invalid"),
        ("https://example.com:\u0668\u0660/a.mp3", "url.invalid"),  # Arabic-Indic 80
        ("https://example.com:\uff18\uff10/a.mp3", "url.invalid"),  # full-width 80
        ("https://example.com:http/a.mp3", "url.invalid"),
        ("http://[fe80::1%25eth0]/a.mp3", "url.invalid"),
        ("http://[::1/a.mp3", "url.invalid"),
        ("http://ex%61mple.com/a.mp3", "url.invalid"),  # percent-encoded hosts are not decoded into a guess
        ("http://127%2e0.0.1/a.mp3", "url.invalid"),
        ("http://%5B::1%5D/a.mp3", "url.invalid"),
        ("http://" + "a" * 64 + ".example/a.mp3", "url.invalid"),  # a DNS label is at most 63 characters
        ("http://" + "a." * 127 + "com/a.mp3", "url.invalid"),  # a name is at most 253
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "url.invalid"),
        ("file:///etc/passwd", "url.scheme"),
        ("gopher://example.com:70/_", "url.scheme"),
        ("ftp://example.com/a.mp3", "url.scheme"),
        ("javascript:alert(1)", "url.scheme"),
        ("example.com/a.mp3", "url.scheme"),
        ("//example.com/a.mp3", "url.scheme"),
        ("https://user:pw@example.com/a.mp3", "url.credentials"),
        ("https://user@example.com/a.mp3", "url.credentials"),
        ("https://:@example.com/a.mp3", "url.credentials"),
    ])
    def test_refused_with_its_code(self, url: str, code: str) -> None:
        """The URL is refused before any network activity, with the code that names the problem."""
        assert _code(url) == code

    @pytest.mark.parametrize("host", [
        "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "127.1", "127.0.1", "017700000001",
        "127.0.0.1.", "1.2.3.4.5", "0x", "1.2.3.08", "\uff11\uff12\uff17.\uff10.\uff10.\uff11",
        "127\u30020\u30020\u30021",
    ])
    def test_odd_ipv4_notations_are_refused(self, host: str) -> None:
        """Decimal, octal, hex, shortened and full-width IPv4 hosts are url.invalid, not interpreted."""
        assert _code(f"http://{host}/a.mp3") == "url.invalid"

    def test_parsers_that_disagree_on_the_host_refuse_the_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """If our reading of the host ever differs from httpx2's, the URL is refused rather than fetched."""
        monkeypatch.setattr("mediacheck._urlpolicy.normalize_host", lambda host: "other.example")
        result = check_url_policy("https://media.example/a.mp3")
        assert isinstance(result, Finding)
        assert "ambiguous" in result.message

    def test_messages_cut_long_urls(self) -> None:
        """A 10 KB URL is refused with a message of readable length."""
        result = check_url_policy("https://example.com/" + "a" * 10_000)
        assert isinstance(result, Finding)
        assert len(result.message) < 300


class TestAccepted:
    """Ordinary URLs pass and come out with the host and port the request will use."""

    @pytest.mark.parametrize(("url", "host", "port"), [
        ("https://example.com/hold.mp3", "example.com", 443),
        ("HTTP://Example.COM:8080/hold.mp3?x=1#frag", "example.com", 8080),
        ("https://93.184.216.34/a.mp3", "93.184.216.34", 443),
        ("https://[2606:2800:220:1::1]:8443/a.mp3", "2606:2800:220:1::1", 8443),
        ("https://bücher.example/a.mp3", "xn--bcher-kva.example", 443),
        ("https://example.com./a.mp3", "example.com", 443),
        ("https://cdn.example.com/a%20b.mp3", "cdn.example.com", 443),
    ])
    def test_host_and_port(self, url: str, host: str, port: int) -> None:
        """Host (IDNA-encoded, lower-case) and port agree with what httpx2 will connect to."""
        result = check_url_policy(url)
        assert isinstance(result, FetchableUrl), result
        assert (result.host, result.port) == (host, port)
        assert result.url.raw_host.decode().rstrip(".") == host

    def test_normalize_host_accepts_bare_ipv6(self) -> None:
        """A bare IPv6 host (as the dial-in lint may pass it) is normalized, not refused."""
        assert normalize_host("2606:2800:0220:0001::1") == "2606:2800:220:1::1"


@given(st.text(max_size=300))
def test_any_string_gives_an_answer_not_an_exception(text: str) -> None:
    """Whatever the string, the policy returns a URL to fetch or a url. finding; it never raises."""
    result = check_url_policy(text)
    assert isinstance(result, FetchableUrl) or result.code.startswith("url.")


@given(st.text(max_size=60).map(lambda s: "http://" + s))
def test_any_http_prefixed_string_is_vetted_consistently(text: str) -> None:
    """Strings after http:// either yield a host both parsers agree on or a url. finding."""
    result = check_url_policy(text)
    if isinstance(result, FetchableUrl):
        assert result.url.raw_host.decode().lower().rstrip(".") == result.host
    else:
        assert result.code.startswith("url.")


@pytest.mark.parametrize(("url", "code"), [
    ("", "url.invalid"), ("   ", "url.invalid"), ("http://", "url.invalid"), ("file:///etc/passwd", "url.scheme"),
    ("gopher://x/", "url.scheme"), ("http://☃/", "url.invalid"), ("x" * 10_000, "url.invalid"),
    ("https://u:p@example.com/a.mp3", "url.credentials"), ("http://0x7f.1/", "url.invalid"),
    ("http://[::1/a.mp3", "url.invalid"), ("http://a]b/", "url.invalid"), ("http://\u2100/a.mp3", "url.invalid"),
    ("ftp://x/?X-Amz-Date=20250101T000000Z&X-Amz-Expires=999999999999999", "url.scheme"),
])
def test_check_url_answers_bad_input_with_a_failing_report(url: str, code: str) -> None:
    """check_url returns a failing report with the one url. finding for bad input, and never touches the network."""
    report = check_url(url)
    assert report.codes() == [code]
    assert report.fetch is not None
    assert report.fetch.status is None
    assert report.fetch.bytes_read == 0


_TRICKY = st.sampled_from([
    *"ab1:./@[]%?#&=\\", "\u00b2", "\u0668", "\uff0e", "\u3002", "\u2100", "\u00df",
    "X-Amz-Date=20250101T000000Z&", "X-Amz-Expires=", "9" * 20, "se=", "&sv=1", "Expires=", "dl=0",
    "dropbox.com", "[::1]",
])


@given(st.tuples(st.sampled_from(["http://", "https://", "ftp://", ""]), st.lists(_TRICKY, max_size=12)))
def test_the_policy_and_the_hints_answer_any_url_without_raising(parts: tuple[str, list[str]]) -> None:
    """Vetting a URL and writing its hints (expiry, share page, plain http) never raises, whatever the string."""
    url = parts[0] + "".join(parts[1])
    limits = Limits()
    run = FetchRun(url, limits, InspectSink(limits))
    hop = run.first_hop()
    _, findings = run.finish(None)
    assert hop is not None or findings[0].code.startswith("url.")
