"""An S3 presigned URL signed with temporary credentials dies with them, whatever X-Amz-Expires says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mediacheck import Severity, check_url
from mediacheck._hints import expiry_finding, signed_with_temporary_credentials

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SIGV4 = ("https://b.s3.amazonaws.com/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAX%2F20261126"
         "&X-Amz-Date=20261126T100000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=ab")
TOKEN = "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr"


class TestTemporaryCredentials:
    """The token in the query is what tells a URL that can die within hours."""

    def test_token_turns_the_date_into_an_upper_bound(self) -> None:
        """With the token, the warning says the URL dies with the credentials, often within hours, and names
        the X-Amz-Expires date only as what the URL claims."""
        finding = expiry_finding(SIGV4 + TOKEN, NOW)
        assert finding is not None
        assert (finding.code, finding.severity) == ("access.expiring-url", Severity.WARNING)
        assert "temporary credentials (X-Amz-Security-Token)" in finding.message
        assert "stops working when they expire" in finding.message
        assert "often within hours" in finding.message
        assert "(it names 2026-12-03 10:00 UTC)" in finding.message
        assert "in 6 days" not in finding.message  # the date is not promised any more
        assert finding.hint is not None
        assert "temporary credentials" in finding.hint

    def test_without_the_token_the_date_is_the_expiry(self) -> None:
        """The same URL without the token keeps the plain expiry warning with its date and span."""
        finding = expiry_finding(SIGV4, NOW)
        assert finding is not None
        assert "expires at 2026-12-03 10:00 UTC (in 6 days, 22 hours)" in finding.message
        assert "temporary" not in finding.message

    def test_an_expired_date_is_still_an_error(self) -> None:
        """A token does not rescue a URL whose X-Amz-Expires has passed: it fails."""
        url = SIGV4.replace("X-Amz-Expires=604800", "X-Amz-Expires=60") + TOKEN
        finding = expiry_finding(url, NOW)
        assert finding is not None
        assert finding.severity is Severity.ERROR

    @pytest.mark.parametrize("url", [
        # Signature V2 with a session token: no X-Amz-Date, an epoch Expires.
        "https://b.s3.amazonaws.com/a.mp3?AWSAccessKeyId=ASIAX&Expires=1895000000&Signature=x"
        "&x-amz-security-token=IQo",
        # A token but no expiry the URL shows at all.
        "https://b.s3.amazonaws.com/a.mp3?X-Amz-Signature=ab&X-AMZ-SECURITY-TOKEN=IQo",
    ])
    def test_any_spelling_of_the_token_warns(self, url: str) -> None:
        """The parameter is matched without regard to case, with or without a readable expiry."""
        assert signed_with_temporary_credentials(url)
        finding = expiry_finding(url, NOW)
        assert finding is not None
        assert "temporary credentials" in finding.message

    def test_an_empty_token_is_not_one(self) -> None:
        """`X-Amz-Security-Token=` with no value signs nothing."""
        assert not signed_with_temporary_credentials(SIGV4 + "&X-Amz-Security-Token=")

    def test_the_check_of_such_a_url_carries_the_warning(self) -> None:
        """check_url adds the warning even when the fetch itself is refused (a loopback address: nothing sent)."""
        signed_now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        url = "http://127.0.0.1:9/a.mp3?" + SIGV4.split("?", 1)[1].replace("20261126T100000Z", signed_now) + TOKEN
        report = check_url(url)
        messages = [f.message for f in report.findings if f.code == "access.expiring-url"]
        assert len(messages) == 1
        assert "temporary credentials" in messages[0]
