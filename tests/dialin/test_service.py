"""`POST /v1/dialin-configs/validate`: the DialinReport over HTTP, with the same auth and limits as /v1/checks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediacheck.service.app import create_app
from mediacheck.service.settings import Settings

PATH = "/v1/dialin-configs/validate"
PIN_BODY: dict[str, Any] = {"type": "pin_dialin", "phone_number": "+18058700061",
                            "ivr_greeting": {"message": "Welcome"}}


def make_client(**settings: Any) -> TestClient:
    """A TestClient over an app whose settings ignore the developer's environment."""
    values: dict[str, Any] = {"allow_networks": ("127.0.0.0/8",), "api_keys": ()}
    values.update(settings)
    return TestClient(create_app(Settings(**values)))


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A running app with default settings plus the loopback exemption."""
    with make_client() as test_client:
        yield test_client


class TestValidate:
    def test_passing_body(self, client: TestClient) -> None:
        """A good pin config answers 200 with ok true and no findings."""
        response = client.post(PATH, json=PIN_BODY)
        assert response.status_code == 200
        assert response.json() == {"ok": True, "findings": [], "hold_music": None}

    def test_failing_body_is_still_200(self, client: TestClient) -> None:
        """A failing config answers 200 with ok false and findings naming the fields."""
        response = client.post(PATH, json={"type": "pin_dialin", "phone_number": "+1 805 870 0061",
                                           "ivr_greting": {"message": "Hi"}})
        assert response.status_code == 200
        data = response.json()
        assert data["ok"] is False
        assert [(f["field"], f["code"]) for f in data["findings"]] == [
            ("phone_number", "phone_number.spaces"), ("ivr_greting", "field.unknown")]
        assert data["findings"][1]["hint"] == "Did you mean `ivr_greeting`?"

    def test_duplicate_keys_are_warned_about(self, client: TestClient) -> None:
        """A key the raw JSON gives twice is a warning on its path, as in the CLI."""
        raw = '{"type": "pin_dialin", "phone_number": "+18058700061", "ivr_greeting": {"message": "a", "message": "b"}}'
        response = client.post(PATH, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 200
        assert [(f["field"], f["code"]) for f in response.json()["findings"]] == [
            ("ivr_greeting.message", "field.duplicate")]

    @pytest.mark.parametrize("body", [[PIN_BODY], "pin_dialin", 3])
    def test_non_object_body_is_422(self, client: TestClient, body: object) -> None:
        """A JSON body that is not an object is refused as a validation error."""
        assert client.post(PATH, json=body).status_code == 422

    def test_body_over_the_json_cap_is_413(self) -> None:
        """The JSON body cap of the service applies here too."""
        with make_client(max_json_bytes=200) as client:
            response = client.post(PATH, json={**PIN_BODY, "name_prefix": "x" * 500})
        assert response.status_code == 413


class TestOddBodies:
    """Bodies whose bytes are not plain UTF-8 JSON get a report with findings, never a 500."""

    def test_byte_order_mark_is_a_warning(self, client: TestClient) -> None:
        """A UTF-8 body with a byte order mark is linted, with a field.bom warning on the body."""
        response = client.post(PATH, content=b"\xef\xbb\xbf" + json.dumps(PIN_BODY).encode(),
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 200
        assert [(f["field"], f["code"]) for f in response.json()["findings"]] == [("", "field.bom")]

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-le"])
    def test_utf16_and_utf32_fail_with_field_encoding(self, client: TestClient, encoding: str) -> None:
        """A UTF-16/32 body is linted and fails on field.encoding: the API expects UTF-8."""
        response = client.post(PATH, content=json.dumps(PIN_BODY).encode(encoding),
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 200
        data = response.json()
        assert data["ok"] is False
        assert [(f["field"], f["code"], f["severity"]) for f in data["findings"]] == [
            ("", "field.encoding", "error")]

    @pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a": ', "}")])
    def test_extra_field_nested_600_deep_holding_infinity(self, client: TestClient, open_: str, close: str) -> None:
        """An extra field nested 600 deep around 1e400 is one field.unknown warning."""
        raw = json.dumps(PIN_BODY)[:-1] + ', "x": ' + open_ * 600 + "1e400" + close * 600 + "}"
        response = client.post(PATH, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 200
        assert [(f["field"], f["code"]) for f in response.json()["findings"]] == [("x", "field.unknown")]


    @pytest.mark.parametrize("raw", ['{"x":' * 100_000 + "1" + "}" * 100_000, "[" * 100_000 + "]" * 100_000])
    def test_body_nested_100000_deep_is_413(self, client: TestClient, raw: str) -> None:
        """A body nested 100,000 deep is over the JSON body cap: a 413 JSON answer before any parse."""
        response = client.post(PATH, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert "takes at most" in response.json()["detail"]

    def test_integer_too_long_to_read_is_a_4xx(self, client: TestClient) -> None:
        """An integer longer than Python converts is a 400 JSON answer, not a 500."""
        raw = json.dumps(PIN_BODY)[:-1] + ', "x": ' + "9" * 5_000 + "}"
        response = client.post(PATH, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.json()["detail"]

    @pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a": ', "}")])
    def test_bodies_nested_up_to_the_parse_limit_never_fail(self, client: TestClient, open_: str,
                                                            close: str) -> None:
        """Around the depth where json.loads gives up, a body is a report (200) or a 400 JSON answer, never a 500."""
        limit = sys.getrecursionlimit()
        for depth in range(limit - 100, limit + 1):
            raw = json.dumps(PIN_BODY)[:-1] + ', "x": ' + open_ * depth + "1e400" + close * depth + "}"
            response = client.post(PATH, content=raw, headers={"Content-Type": "application/json"})
            assert response.status_code in (200, 400), (depth, response.text)
            assert response.json()


class TestAuth:
    def test_api_key_required_when_configured(self) -> None:
        """With API keys set, a request without one is 401 and one with a key is answered."""
        with make_client(api_keys=("s3cret",)) as client:
            assert client.post(PATH, json=PIN_BODY).status_code == 401
            wrong = client.post(PATH, json=PIN_BODY, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            right = client.post(PATH, json=PIN_BODY, headers={"Authorization": "Bearer s3cret"})
            assert right.status_code == 200
            assert right.json()["ok"] is True


class TestOpenApi:
    def test_documents_a_pinless_and_a_pin_example(self, client: TestClient) -> None:
        """The OpenAPI document shows the route with a pinless and a pin example body, and the response model."""
        operation = client.get("/openapi.json").json()["paths"][PATH]["post"]
        examples = operation["requestBody"]["content"]["application/json"]["examples"]
        assert examples["pinless"]["value"]["type"] == "pinless_dialin"
        assert examples["pin"]["value"]["type"] == "pin_dialin"
        assert {"200", "401", "413", "422", "503"} <= set(operation["responses"])
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/DialinReportOut")

    def test_examples_pass_the_field_rules(self) -> None:
        """The documented examples are themselves valid configs (field rules only, nothing fetched)."""
        from mediacheck import lint_dialin_config
        from mediacheck.service.routes.dialin import PIN_EXAMPLE, PINLESS_EXAMPLE

        assert lint_dialin_config(PIN_EXAMPLE).ok
        report = lint_dialin_config(PINLESS_EXAMPLE, check_hold_music=False,
                                    resolver=lambda host, port: ["93.184.215.14"])
        assert report.ok, report.to_dict()
