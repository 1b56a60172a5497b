"""Inputs that once crashed the fetch below the service: each is a 200 report with a url. finding, never a 500."""

from __future__ import annotations

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

from tests.support.servers import LoopbackServer, Redirect


@pytest.mark.parametrize("url", [
    "http://example.com:\u00b2/a.mp3", "http://[::1]:\u00b9/a.mp3",  # str.isdigit() says yes, int() raises
    "http://[::1/a.mp3", "http://a]b/a.mp3",  # urlsplit raises, in the hints after the policy refused them
    "ftp://x/?X-Amz-Date=20250101T000000Z&X-Amz-Expires=999999999999999",  # a timedelta overflow
])
def test_urls_that_once_raised_are_refused_as_urls(client: TestClient, url: str) -> None:
    """URLs that made check_url raise (a 500 here) get a 200 report whose first finding is a url. one."""
    response = client.post("/v1/checks", json={"url": url})
    assert response.status_code == 200
    assert response.json()["findings"][0]["code"].startswith("url.")


def test_redirect_to_a_location_urllib_cannot_split_is_a_url_finding(client: TestClient) -> None:
    """A server redirecting to http://a]b/ gets a report refusing the hop, not a 500."""
    with LoopbackServer({"/a.mp3": Redirect("http://a]b/x.mp3")}) as server:
        response = client.post("/v1/checks", json={"url": server.url("/a.mp3")})
    assert response.status_code == 200
    assert response.json()["findings"][0]["code"] == "url.invalid"


@pytest.mark.parametrize(("path", "status"), [("/v1/checks", 422), ("/v1/dialin-configs/validate", 200)])
@pytest.mark.parametrize("body", [
    b'{"url": "ftp://x", "max_bytes": 1e400}',  # inf: JSON cannot carry it back in the 422's "input"
    b'{"url": "ftp://x", "max_seconds": -1e400}',
    b'{"url": "ftp://x\\ud800"}',  # a lone surrogate: no UTF-8 for it in the report's "target"
    b'{"url": "ftp://x", "\\udc80": 1}',
    b'{"hold_music_url": "https://x\\ud800.example/a.mp3", "room_creation_api": "\\udfff"}',
])
def test_bodies_python_cannot_write_back_get_a_json_answer(client: TestClient, path: str, status: int,
                                                           body: bytes) -> None:
    """A body with a lone surrogate or an out-of-range number is answered with JSON, never a 500: a check with a
    422 naming the bad field, a dial-in lint with its failing report (a config without `type` fails on `type`)."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    answer = response.json()
    if status == 422:
        assert answer["detail"][0]["loc"][0] == "body"
    else:
        assert answer["ok"] is False
        assert (answer["findings"][0]["field"], answer["findings"][0]["code"]) == ("type", "field.required")


def test_disconnect_mid_upload_is_answered_not_raised(client: TestClient) -> None:
    """When the ASGI server reports the client gone mid-upload, the route ends with a 400, not an exception."""
    head = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n\r\n"
            b"\xff\xfb\x90\x64" + b"\0" * 400)
    incoming: list[Message] = [{"type": "http.request", "body": head, "more_body": True}, {"type": "http.disconnect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/checks/upload", "raw_path": b"/v1/checks/upload", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 1), "server": ("testserver", 80), "state": dict(client.app_state),
    }
    anyio.run(client.app, scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 400
