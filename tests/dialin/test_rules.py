"""The field rules of a dial-in config body, each shown failing and passing (no network: no URLs to check)."""

from __future__ import annotations

from typing import Any

import pytest

from mediacheck import Severity
from mediacheck._dialin import DialinFinding, DialinReport, lint_dialin_config

PIN_BODY: dict[str, Any] = {
    "type": "pin_dialin",
    "phone_number": "+18058700061",
    "name_prefix": "Customer1",
    "ivr_greeting": {"message": "Welcome, please enter your PIN"},
    "timeout_config": {"message": "No agent is available right now"},
}
PINLESS_BODY: dict[str, Any] = {
    "type": "pinless_dialin",
    "name_prefix": "Customer1",
    "hmac": "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0=",
    "timeout_config": {"message": "No agent is available right now"},
}


def lint(body: object, **kwargs: Any) -> DialinReport:
    """Lint with hold-music fetching off: these tests are about the fields alone."""
    return lint_dialin_config(body, check_hold_music=False, **kwargs)  # type: ignore[arg-type]


def only(report: DialinReport, path: str) -> DialinFinding:
    """The one finding about ``path``."""
    found = report.for_field(path)
    assert len(found) == 1, report.to_dict()
    return found[0]


class TestPassingBodies:
    def test_pin_body_passes_clean(self) -> None:
        """A complete pin_dialin body has no findings at all."""
        report = lint(PIN_BODY)
        assert report.ok
        assert report.findings == ()
        assert report.to_dict() == {"ok": True, "findings": [], "hold_music": None}

    def test_pinless_body_without_urls_passes_clean(self) -> None:
        """A pinless_dialin body passes with no phone number (the decisions table: optional for pinless)."""
        report = lint(PINLESS_BODY)
        assert report.ok
        assert report.findings == ()


class TestType:
    def test_missing_type_is_an_error(self) -> None:
        """A body without `type` fails on `type`."""
        body = {k: v for k, v in PIN_BODY.items() if k != "type"}
        finding = only(lint(body), "type")
        assert (finding.code, finding.severity) == ("field.required", Severity.ERROR)

    @pytest.mark.parametrize(("given", "nearest"), [
        ("pinless", "pinless_dialin"), ("pinles_dialin", "pinless_dialin"), ("PIN_DIALIN", "pin_dialin"),
        ("pin-dialin", "pin_dialin"), ("pin_dial_in", "pin_dialin"),
    ])
    def test_misspelled_type_suggests_the_nearest_kind(self, given: str, nearest: str) -> None:
        """A misspelled `type` is an error whose hint names the nearest real kind."""
        report = lint({**PIN_BODY, "type": given})
        finding = only(report, "type")
        assert not report.ok
        assert finding.code == "type.unknown"
        assert finding.hint == f"Did you mean `{nearest}`?"

    def test_unrelated_type_lists_both_kinds(self) -> None:
        """A `type` nothing like either kind gets a hint naming both."""
        finding = only(lint({**PIN_BODY, "type": "sip"}), "type")
        assert finding.hint is not None
        assert "pinless_dialin" in finding.hint
        assert "pin_dialin" in finding.hint

    def test_type_of_wrong_json_type(self) -> None:
        """A `type` that is not a string is a type error on `type`."""
        finding = only(lint({**PIN_BODY, "type": 1}), "type")
        assert finding.code == "field.type"
        assert "a number" in finding.message


