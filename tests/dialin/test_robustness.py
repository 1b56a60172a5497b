"""Whatever JSON arrives, the lint answers with a report (never a traceback), and its verdict matches its findings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediacheck import DialinReport, Severity, lint_dialin_config
from mediacheck._dialin import FIELD_KINDS, parse_config_json
from mediacheck._dialin_json import MAX_NESTING
from tests.dialin.conftest import PUBLIC_ADDRESS

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(["pinless_dialin", "pin_dialin", "+18058700061", "+1 805", "https://your-app.example.com/x",
                     "http://10.0.0.1/", "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0=", ""]),
    st.fixed_dictionaries({"message": json_values}),
)
bodies = st.dictionaries(st.sampled_from([*FIELD_KINDS, "hold_music", "id"]), field_values, max_size=9)


def public(host: str, port: int) -> Sequence[str]:
    """A stub resolver: every name is on a public address (nothing is ever connected to)."""
    return [PUBLIC_ADDRESS]


def consistent(report: DialinReport) -> None:
    """The report's verdict and JSON agree with its findings, and every finding is well formed."""
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["ok"] is (not any(f.severity is Severity.ERROR for f in report.findings))
    for finding in report.findings:
        assert finding.code
        assert finding.message.endswith(".")


@settings(max_examples=100, deadline=None)
@given(bodies)
def test_any_body_gets_a_report(body: dict[str, Any]) -> None:
    """Any mix of known and unknown fields with any JSON values gets a consistent report."""
    consistent(lint_dialin_config(body, check_hold_music=False, resolver=public))


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_value_gets_a_report(value: Any) -> None:
    """Any JSON value at all (arrays, strings, null) gets a report: a non-object is one error on the body."""
    report = lint_dialin_config(value, check_hold_music=False, resolver=public)
    consistent(report)
    if not isinstance(value, dict):
        assert report.codes() == ["field.type"]


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_parse_round_trips_json_without_duplicates(value: Any) -> None:
    """Parsing JSON text without duplicated keys gives the value json.loads gives, and no findings."""
    text = json.dumps(value)
    parsed, findings = parse_config_json(text)
    assert parsed == json.loads(text)
    assert findings == ()


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=60), json_values.map(lambda v: json.dumps(v).encode("utf-16"))))
def test_any_bytes_get_a_report(data: bytes) -> None:
    """Any bytes at all, given as the wire body, get a consistent report: never an exception."""
    consistent(lint_dialin_config(data, check_hold_music=False, resolver=public))


PIN = {"type": "pin_dialin", "phone_number": "+18058700061"}


@pytest.mark.parametrize(("data", "codes"), [
    (b"\xef\xbb\xbf" + json.dumps(PIN).encode(), ["field.bom"]),
    (json.dumps(PIN).encode("utf-16"), ["field.encoding"]),
    (json.dumps(PIN).encode("utf-32-le"), ["field.encoding"]),
    (b'{"type": ', ["field.json"]),
    (b'{"type": "\xff"}', ["field.json"]),
    (b"[" * 100_000 + b"]" * 100_000, ["field.json"]),
    (b'{"x":' * 100_000 + b"1" + b"}" * 100_000, ["field.json"]),
    (json.dumps(PIN)[:-1].encode() + b', "x": ' + b"9" * 5_000 + b"}", ["field.json"]),
    (json.dumps(PIN)[:-1].encode() + b', "x": ' + b'{"a": ' * 600 + b"1e400" + b"}" * 601, ["field.unknown"]),
])
def test_wire_bodies_are_judged_as_sent(data: bytes, codes: list[str]) -> None:
    """The body's bytes are judged as the API gets them: BOM, UTF-16/32, non-JSON and deep nesting are findings."""
    report = lint_dialin_config(data, check_hold_music=False)
    assert report.codes() == codes


def _nested(levels: int, open_: str = '{"a": ', close: str = "}") -> bytes:
    """A pinless body whose extra field makes it nest ``levels`` levels deep in all (the body itself is one)."""
    return ('{"type": "pinless_dialin", "x": ' + open_ * (levels - 1) + "1" + close * (levels - 1) + "}").encode()


@pytest.mark.parametrize(("open_", "close"), [('{"a": ', "}"), ("[", "]")])
def test_nesting_is_capped_at_the_same_depth_everywhere(open_: str, close: str) -> None:
    """A body nesting MAX_NESTING levels is read (the extra field is unknown); one level more is field.json,
    whatever the caller's stack: the cap comes before json.loads, whose own limit moves with the stack."""
    assert lint_dialin_config(_nested(MAX_NESTING, open_, close), check_hold_music=False).codes() == [
        "field.unknown"]
    deeper = lint_dialin_config(_nested(MAX_NESTING + 1, open_, close), check_hold_music=False)
    assert deeper.codes() == ["field.json"]
    assert deeper.findings[0].message == "The body is not valid JSON: it nests too deeply to be a dial-in config."

    def at_depth(depth: int) -> list[str]:
        if depth:
            return at_depth(depth - 1)
        return lint_dialin_config(_nested(MAX_NESTING + 1, open_, close), check_hold_music=False).codes()

    assert at_depth(100) == ["field.json"]  # the same answer from 100 frames further down the stack


@pytest.mark.parametrize(("url", "hold_music_code", "webhook_code"), [
    ("http:127.0.0.1/x", "url.invalid", "url.invalid"),
    ("https:x", "url.invalid", "url.invalid"),
    ("//xn--a/", "url.scheme", "url.scheme"),
    ("http://[::1/", "url.invalid", "url.invalid"),
    ("mailto:x", "url.scheme", "url.scheme"),
])
@pytest.mark.parametrize("field", ["hold_music_url", "room_creation_api"])
def test_odd_urls_in_url_fields_are_findings(url: str, hold_music_code: str, webhook_code: str, field: str) -> None:
    """The URL forms that once gave 500s are one url. error on their field and nothing else (nothing resolved or
    fetched), the same code for the hold music and the webhook: a wrong or missing scheme is url.scheme."""
    report = lint_dialin_config({"type": "pinless_dialin", field: url}, resolver=public)
    expected = hold_music_code if field == "hold_music_url" else webhook_code
    assert [(f.field, f.code, f.severity.value) for f in report.findings] == [(field, expected, "error")]


def test_punycode_webhook_host_is_vetted_not_raised() -> None:
    """A webhook on an invalid punycode name (xn--a.test) is resolved through the stub and vetted, no exception."""
    asked: list[str] = []

    def private(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return ["10.1.2.3"]

    report = lint_dialin_config({"type": "pinless_dialin", "room_creation_api": "https://xn--a.test/x"},
                                resolver=private)
    assert asked == ["xn--a.test"]
    assert [f.code for f in report.for_field("room_creation_api")] == ["access.blocked-address"]
