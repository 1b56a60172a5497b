"""The hints: direct links for share pages, presigned URL expiry, what a status means, labels and plain http."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mediacheck._hints import (
    content_type_finding,
    expiry_finding,
    presigned_expiry,
    share_page_finding,
    status_finding,
)
from mediacheck._report import Severity

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class TestSharePages:
    """A share page's hint carries the direct link that downloads the file."""

    @pytest.mark.parametrize(("url", "direct"), [
        ("https://www.dropbox.com/s/abc123/hold.mp3?dl=0", "https://www.dropbox.com/s/abc123/hold.mp3?dl=1"),
        ("https://www.dropbox.com/scl/fi/xyz/hold.mp3?rlkey=k1&dl=0",
         "https://www.dropbox.com/scl/fi/xyz/hold.mp3?rlkey=k1&dl=1"),
        ("https://drive.google.com/file/d/1AbC-d_E/view?usp=sharing",
         "https://drive.google.com/uc?export=download&id=1AbC-d_E"),
        ("https://drive.google.com/open?id=1AbC", "https://drive.google.com/uc?export=download&id=1AbC"),
        ("https://onedrive.live.com/redir?resid=ABC!123&authkey=x",
         "https://onedrive.live.com/download?resid=ABC!123&authkey=x"),
        ("https://contoso.sharepoint.com/:u:/g/personal/me/EAbc?e=x1",
         "https://contoso.sharepoint.com/:u:/g/personal/me/EAbc?e=x1&download=1"),
        ("https://github.com/acme/sounds/blob/main/hold/music.mp3",
         "https://raw.githubusercontent.com/acme/sounds/main/hold/music.mp3"),
    ])
    def test_direct_link_in_hint(self, url: str, direct: str) -> None:
        """The warning's hint names the direct download URL."""
        finding = share_page_finding(url)
        assert finding is not None
        assert finding.code == "url.share-page"
        assert finding.severity is Severity.WARNING
        assert finding.hint == f"Use the direct download link instead: {direct}"

    def test_short_onedrive_link_gets_the_manual_fix(self) -> None:
        """1drv.ms links cannot be rewritten, so the hint explains how to get the file's own address."""
        finding = share_page_finding("https://1drv.ms/u/s!AbCdEf")
        assert finding is not None
        assert "start the download" in (finding.hint or "")

    @pytest.mark.parametrize("url", [
        "https://www.dropbox.com/s/abc/hold.mp3?dl=1", "https://drive.google.com/uc?export=download&id=1",
        "https://raw.githubusercontent.com/a/b/main/x.mp3", "https://github.com/a/b/raw/main/x.mp3",
        "https://example.com/file/d/1/view", "http://[::1/s/abc?dl=0", "https://www.dropbox.com]/s/a?dl=0",
    ])
    def test_direct_links_are_left_alone(self, url: str) -> None:
        """URLs that already download the file (or that urllib cannot split) get no share-page warning."""
        assert share_page_finding(url) is None


class TestExpiry:
    """Presigned URLs say when they expire; an expired one fails."""

    @pytest.mark.parametrize(("url", "kind", "expires"), [
        ("https://b.s3.amazonaws.com/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261126T100000Z"
         "&X-Amz-Expires=604800&X-Amz-Signature=ab", "S3 presigned", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("https://storage.googleapis.com/b/a.mp3?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=20261126T110000Z"
         "&X-Goog-Expires=3600&X-Goog-Signature=ab", "Google Cloud Storage signed",
         datetime(2026, 11, 26, 12, tzinfo=UTC)),
        ("https://acct.blob.core.windows.net/c/a.mp3?sv=2022-11-02&se=2026-11-27T08:30:00Z&sr=b&sp=r&sig=x",
         "Azure SAS", datetime(2026, 11, 27, 8, 30, tzinfo=UTC)),
        ("https://d111.cloudfront.net/a.mp3?Expires=1795000000&Signature=x&Key-Pair-Id=K",
         "CloudFront signed", datetime.fromtimestamp(1795000000, tz=UTC)),
    ])
    def test_expiry_is_read(self, url: str, kind: str, expires: datetime) -> None:
        """Each provider's query parameters give the exact expiry instant."""
        assert presigned_expiry(url) == (kind, expires)

    def test_future_expiry_is_a_warning_with_the_date(self) -> None:
        """A URL valid for 7 more days warns and says when, in UTC and as a span."""
        url = ("https://b.s3.amazonaws.com/a.mp3?X-Amz-Date=20261126T120000Z&X-Amz-Expires=604800"
               "&X-Amz-Signature=ab")
        finding = expiry_finding(url, NOW)
        assert finding is not None
        assert (finding.code, finding.severity) == ("access.expiring-url", Severity.WARNING)
        assert "2026-12-03 12:00 UTC" in finding.message
        assert "in 7 days" in finding.message

    def test_expired_is_an_error(self) -> None:
        """A URL that expired an hour ago fails the check."""
        url = "https://acct.blob.core.windows.net/c/a.mp3?sv=2022-11-02&se=2026-11-26T11:00:00Z&sig=x"
        finding = expiry_finding(url, NOW)
        assert finding is not None
        assert (finding.code, finding.severity) == ("access.expiring-url", Severity.ERROR)
        assert "1 hour, 0 min ago" in finding.message

    @pytest.mark.parametrize("url", ["https://example.com/a.mp3", "https://example.com/a.mp3?se=soon&sig=x",
                                     "https://example.com/a.mp3?X-Amz-Date=junk&X-Amz-Expires=60",
                                     "https://example.com/a.mp3?Expires=never",
                                     "https://example.com/a.mp3?X-Amz-Date=20250101T000000Z&X-Amz-Expires=9" + "9" * 20,
                                     "https://example.com/a.mp3?X-Amz-Date=99991231T000000Z&X-Amz-Expires=99999999",
                                     "https://example.com/a.mp3?X-Amz-Date=20250101T000000Z&X-Amz-Expires=%C2%B2",
                                     "https://example.com/a.mp3?Expires=%C2%B2",
                                     "http://[::1/a.mp3?X-Amz-Date=20250101T000000Z&X-Amz-Expires=60"])
    def test_no_or_unreadable_expiry_is_silent(self, url: str) -> None:
        """Plain URLs and unreadable expiry values produce no finding rather than a wrong one."""
        assert expiry_finding(url, NOW) is None


@pytest.mark.parametrize(("status", "words"), [
    (401, "needs a login"), (403, "expired or invalid signature"), (404, "path is wrong"),
    (410, "deleted"), (500, "server failed"), (503, "server failed"), (418, "did not send the file"),
])
def test_status_messages_say_what_the_status_usually_means(status: int, words: str) -> None:
    """access.http-status names the status and its usual cause."""
    finding = status_finding(status, "https://example.com/a.mp3")
    assert finding.code == "access.http-status"
    assert finding.severity is Severity.ERROR
    assert f"HTTP {status}" in finding.message
    assert words in finding.message


@pytest.mark.parametrize(("content_type", "warned"), [
    ("audio/mpeg", False), ("Audio/MPEG; charset=binary", False), ("audio/mp3", True),
    ("application/octet-stream", True), ("text/html; charset=utf-8", True), (None, True),
])
def test_content_type_other_than_audio_mpeg_is_named(content_type: str | None, warned: bool) -> None:
    """Anything but audio/mpeg is a warning that names the label the server used."""
    finding = content_type_finding(content_type)
    assert (finding is not None) == warned
    if finding is not None and content_type is not None:
        assert content_type in finding.message
