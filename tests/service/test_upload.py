"""POST /v1/checks/upload: the multipart field `file` is streamed into the inspector, never buffered."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

BOUNDARY = "mediacheck-test-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def _head(name: str = "file", filename: str = "hold.mp3") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            "Content-Type: audio/mpeg\r\n\r\n").encode()


class TestVerdicts:
    """Uploads get the same verdicts as files checked by the library."""

    def test_good_mp3_passes(self, client: TestClient, good_mp3: bytes) -> None:
        """A short MP3 is accepted, and the report names the upload by its filename."""
        response = client.post("/v1/checks/upload", files={"file": ("hold.mp3", good_mp3, "audio/mpeg")})
        assert response.status_code == 200
        report = response.json()
        assert report["ok"] is True
        assert report["target"] == "hold.mp3"
        assert report["media"]["format"] == "mp3"
        assert report["media"]["bytes"] == len(good_mp3)
        assert report["fetch"] is None

    def test_wav_fails_as_not_mp3(self, client: TestClient, wav_bytes: bytes) -> None:
        """A WAV file named .mp3 is still a 200 answer, with ok false and format.not-mp3."""
        response = client.post("/v1/checks/upload", files={"file": ("hold.mp3", wav_bytes, "audio/mpeg")})
        assert response.status_code == 200
        report = response.json()
        assert report["ok"] is False
        assert "format.not-mp3" in [f["code"] for f in report["findings"]]

    def test_other_fields_are_ignored(self, client: TestClient, good_mp3: bytes) -> None:
        """Form fields before and after `file` do not disturb the check of `file`."""
        response = client.post("/v1/checks/upload", data={"note": "x" * 1000},
                               files={"file": ("hold.mp3", good_mp3, "audio/mpeg")})
        assert response.status_code == 200
        assert response.json()["media"]["bytes"] == len(good_mp3)

    def test_file_over_size_limit_gets_a_size_report(self, client_for: Callable[..., TestClient],
                                                     good_mp3: bytes) -> None:
        """A file over the size limit (but under the upload cap) is a 200 with size.too-large."""
        test_client = client_for(size_limit_bytes=len(good_mp3) // 2)
        response = test_client.post("/v1/checks/upload", files={"file": ("hold.mp3", good_mp3, "audio/mpeg")})
        assert response.status_code == 200
        report = response.json()
        assert report["ok"] is False
        assert "size.too-large" in [f["code"] for f in report["findings"]]


class TestStreaming:
    """The upload is read only as far as the verdict needs, over real HTTP."""

    def test_verdict_arrives_before_the_body_ends(self, live_for: Callable[..., str], dense_mp3: bytes) -> None:
        """A 64 MB chunked upload of MP3 against a 1 MB limit is answered after a small part of it was sent."""
        base = live_for(size_limit_bytes=1_000_000, max_upload_bytes=100_000_000)
        total = 64 * 1024 * 1024
        block = dense_mp3
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            yield _head()
            while sent < total:
                sent += len(block)
                yield block

        response = httpx.post(f"{base}/v1/checks/upload", content=body(), headers=MULTIPART, timeout=30)
        assert response.status_code == 200
        assert "size.too-large" in [f["code"] for f in response.json()["findings"]]
        assert response.headers["connection"] == "close"
        # Socket buffers hold a few MB on loopback; the rest was never produced.
        assert sent < total // 2

    def test_stalled_upload_is_408(self, live_for: Callable[..., str], good_mp3: bytes) -> None:
        """An upload that stops sending is answered 408 once MEDIACHECK_TIMEOUT_S has passed, freeing its slot."""
        base = live_for(timeout_s=0.5, max_concurrency=1)
        port = int(base.rsplit(":", 1)[1])
        head = _head()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(b"POST /v1/checks/upload HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: multipart/form-data; boundary=" + BOUNDARY.encode() + b"\r\n"
                         b"Content-Length: %d\r\n\r\n" % (len(head) + len(good_mp3) + 100) + head + good_mp3[:500])
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                part = sock.recv(65536)
                if not part:
                    break
                answer += part
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b"did not arrive within 0.5 s" in answer
        after = httpx.post(f"{base}/v1/checks/upload", files={"file": ("hold.mp3", good_mp3, "audio/mpeg")},
                           timeout=30)
        assert after.status_code == 200

    def test_body_over_upload_cap_is_413_before_reading(self, live_for: Callable[..., str]) -> None:
        """A declared Content-Length over MEDIACHECK_MAX_UPLOAD_BYTES is refused with a JSON 413."""
        base = live_for(max_upload_bytes=100_000)
        body = _head() + b"\0" * 200_000 + f"\r\n--{BOUNDARY}--\r\n".encode()
        response = httpx.post(f"{base}/v1/checks/upload", content=body, headers=MULTIPART, timeout=30)
        assert response.status_code == 413
        assert "100,000" in response.json()["detail"]

    def test_chunked_body_over_upload_cap_is_413(self, client_for: Callable[..., TestClient]) -> None:
        """A chunked body (no Content-Length) that grows past the cap is cut off there with a JSON 413."""
        test_client = client_for(max_upload_bytes=100_000, size_limit_bytes=10_000_000)

        def body() -> Iterator[bytes]:
            yield _head()
            for _ in range(50):
                yield b"\0" * 10_000

        response = test_client.post("/v1/checks/upload", content=body(), headers=MULTIPART)
        assert response.status_code == 413
        assert "exceeds 100,000 bytes" in response.json()["detail"]


class TestBadUploads:
    """Uploads that are not a well-formed form with a `file` field get a 4xx JSON body that says why."""

    def test_missing_file_field_is_422(self, client: TestClient, good_mp3: bytes) -> None:
        """A form without `file` is refused, naming the missing field."""
        response = client.post("/v1/checks/upload", files={"audio": ("hold.mp3", good_mp3, "audio/mpeg")})
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail[0]["loc"] == ["body", "file"]
        assert detail[0]["type"] == "missing"

    def test_not_multipart_is_415(self, client: TestClient, good_mp3: bytes) -> None:
        """A raw body (not multipart/form-data) is refused with 415 and what to send instead."""
        response = client.post("/v1/checks/upload", content=good_mp3, headers={"content-type": "audio/mpeg"})
        assert response.status_code == 415
        assert "multipart/form-data" in response.json()["detail"]

    def test_garbage_multipart_is_422(self, client: TestClient) -> None:
        """A body that does not start with the boundary is malformed: 422, not a 500."""
        response = client.post("/v1/checks/upload", content=b"this is not a form", headers=MULTIPART)
        assert response.status_code == 422
        assert "malformed" in response.json()["detail"][0]["msg"]

    def test_truncated_multipart_is_422(self, client: TestClient) -> None:
        """A body that ends inside the file part (no closing boundary) is refused rather than judged."""
        response = client.post("/v1/checks/upload", content=_head() + b"ID3\x04", headers=MULTIPART)
        assert response.status_code == 422
        assert "closing boundary" in response.json()["detail"][0]["msg"]

    def test_empty_file_is_a_report(self, client: TestClient) -> None:
        """An empty `file` is a well-formed question with a failing answer: 200, ok false."""
        response = client.post("/v1/checks/upload", files={"file": ("hold.mp3", b"", "audio/mpeg")})
        assert response.status_code == 200
        assert response.json()["ok"] is False


def _form(boundary: str, fields: int, mp3: bytes) -> bytes:
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"note{i}\"\r\n\r\nx\r\n" for i in range(fields)]
    return ("".join(parts) + f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n"
            "Content-Type: audio/mpeg\r\n\r\n").encode() + mp3 + f"\r\n--{boundary}--\r\n".encode()


def _multipart(boundary: str) -> dict[str, str]:
    return {"content-type": f"multipart/form-data; boundary={boundary}"}


class TestFormLimits:
    """A form with one file field needs a few parts and a short boundary; more is refused cheaply, never a 500."""

    def test_boundary_of_70_characters_is_accepted(self, client: TestClient, good_mp3: bytes) -> None:
        """RFC 2046's longest boundary (70 characters) works."""
        boundary = "b" * 70
        response = client.post("/v1/checks/upload", content=_form(boundary, 0, good_mp3), headers=_multipart(boundary))
        assert response.status_code == 200
        assert response.json()["ok"] is True

    @pytest.mark.parametrize("length", [71, 257, 300, 4000])
    def test_longer_boundary_is_a_json_422(self, client: TestClient, good_mp3: bytes, length: int) -> None:
        """A boundary past 70 characters (past 256 the parser itself raised: a 500) is refused naming the limit."""
        boundary = "b" * length
        response = client.post("/v1/checks/upload", content=_form(boundary, 0, good_mp3), headers=_multipart(boundary))
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["header", "content-type"]
        assert f"{length:,} characters; RFC 2046 allows at most 70" in detail["msg"]

    def test_sixteen_parts_are_accepted(self, client: TestClient, good_mp3: bytes) -> None:
        """Fifteen other fields and the file make 16 parts: served."""
        response = client.post("/v1/checks/upload", content=_form(BOUNDARY, 15, good_mp3), headers=MULTIPART)
        assert response.status_code == 200
        assert response.json()["media"]["bytes"] == len(good_mp3)

    def test_seventeen_parts_are_refused(self, client: TestClient, good_mp3: bytes) -> None:
        """A seventeenth part is refused with a JSON 422 and Connection: close."""
        response = client.post("/v1/checks/upload", content=_form(BOUNDARY, 16, good_mp3), headers=MULTIPART)
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"].startswith("The form has more than 16 parts")
        assert response.headers["connection"] == "close"

    def test_16_mb_of_empty_parts_is_refused_after_the_cap(self, live_for: Callable[..., str]) -> None:
        """329,000 empty parts (16 MB, once 3.4 s of CPU) are refused at the 17th: most of the body is never sent."""
        base = live_for()
        part = b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n'
        block = part * (64 * 1024 // len(part))
        total = 16 * 1000 * 1000
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            while sent < total:
                sent += len(block)
                yield block

        response = httpx.post(f"{base}/v1/checks/upload", content=body(), headers=_multipart("b"), timeout=30)
        assert response.status_code == 422
        assert "more than 16 parts" in response.json()["detail"][0]["msg"]
        assert total // len(part) > 300_000
        # Socket buffers hold a few MB on loopback; the rest was never produced.
        assert sent < total // 2


class TestUploadLimits:
    """Uploads take max_bytes/max_seconds as query parameters, like a URL check's body, and may only lower them."""

    def test_query_limits_lower_the_check(self, client: TestClient, good_mp3: bytes) -> None:
        """?max_seconds=1.5 fails a 3-second file on duration, ?max_bytes=1000 on size."""
        files = {"file": ("hold.mp3", good_mp3, "audio/mpeg")}
        duration = client.post("/v1/checks/upload?max_seconds=1.5", files=files).json()
        size = client.post("/v1/checks/upload?max_bytes=1000", files=files).json()
        assert "duration.too-long" in [f["code"] for f in duration["findings"]]
        assert "size.too-large" in [f["code"] for f in size["findings"]]

    @pytest.mark.parametrize(("query", "name"), [
        ("max_bytes=10000001", "max_bytes"), ("max_seconds=60.5", "max_seconds"), ("max_bytes=100000000", "max_bytes"),
    ])
    def test_raising_the_operators_limit_is_a_422(self, client: TestClient, good_mp3: bytes, query: str,
                                                  name: str) -> None:
        """A limit above the service's own is refused, naming the setting that caps it."""
        response = client.post(f"/v1/checks/upload?{query}", files={"file": ("a.mp3", good_mp3, "audio/mpeg")})
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["query", name]
        assert "may only lower this service's limit" in detail["msg"]

    @pytest.mark.parametrize("query", ["max_byte=1000", "max_bytes=1.5", "max_bytes=0", "max_seconds=nan",
                                       "max_seconds=-1", "max_bytes=1000&max_bytes=2000", "max_seconds=&max_seconds=1"])
    def test_unknown_or_malformed_query_is_a_422(self, client: TestClient, good_mp3: bytes, query: str) -> None:
        """A misspelt parameter is refused rather than ignored, and so is a limit that is not a positive number."""
        response = client.post(f"/v1/checks/upload?{query}", files={"file": ("a.mp3", good_mp3, "audio/mpeg")})
        assert response.status_code == 422
