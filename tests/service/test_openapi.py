"""The OpenAPI document describes every endpoint, and schemathesis finds no 5xx and no schema violation in it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from mediacheck._urlpolicy import FetchableUrl, check_url_policy
from mediacheck.service.app import create_app
from tests.service.conftest import make_settings, run_uvicorn


def _refusing_dns(host: str, port: int) -> Sequence[str]:
    # Every generated hostname "resolves" to a documentation address the guard refuses: no real lookups, no traffic.
    return ["192.0.2.1"]


API_KEY = "schemathesis-key"


def _app() -> Any:
    # Keys on, so schemathesis' auth checks (requests without or with a wrong key must get 401) apply too.
    return create_app(make_settings(allow_networks=(), max_upload_bytes=200_000, api_keys=(API_KEY,)),
                      resolver=_refusing_dns)


# Loaded from the app itself at import (schemathesis' lazy fixture loader does not work with pytest 9);
# the cases are sent to a real uvicorn serving the same app.
schema = schemathesis.openapi.from_dict(_app().openapi())


@pytest.fixture(scope="module")
def live_base() -> Iterator[str]:
    """A real uvicorn on loopback serving the app whose document the cases come from."""
    with run_uvicorn(_app()) as base:
        yield base


def _would_reach_a_public_ip(case: Any) -> bool:
    # IP literals skip DNS, so a generated public one would be a real connection; such cases are not sent.
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("url"), str):
        return False
    fetchable = check_url_policy(body["url"])
    if not isinstance(fetchable, FetchableUrl):
        return False
    try:
        ipaddress.ip_address(fetchable.host)
    except ValueError:
        return False
    return True


def _query_lost_on_the_wire(case: Any) -> bool:
    # A query parameter whose value is [] or {} is not sent at all, so the request on the wire is a valid one;
    # schemathesis would still judge it as the "additional property" it generated and flag its acceptance.
    query = case.query
    return isinstance(query, dict) and any(value in ([], {}) for value in query.values())


@pytest.mark.ffmpeg
@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: Any, live_base: str) -> None:
    """Generated requests (valid and invalid) never get a 5xx, and every answer matches the documented schema."""
    if _would_reach_a_public_ip(case) or _query_lost_on_the_wire(case):
        return
    case.call_and_validate(base_url=live_base, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)


class TestDocument:
    """/openapi.json and /docs describe the service for its users."""

    def test_every_operation_documents_its_answers(self, client: TestClient) -> None:
        """Each operation has a summary, a 200 schema, and POSTs an example body or schema."""
        document = client.get("/openapi.json").json()
        mine = {"/healthz": "get", "/v1/checks": "post", "/v1/checks/upload": "post"}
        for path, method in mine.items():
            operation = document["paths"][path][method]
            assert operation["summary"]
            assert "schema" in operation["responses"]["200"]["content"]["application/json"]
        check_body = document["components"]["schemas"]["CheckRequest"]
        assert check_body["examples"][0]["url"].startswith("https://")
        assert check_body["additionalProperties"] is False
        assert document["components"]["schemas"]["ReportOut"]["examples"][0]["findings"][0]["code"]
        upload = document["paths"]["/v1/checks/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]
        assert upload["schema"]["properties"]["file"]["format"] == "binary"
        for status in ("400", "401", "413", "429", "503"):
            assert status in document["paths"]["/v1/checks"]["post"]["responses"]

    def test_bearer_scheme_is_declared_when_keys_are_set(self, client_for: Callable[..., TestClient]) -> None:
        """With API keys configured, /v1 operations require an HTTP bearer security scheme."""
        document = client_for(api_keys=("k",)).get("/openapi.json").json()
        schemes = document["components"]["securitySchemes"]
        assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]
        assert document["paths"]["/v1/checks"]["post"]["security"]
        assert "security" not in document["paths"]["/healthz"]["get"]

    def test_no_security_claimed_without_keys(self, client: TestClient) -> None:
        """Without keys the document does not claim a token is needed (it is not)."""
        document = client.get("/openapi.json").json()
        assert "securitySchemes" not in document.get("components", {})
        assert all("security" not in operation for path in document["paths"].values()
                   for operation in path.values())

    def test_docs_page_is_served(self, client: TestClient) -> None:
        """The interactive docs page loads."""
        response = client.get("/docs")
        assert response.status_code == 200
        assert "swagger" in response.text.lower()


def test_app_module_builds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app() with no settings reads MEDIACHECK_* variables (here: an API key turns auth on)."""
    monkeypatch.setenv("MEDIACHECK_API_KEYS", "env-key")
    with TestClient(create_app()) as test_client:
        assert test_client.post("/v1/checks", json={"url": "https://example.com/a.mp3"}).status_code == 401
        assert test_client.get("/healthz").status_code == 200
