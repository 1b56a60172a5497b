"""Bad requests get a 4xx JSON body that says what is wrong; library errors map to clean JSON answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from mediacheck import AudioToolsMissingError, InvalidLimitsError
from mediacheck.service.app import create_app
from tests.service.conftest import make_settings

URL = "https://example.com/hold.mp3"


class TestMalformedCheckRequests:
    """POST /v1/checks validates its body before anything is fetched."""

    @pytest.mark.parametrize(("body", "error_type"), [
        ({"url": URL, "colour": "blue"}, "extra_forbidden"),
        ({}, "missing"),
        ({"url": 42}, "string_type"),
        ({"url": ["x"]}, "string_type"),
        ({"url": ""}, "string_too_short"),
        ({"url": "https://example.com/" + "a" * 2030}, "string_too_long"),
        ({"url": URL, "max_bytes": "1000"}, "int_type"),
        ({"url": URL, "max_bytes": True}, "int_type"),
        ({"url": URL, "max_bytes": 1.5}, "int_type"),
        ({"url": URL, "max_bytes": 0}, "greater_than"),
        ({"url": URL, "max_bytes": 10**12}, "less_than_equal"),
        ({"url": URL, "max_seconds": -1}, "greater_than"),
        ({"url": URL, "max_seconds": "60"}, "float_type"),
        ({"url": URL, "max_seconds": 10**6}, "less_than_equal"),
        ([URL], "model_attributes_type"),
    ])
    def test_invalid_body_is_422_naming_the_problem(self, client: TestClient, body: Any, error_type: str) -> None:
        """Unknown fields, wrong types, out-of-range limits and over-long URLs are 422 with the error's type."""
        response = client.post("/v1/checks", json=body)
        assert response.status_code == 422
        assert error_type in [error["type"] for error in response.json()["detail"]]

    def test_url_of_2048_characters_is_accepted_as_a_question(self, client: TestClient) -> None:
        """The longest allowed URL passes validation (the answer is the library's, not a 422)."""
        url = "ftp://example.com/" + "a" * (2048 - len("ftp://example.com/"))
        response = client.post("/v1/checks", json={"url": url})
        assert response.status_code == 200
        assert response.json()["ok"] is False

    @pytest.mark.parametrize("raw", [b"{", b"{'url': 'x'}", b"", b"\xff\xfe", b"null", b"[1, 2"])
    def test_malformed_json_is_422(self, client: TestClient, raw: bytes) -> None:
        """A body that is not a JSON object is a 422 with a JSON body, never a 500."""
        response = client.post("/v1/checks", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422
        assert response.json()["detail"]

    def test_json_body_over_cap_is_413(self, client_for: Callable[..., TestClient]) -> None:
        """A JSON body over MEDIACHECK_MAX_JSON_BYTES is refused with a JSON 413 before it is parsed."""
        response = client_for(max_json_bytes=1000).post("/v1/checks", json={"url": URL, "pad": "x" * 5000})
        assert response.status_code == 413
        assert "at most 1,000" in response.json()["detail"]

    def test_unknown_path_is_404_json(self, client: TestClient) -> None:
        """Unknown paths answer JSON too."""
        response = client.get("/v1/nothing-here")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}

    def test_wrong_method_is_405_json(self, client: TestClient) -> None:
        """GET on a POST endpoint is 405 with a JSON body."""
        response = client.get("/v1/checks")
        assert response.status_code == 405
        assert response.json()["detail"]


