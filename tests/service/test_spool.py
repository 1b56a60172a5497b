"""The upload spool: the file field only, at most the size limit, and no more than 1 MiB of it in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from mediacheck.service.spool import SPOOL_MEMORY_BYTES, SpooledUpload, spool_upload
from mediacheck.service.upload import MultipartFileStream
from tests.service.test_upload import BOUNDARY, MULTIPART, _head


def _spool(body: list[bytes], keep_bytes: int) -> tuple[SpooledUpload, int, bytes]:
    """Spool ``body`` (given in pieces); return the spool, how many pieces were read, and the spooled bytes."""
    read = 0

    async def pieces() -> AsyncIterator[bytes]:
        nonlocal read
        for piece in body:
            read += 1
            yield piece

    async def scenario() -> tuple[SpooledUpload, bytes]:
        upload = await spool_upload(pieces(), MultipartFileStream(MULTIPART["content-type"]), keep_bytes=keep_bytes)
        return upload, b"".join([chunk async for chunk in upload.chunks()])

    upload, spooled = anyio.run(scenario)
    return upload, read, spooled


def test_only_the_file_field_is_kept() -> None:
    """Other fields and the multipart framing are not spooled; the file's bytes are, exactly."""
    note = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".encode()
    body = note + _head() + b"ID3-and-audio" + f"\r\n--{BOUNDARY}--\r\n".encode()
    upload, _, spooled = _spool([body], keep_bytes=1000)
    with upload:
        assert upload.form.file_ended
        assert not upload.stopped_at_limit
    assert spooled == b"ID3-and-audio"


def test_receiving_stops_at_the_size_limit() -> None:
    """Past ``keep_bytes`` the verdict is certain: the spool stops reading, whatever is left of the body."""
    block = b"\xff" * 65_536
    body = [_head(), *([block] * 100)]  # 6.5 MB offered
    upload, read, spooled = _spool(body, keep_bytes=200_000)
    with upload:
        assert upload.stopped_at_limit
        assert 200_000 <= upload.size < 200_000 + len(block)
        assert read < 10  # of the 101 pieces
    assert len(spooled) == upload.size


def test_at_most_1_mib_stays_in_memory() -> None:
    """A 3 MB file goes to a temporary file past its first MiB; a small one stays in memory."""
    big, _, _ = _spool([_head(), b"\0" * 3_000_000, f"\r\n--{BOUNDARY}--\r\n".encode()], keep_bytes=10_000_000)
    small, _, _ = _spool([_head(), b"\0" * 1000, f"\r\n--{BOUNDARY}--\r\n".encode()], keep_bytes=10_000_000)
    with big, small:
        # SpooledTemporaryFile's own flag: rolled over to a real file on disk.
        assert big.file._rolled  # type: ignore[attr-defined]
        assert not small.file._rolled  # type: ignore[attr-defined]
    assert SPOOL_MEMORY_BYTES == 1024 * 1024
