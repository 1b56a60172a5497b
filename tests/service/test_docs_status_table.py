"""The service page's table of refusals lists the answers of the guarded server too, with the setting behind each."""

from __future__ import annotations

import re
from pathlib import Path

from mediacheck.service import server
from tests.support.docs import read_doc

_ROW = re.compile(r"^\| (?P<status>\d{3}) \| (?P<when>.*) \|$", re.MULTILINE)


def _status_table() -> dict[int, str]:
    """status -> when, from the table under "Every refusal is JSON"."""
    section = read_doc("service").split("Every refusal is JSON", 1)[1].split("\n\n", 2)[1]
    return {int(row.group("status")): row.group("when") for row in _ROW.finditer(section)}


def test_every_status_the_server_refuses_with_has_a_row() -> None:
    """Each status service/server.py answers by itself (bad HTTP, slow or huge heads, slow bodies) is in the table."""
    refused = {int(status) for status in re.findall(r"_refuse\((\d{3})", Path(server.__file__).read_text())}
    assert refused == {400, 408, 431}
    assert refused <= set(_status_table())


def test_the_server_limit_rows_name_their_settings() -> None:
    """408 names the header and body deadlines and the body rate; 431 names the header cap."""
    table = _status_table()
    for setting in ("MEDIACHECK_HEADER_TIMEOUT_S", "MEDIACHECK_BODY_TIMEOUT_S", "MEDIACHECK_BODY_MIN_BYTES_PER_S"):
        assert f"`{setting}`" in table[408]
    assert "`MEDIACHECK_MAX_HEADER_BYTES`" in table[431]
    assert "not valid HTTP" in table[400]