class TestPhoneNumber:
    def test_required_for_pin(self) -> None:
        """A pin_dialin body without `phone_number` fails (the prose, per the decisions table)."""
        body = {k: v for k, v in PIN_BODY.items() if k != "phone_number"}
        report = lint(body)
        assert not report.ok
        assert only(report, "phone_number").code == "field.required"

    def test_optional_for_pinless_but_checked_when_present(self) -> None:
        """A pinless body passes without a number, and its number is still held to E.164 when given."""
        assert lint(PINLESS_BODY).ok
        assert lint({**PINLESS_BODY, "phone_number": "+18058700061"}).ok
        assert only(lint({**PINLESS_BODY, "phone_number": "8058700061"}), "phone_number").code == \
            "phone_number.missing-plus"

    @pytest.mark.parametrize(("number", "codes", "fixed"), [
        ("+1 805 870 0061", ["phone_number.spaces"], "+18058700061"),
        ("+1-805-870-0061", ["phone_number.punctuation"], "+18058700061"),
        ("+1 (805) 870-0061", ["phone_number.spaces", "phone_number.punctuation"], "+18058700061"),
        ("+44 (0)20 7946 0958", ["phone_number.spaces", "phone_number.punctuation"], "+442079460958"),
        ("0044 20 7946 0958", ["phone_number.spaces", "phone_number.missing-plus"], "+442079460958"),
        ("18058700061", ["phone_number.missing-plus"], None),
        ("+1805870006123456", ["phone_number.too-long"], None),
        ("+12345", ["phone_number.too-short"], None),
        ("+08058700061", ["phone_number.country-code"], None),
        ("+1-800-FLOWERS", ["phone_number.letters", "phone_number.punctuation"], None),
        ("+", ["phone_number.no-digits"], None),
        ("+1805+8700061", ["phone_number.punctuation"], "+18058700061"),
    ])
    def test_says_what_is_wrong(self, number: str, codes: list[str], fixed: str | None) -> None:
        """Each way a number misses E.164 gets its own code, and the E.164 form is offered when it is clear."""
        report = lint({**PIN_BODY, "phone_number": number})
        findings = report.for_field("phone_number")
        assert not report.ok
        assert [f.code for f in findings] == codes
        assert all(f.severity is Severity.ERROR and f.hint for f in findings)
        if fixed is not None:
            assert all(f"In E.164: {fixed}." in (f.hint or "") for f in findings)
        else:
            assert not any("In E.164" in (f.hint or "") for f in findings)

    def test_too_long_message_counts_the_digits(self) -> None:
        """The too-long finding says how many digits there are and the limit."""
        finding = only(lint({**PIN_BODY, "phone_number": "+1805870006123456"}), "phone_number")
        assert "16 digits" in finding.message
        assert "15" in finding.message

    @pytest.mark.parametrize("number", ["+18058700061", "+442079460958", "+2901234", "+123456789012345"])
    def test_e164_numbers_pass(self, number: str) -> None:
        """Well-formed E.164 numbers from 7 to 15 digits pass."""
        assert lint({**PIN_BODY, "phone_number": number}).ok

    @pytest.mark.parametrize(("value", "code"), [(18058700061, "field.type"), ("", "field.empty"),
                                                 (None, "field.type")])
    def test_wrong_type_or_empty(self, value: object, code: str) -> None:
        """A number sent as a JSON number, an empty string or null is an error on the field."""
        assert only(lint({**PIN_BODY, "phone_number": value}), "phone_number").code == code


class TestNamePrefix:
    @pytest.mark.parametrize(("value", "code"), [("", "field.empty"), ("   ", "field.empty"), (7, "field.type"),
                                                 (["a"], "field.type")])
    def test_must_be_a_non_empty_string(self, value: object, code: str) -> None:
        """`name_prefix` must be a non-empty string."""
        report = lint({**PIN_BODY, "name_prefix": value})
        assert not report.ok
        assert only(report, "name_prefix").code == code

    def test_optional(self) -> None:
        """`name_prefix` may be left out."""
        assert lint({k: v for k, v in PIN_BODY.items() if k != "name_prefix"}).ok


class TestHmac:
    @pytest.mark.parametrize(("secret", "hint_part"), [
        ("9jyatvPWQfBymCGDOYPYKF_TRZXR-08Gj4bvPF78pH0=", "URL-safe"),
        ("9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0", "padding"),
        ("9jyatvPWQfBymCGD OYPYKF/TRZXR+08Gj4bvPF78pH0=", "spaces"),
        ("not a secret!", "spaces"),
        ("s3cr3t!", "exactly as issued"),
    ])
    def test_not_base64_is_an_error(self, secret: str, hint_part: str) -> None:
        """A secret that is not standard base64 fails, with a hint at the likely cause."""
        report = lint({**PINLESS_BODY, "hmac": secret})
        finding = only(report, "hmac")
        assert not report.ok
        assert finding.code == "hmac.not-base64"
        assert hint_part in (finding.hint or "")

    def test_short_secret_is_a_warning(self) -> None:
        """A valid but very short secret passes with a warning."""
        report = lint({**PINLESS_BODY, "hmac": "c2VjcmV0"})
        assert report.ok
        assert only(report, "hmac").code == "hmac.short"

    def test_pinless_only(self) -> None:
        """`hmac` on a pin_dialin config is an error on `hmac`."""
        report = lint({**PIN_BODY, "hmac": PINLESS_BODY["hmac"]})
        assert not report.ok
        assert only(report, "hmac").code == "field.wrong-kind"


