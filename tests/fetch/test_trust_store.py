"""The fetcher's TLS trust is certifi's CA bundle, exactly: not the OS store, not the environment's."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import pytest
import trustme

from mediacheck._fetch import SafeFetcher, _default_ssl_context
from tests.fetch.conftest import LOOPBACK, StubResolver, fetch_with
from tests.support.servers import LoopbackServer, Static


def _bundle_ders(path: str) -> set[bytes]:
    """The DER bytes of every certificate in a PEM bundle."""
    text = Path(path).read_text(encoding="utf-8")
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    return {ssl.PEM_cert_to_DER_cert(begin + block.split(begin, 1)[1] + end)
            for block in text.split(end) if begin in block}


def _os_bundle() -> str | None:
    cafile = ssl.get_default_verify_paths().cafile
    return cafile if cafile is not None and Path(cafile).is_file() else None


class TestTrustStore:
    """Which certificate authorities a default SafeFetcher trusts."""

    def test_default_context_trusts_exactly_certifis_bundle(self) -> None:
        """The CAs loaded are certifi's, one for one: none missing, none added from elsewhere."""
        loaded = {bytes(der) for der in _default_ssl_context().get_ca_certs(binary_form=True)}
        assert loaded == _bundle_ders(certifi.where())

    def test_default_context_verifies_names_and_certificates(self) -> None:
        """The context demands a valid certificate for the host name (no downgrade to CERT_NONE)."""
        context = _default_ssl_context()
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2

    def test_os_store_only_authorities_are_not_trusted(self) -> None:
        """A CA the OS bundle has and certifi does not is not trusted (httpx2's own default would trust it)."""
        os_bundle = _os_bundle()
        if os_bundle is None:
            pytest.skip("this system has no OpenSSL CA bundle file")
        os_only = _bundle_ders(os_bundle) - _bundle_ders(certifi.where())
        loaded = {bytes(der) for der in _default_ssl_context().get_ca_certs(binary_form=True)}
        assert not os_only & loaded

    def test_fetcher_uses_the_pinned_context(self, short_mp3: bytes) -> None:
        """A fetcher built without ``verify`` checks certificates with the pinned context, not one of its own."""
        ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("media.test").configure_cert(server_context)
        resolver = StubResolver({"media.test": [["127.0.0.1"]]})
        with LoopbackServer({"/a.mp3": Static(short_mp3)}, ssl_context=server_context) as server, \
                SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
            assert fetcher._ssl_context is _default_ssl_context()
            report = fetcher.check(f"https://media.test:{server.port}/a.mp3")
        assert [f.code for f in report.errors] == ["access.tls"]


class TestNothingFromTheEnvironment:
    """The fetch SSL context reads no environment variable: SSLKEYLOGFILE cannot make it write TLS secrets."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_sslkeylogfile_is_ignored(self, mode: str, short_mp3: bytes, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
        """With SSLKEYLOGFILE set, a successful TLS fetch over loopback writes no key log file."""
        ca = trustme.CA()
        bundle = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        # The server's context is made first: ssl.create_default_context would itself obey SSLKEYLOGFILE.
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("media.test").configure_cert(server_context)
        keylog = tmp_path / "keys.log"
        monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
        # The pinned context trusts "certifi's bundle": here, the test CA's, so the handshake completes.
        monkeypatch.setattr(certifi, "where", lambda: str(bundle))
        monkeypatch.setattr("mediacheck._fetch._DEFAULT_SSL_CONTEXT", None)
        resolver = StubResolver({"media.test": [["127.0.0.1"]]})
        with LoopbackServer({"/a.mp3": Static(short_mp3)}, ssl_context=server_context) as server, \
                SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
            report = fetch_with(fetcher, f"https://media.test:{server.port}/a.mp3", mode)
        assert report.ok, report.findings
        assert not keylog.exists()
