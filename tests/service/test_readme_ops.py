"""The README's service section names every metric the service really has (settings: test_settings_and_serve)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

README = Path(__file__).resolve().parents[2] / "README.md"


def _service_section() -> str:
    match = re.search(r"<!-- section:service -->(.*?)<!-- /section:service -->", README.read_text(), re.DOTALL)
    assert match, "README.md has no service section"
    return match.group(1)


def test_every_metric_is_documented(client: TestClient) -> None:
    """Each metric family a scrape returns is named in the metrics table (and the table names no other)."""
    families = {family.name for family in text_string_to_metric_families(client.get("/metrics").text)
                if not family.name.endswith("_created")}
    section = _service_section()
    table = {name.removesuffix("_total") for name in re.findall(r"`(mediacheck_[a-z_]+)`", section)}
    assert families <= table, families - table
    assert table <= families, table - families
