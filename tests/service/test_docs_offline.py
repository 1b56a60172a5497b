"""/docs and /redoc work offline: their assets come from the installed package, and MEDIACHECK_DOCS=0 removes them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from mediacheck.service.settings import Settings

ASSET_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
EXPECTED_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}


@pytest.mark.parametrize(("page", "marker"), [("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc")])
def test_pages_reference_only_local_assets_and_they_are_served(client: TestClient, page: str, marker: str) -> None:
    """No URL in the page names another host, and every script, stylesheet and icon it names is served here."""
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "//" not in html.replace("<!--", "").replace("-->", "")  # no http://, https:// or //cdn... anywhere
    references = ASSET_REFERENCE.findall(html)
    assert len(references) >= 2  # the bundle and the icon, at least
    for reference in references:
        assert reference.startswith("/docs/assets/"), reference
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        suffix = reference[reference.rfind("."):]
        assert asset.headers["content-type"].split(";")[0] in EXPECTED_TYPES[suffix], reference
        assert len(asset.content) > 1000
    scripts = [client.get(reference).text for reference in references if reference.endswith(".js")]
    assert any(marker in script for script in scripts)


def test_swagger_ui_loads_this_services_document_and_no_validator(client: TestClient) -> None:
    """Swagger UI points at /openapi.json (served) and has its validator badge, which calls out, turned off."""
    html = client.get("/docs").text
    assert "url: '/openapi.json'" in html
    assert '"validatorUrl": null' in html
    assert client.get("/openapi.json").json()["info"]["title"] == "mediacheck"


def test_docs_off_removes_pages_assets_and_document(client_for: Callable[..., TestClient],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """MEDIACHECK_DOCS=0: /docs, /redoc, their assets and /openapi.json are all 404; the API still works."""
    monkeypatch.setenv("MEDIACHECK_DOCS", "0")
    assert Settings().docs is False
    client = client_for(docs=False)
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
    assert client.get("/healthz").status_code == 200