class TestOperatorLimits:
    """MEDIACHECK_MAX_BYTES/_SECONDS are the ceiling: a request may lower the limits, never raise them."""

    @pytest.mark.parametrize(("limits", "name"), [
        ({"max_bytes": 5_000_001}, "max_bytes"),
        ({"max_bytes": 100_000_000}, "max_bytes"),  # once allowed to any caller
        ({"max_seconds": 30.001}, "max_seconds"),
        ({"max_seconds": 3600}, "max_seconds"),
    ])
    def test_raising_a_limit_is_a_422_naming_the_setting(self, client_for: Callable[..., TestClient],
                                                         limits: dict[str, Any], name: str) -> None:
        """Above the operator's limit is refused before anything is fetched, saying which setting caps it."""
        test_client = client_for(size_limit_bytes=5_000_000, duration_limit_s=30)
        response = test_client.post("/v1/checks", json={"url": URL, **limits})
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", name]
        assert error["type"] == "less_than_equal"
        expected = ("5,000,000 bytes (MEDIACHECK_MAX_BYTES)" if name == "max_bytes"
                    else "30 s (MEDIACHECK_MAX_SECONDS)")
        assert error["msg"] == f"{name} may only lower this service's limit of {expected}, not raise it"

    def test_the_operators_own_limits_may_be_asked_for(self, client_for: Callable[..., TestClient]) -> None:
        """Asking for exactly the operator's limits (or less) is a question, answered with a report."""
        test_client = client_for(size_limit_bytes=5_000_000, duration_limit_s=30)
        for limits in ({"max_bytes": 5_000_000, "max_seconds": 30}, {"max_bytes": 1, "max_seconds": 0.5}):
            assert test_client.post("/v1/checks", json={"url": "ftp://x", **limits}).status_code == 200

    def test_the_document_states_the_ceiling(self, client_for: Callable[..., TestClient]) -> None:
        """The OpenAPI document gives the operator's limits as the maximum of max_bytes and max_seconds."""
        document = client_for(size_limit_bytes=5_000_000, duration_limit_s=30).get("/openapi.json").json()
        fields = document["components"]["schemas"]["CheckRequest"]["properties"]
        assert fields["max_bytes"]["anyOf"][0]["maximum"] == 5_000_000
        assert fields["max_seconds"]["anyOf"][0]["maximum"] == 30
        query = {p["name"]: p for p in document["paths"]["/v1/checks/upload"]["post"]["parameters"]}
        assert query["max_bytes"]["schema"]["anyOf"][0]["maximum"] == 5_000_000
        assert query["max_seconds"]["schema"]["anyOf"][0]["maximum"] == 30


class TestOverRealHttp:
    """The same refusals come back through a real uvicorn, as JSON."""

    @pytest.mark.parametrize(("raw", "content_type", "status"), [
        (b"{", "application/json", 422),
        (b'{"url": "https://example.com/a.mp3", "extra": 1}', "application/json", 422),
        (b'{"url": "https://example.com/' + b"a" * 2100 + b'"}', "application/json", 422),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"url=https://example.com/a.mp3", "application/x-www-form-urlencoded", 422),
        (b"x" * 70_000, "application/json", 413),
    ])
    def test_refusals_are_json(self, live_for: Callable[..., str], raw: bytes, content_type: str,
                               status: int) -> None:
        """Malformed, unknown-field, over-long, undecodable, non-JSON and oversized bodies: 4xx with a JSON detail."""
        response = httpx.post(f"{live_for()}/v1/checks", content=raw, headers={"content-type": content_type},
                              timeout=30)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]


class TestLibraryErrors:
    """The one exception handler for MediacheckError turns the library's errors into JSON answers."""

    def _client_raising(self, exc: Exception) -> TestClient:
        app = create_app(make_settings())

        async def boom() -> None:
            raise exc

        app.add_api_route("/boom", boom)
        return TestClient(app)

    def test_usage_error_is_422(self) -> None:
        """A UsageError (the caller's mistake) is a 422 carrying the library's message."""
        with self._client_raising(InvalidLimitsError("timeout_s", -1)) as test_client:
            response = test_client.get("/boom")
        assert response.status_code == 422
        assert response.json() == {"detail": "Limits.timeout_s must be a positive finite number, got -1"}

    def test_other_library_errors_are_a_plain_500(self) -> None:
        """Any other MediacheckError is a fault on our side: a 500 with its message, not a traceback."""
        with self._client_raising(AudioToolsMissingError("no ffmpeg")) as test_client:
            response = test_client.get("/boom")
        assert response.status_code == 500
        assert response.json() == {"detail": "no ffmpeg"}
