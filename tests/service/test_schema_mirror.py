"""The service's response models name exactly the fields of the library's Report JSON, so the two cannot drift."""

from __future__ import annotations

from mediacheck import FetchInfo, Finding, MediaInfo, Redirect, Report, Severity
from mediacheck.service.schemas import FetchOut, FindingOut, MediaOut, RedirectOut, ReportOut


def test_response_models_mirror_report_to_dict() -> None:
    """Every key of Report.to_dict() (and its parts) is a field of the matching response model, and no more."""
    hop = Redirect("https://a.test/x", 302, "https://b.test/x")
    fetch = FetchInfo("https://b.test/x", 200, "audio/mpeg", (hop,), 10, 0.1)
    media = MediaInfo(format="mp3", bytes=10, complete=True)
    finding = Finding("format.junk", Severity.WARNING, "m", "h")
    report = Report("https://a.test/x", (finding,), media, fetch).to_dict()
    assert set(ReportOut.model_fields) == set(report)
    assert set(FindingOut.model_fields) == set(report["findings"][0])
    assert set(MediaOut.model_fields) == set(report["media"])
    assert set(FetchOut.model_fields) == set(report["fetch"])
    assert set(RedirectOut.model_fields) == set(report["fetch"]["redirects"][0])
    assert ReportOut.model_validate(report).model_dump() == report
