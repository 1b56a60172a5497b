"""The service is no internal-DNS oracle: what a refused host resolved to never appears in an answer.

A stranger who sends ``http://db.corp.internal/`` learns that the host has no public address, not that it is
10.1.2.3 in 10.0.0.0/8. The CLI and the library (a local user) keep the detail; the service's fetcher is built
with ``reveal_addresses=False``. DNS is a stub; no test connects anywhere but loopback.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence

import pytest
from fastapi.testclient import TestClient

from mediacheck import check_url
from mediacheck._fetch import SafeFetcher
from tests.support.servers import LoopbackServer, Redirect

SECRET = "10.1.2.3"
# Everything that would tell the caller where the name points: the address, its range, the range's kind.
TELLTALES = (SECRET, "10.0.0.0", "private", "::ffff:", "10.1.2")


class _InternalDns:
    """Internal names answer private addresses, as split-horizon DNS would; others do not exist."""

    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers

    def __call__(self, host: str, port: int) -> Sequence[str]:
        if host not in self.answers:
            raise OSError(-2, "Name or service not known")
        return self.answers[host]


def _assert_no_telltale(text: str) -> None:
    for telltale in TELLTALES:
        assert telltale not in text, f"{telltale!r} leaked: {text}"


@pytest.mark.parametrize("answers", [[SECRET], ["93.184.215.14", SECRET], [f"::ffff:{SECRET}"],
                                     [f"not an address {SECRET}"]])
def test_check_of_an_internal_name_shows_no_address(client_for: Callable[..., TestClient],
                                                    answers: list[str]) -> None:
    """/v1/checks on a name with private (or garbage) DNS answers says it has no public address, and nothing more."""
    client = client_for(resolver=_InternalDns({"db.corp.internal": answers}))
    response = client.post("/v1/checks", json={"url": "http://db.corp.internal/hold.mp3"})
    assert response.status_code == 200
    _assert_no_telltale(response.text)
    finding = response.json()["findings"][0]
    assert finding["code"] in ("access.blocked-address", "access.unreachable")
    assert "db.corp.internal has no" in finding["message"]


def test_redirect_to_an_internal_name_shows_no_address(client_for: Callable[..., TestClient]) -> None:
    """A public origin redirecting to an internal name gets the refusal of that hop, without its address."""
    client = client_for(resolver=_InternalDns({"db.corp.internal": [SECRET]}))
    with LoopbackServer({"/start.mp3": Redirect("http://db.corp.internal/hold.mp3")}) as server:
        response = client.post("/v1/checks", json={"url": server.url("/start.mp3")})
    _assert_no_telltale(response.text)
    assert response.json()["findings"][0]["code"] == "access.blocked-address"


def test_dialin_webhook_and_hold_music_show_no_address(client_for: Callable[..., TestClient]) -> None:
    """The dial-in route refuses an internal webhook and hold-music host without saying where they point."""
    client = client_for(resolver=_InternalDns({"hooks.corp.internal": [SECRET], "music.corp.internal": [SECRET]}))
    body = {"type": "pinless_dialin", "room_creation_api": "https://hooks.corp.internal/dial",
            "hold_music_url": "https://music.corp.internal/hold.mp3"}
    response = client.post("/v1/dialin-configs/validate", json=body)
    assert response.status_code == 200
    _assert_no_telltale(response.text)
    codes = {(f["field"], f["code"]) for f in response.json()["findings"]}
    assert {("room_creation_api", "access.blocked-address"), ("hold_music_url", "access.blocked-address")} <= codes


def test_failed_connect_shows_no_address(client_for: Callable[..., TestClient]) -> None:
    """A refused connection to an allowed address is 'connection refused', not the address asyncio names."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connecting is refused
        client = client_for(resolver=_InternalDns({"media.corp.internal": ["127.0.0.1"]}))
        response = client.post("/v1/checks", json={"url": f"http://media.corp.internal:{port}/a.mp3"})
    assert "127.0.0.1" not in response.text
    finding = response.json()["findings"][0]
    assert (finding["code"], finding["message"]) == (
        "access.unreachable", f"Could not fetch http://media.corp.internal:{port}/a.mp3: connection refused.")


def test_the_library_keeps_the_detail_for_its_local_user() -> None:
    """check_url and a default SafeFetcher (the CLI's) still say which address was refused and why."""
    with SafeFetcher(resolver=_InternalDns({"db.corp.internal": [SECRET]})) as fetcher:
        report = fetcher.check("http://db.corp.internal/hold.mp3")
    assert report.errors[0].message == (
        "Refused to connect: db.corp.internal: 10.1.2.3 is private (10.0.0.0/8), not a public internet address.")
    literal = check_url(f"http://{SECRET}/hold.mp3")
    assert SECRET in json.dumps(literal.to_dict())


def test_an_address_the_caller_wrote_is_still_named() -> None:
    """An IP literal in the URL reveals nothing the caller did not send: its refusal keeps the reason."""
    with SafeFetcher(reveal_addresses=False) as fetcher:
        report = fetcher.check(f"http://{SECRET}/hold.mp3")
    assert report.errors[0].message == (
        "Refused to connect: 10.1.2.3 is private (10.0.0.0/8), not a public internet address.")
