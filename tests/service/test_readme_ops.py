"""The service page names every metric the service really has (settings: test_settings_and_serve)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support.docs import read_doc


def test_every_metric_is_documented(client: TestClient) -> None:
    """Each metric family a scrape returns is named in the metrics table (and the table names no other)."""
    families = {family.name for family in text_string_to_metric_families(client.get("/metrics").text)
                if not family.name.endswith("_created")}
    section = read_doc("service")
    table = {name.removesuffix("_total") for name in re.findall(r"`(mediacheck_[a-z_]+)`", section)}
    assert families <= table, families - table
    assert table <= families, table - families