class TestKinds:
    @pytest.mark.parametrize(("name", "value"), [
        ("hmac", "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0="),
        ("room_creation_api", "https://your-app.example.com/api/dial"),
        ("hold_music_url", "https://example.com/static/ringtone.mp3"),
    ])
    def test_pinless_fields_on_a_pin_config(self, name: str, value: str) -> None:
        """A pinless-only field on a pin config is an error on that field, and nothing is resolved or fetched."""
        report = lint_dialin_config({**PIN_BODY, name: value},
                                    resolver=lambda host, port: pytest.fail(f"resolved {host}"))
        finding = only(report, name)
        assert not report.ok
        assert finding.code == "field.wrong-kind"
        assert "pinless_dialin" in finding.message
        assert report.hold_music is None

    def test_ivr_greeting_on_a_pinless_config(self) -> None:
        """`ivr_greeting` on a pinless config is an error on `ivr_greeting`."""
        report = lint({**PINLESS_BODY, "ivr_greeting": {"message": "Hi"}})
        assert not report.ok
        assert only(report, "ivr_greeting").code == "field.wrong-kind"

    def test_timeout_config_on_both_kinds(self) -> None:
        """`timeout_config` is accepted by both kinds."""
        for body in (PIN_BODY, PINLESS_BODY):
            report = lint({**body, "timeout_config": {"message": "Please hold"}})
            assert report.ok
            assert report.for_field("timeout_config") == ()


class TestMessageObjects:
    @pytest.mark.parametrize("name", ["timeout_config", "ivr_greeting"])
    def test_needs_a_message(self, name: str) -> None:
        """An object without `message` fails on `<field>.message`."""
        report = lint({**PIN_BODY, name: {}})
        assert not report.ok
        assert only(report, f"{name}.message").code == "field.required"

    @pytest.mark.parametrize(("message", "code"), [("", "field.empty"), (42, "field.type"), (None, "field.type")])
    def test_message_must_be_a_non_empty_string(self, message: object, code: str) -> None:
        """The message is a non-empty string, and the finding names the path `timeout_config.message`."""
        report = lint({**PIN_BODY, "timeout_config": {"message": message}})
        assert only(report, "timeout_config.message").code == code

    @pytest.mark.parametrize("value", ["No agent", ["No agent"], None])
    def test_must_be_an_object(self, value: object) -> None:
        """A bare string (or anything but an object) is a type error on the field."""
        report = lint({**PIN_BODY, "ivr_greeting": value})
        finding = only(report, "ivr_greeting")
        assert finding.code == "field.type"
        assert '{"message": "..."}' in (finding.hint or "")

    def test_misspelled_inner_key(self) -> None:
        """A typo inside the object is a warning on its path with the nearest key, plus the missing message."""
        report = lint({**PIN_BODY, "timeout_config": {"mesage": "No agent"}})
        typo = only(report, "timeout_config.mesage")
        assert (typo.code, typo.severity) == ("field.unknown", Severity.WARNING)
        assert typo.hint == "Did you mean `timeout_config.message`?"
        assert only(report, "timeout_config.message").code == "field.required"


class TestUnknownFields:
    @pytest.mark.parametrize(("name", "nearest"), [("hold_music", "hold_music_url"), ("phoneNumber", "phone_number"),
                                                   ("room_creation_url", "room_creation_api"),
                                                   ("name-prefix", "name_prefix")])
    def test_typo_is_a_warning_with_the_nearest_field(self, name: str, nearest: str) -> None:
        """An unknown field passes with a warning that names the field it was probably meant to be."""
        report = lint({**PIN_BODY, name: "x"})
        finding = only(report, name)
        assert report.ok
        assert (finding.code, finding.severity) == ("field.unknown", Severity.WARNING)
        assert finding.hint == f"Did you mean `{nearest}`?"

    def test_unrelated_field_lists_the_known_fields(self) -> None:
        """An unknown field like nothing known gets the list of known fields."""
        finding = only(lint({**PIN_BODY, "zzz": 1}), "zzz")
        assert "hold_music_url" in (finding.hint or "")


class TestBodyShape:
    @pytest.mark.parametrize("body", [[], "pin_dialin", None, 3])
    def test_non_object_body(self, body: object) -> None:
        """A body that is not a JSON object is one error on the whole body, not a traceback."""
        report = lint(body)
        assert not report.ok
        assert [(f.field, f.code) for f in report.findings] == [("", "field.type")]

    def test_report_json_shape(self) -> None:
        """The JSON form has exactly ok, findings (field, code, severity, message, hint) and hold_music."""
        data = lint({**PIN_BODY, "phone_number": "+1 805 870 0061"}).to_dict()
        assert list(data) == ["ok", "findings", "hold_music"]
        assert data["ok"] is False
        assert list(data["findings"][0]) == ["field", "code", "severity", "message", "hint"]
        assert data["findings"][0]["severity"] == "error"
