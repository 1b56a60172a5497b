"""Receive an upload's file field into a bounded spool, so that no check slot waits on a slow client.

Why spool rather than inspect while receiving: a check slot bounds the work running at once, and a client
sending 3 bytes a second would hold one for the whole upload deadline; 32 of them took every slot. Receiving
costs a socket and a little memory, and is bounded on its own (uploads in flight per client and per process,
one deadline for the body). Only once the file has arrived does the check take a slot, and it then reads the
spool at memory or disk speed: a 10 MB file holds its slot for tens of milliseconds, not for the upload.

The spool keeps the file up to ``keep_bytes`` (the size limit) and the rest of the chunk that crossed it:
past it the verdict is certain (``size.too-large``), so receiving stops there and the rest of the body is
never read. The first
:data:`SPOOL_MEMORY_BYTES` stay in memory, the rest goes to a temporary file that is deleted on close.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

from mediacheck.service.upload import MultipartFileStream

# A typical hold-music file (0.5-2 MB) mostly fits; 64 uploads in flight cost at most 64 MiB of memory.
SPOOL_MEMORY_BYTES = 1024 * 1024
# The same 64 KiB reads the library uses for files.
READ_CHUNK_BYTES = 64 * 1024


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # SpooledUpload.close() closes it


@dataclass
class SpooledUpload:
    """The file field's bytes (up to the size limit) and what receiving them showed about the form."""

    form: MultipartFileStream
    file: IO[bytes] = field(default_factory=_spool)
    size: int = 0
    body_ended: bool = False
    stopped_at_limit: bool = False

    async def chunks(self) -> AsyncIterator[bytes]:
        """The spooled bytes from the start, in reads of 64 KiB."""
        self.file.seek(0)
        while chunk := self.file.read(READ_CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        """Free the memory and delete the temporary file."""
        self.file.close()

    def __enter__(self) -> SpooledUpload:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


async def spool_upload(body: AsyncIterable[bytes], form: MultipartFileStream, *, keep_bytes: int) -> SpooledUpload:
    """Read the request body until the file field ends (or ``keep_bytes`` of it arrived, or the body ends).

    Parse errors and refusals of the form propagate; the spool is closed then.
    """
    upload = SpooledUpload(form)
    try:
        async for data in body:
            for chunk in form.write(data):
                # Writes go to memory or the page cache; microseconds each, so they run on the event loop.
                # The whole chunk is kept, so the check sees what a streaming check would have been fed.
                upload.file.write(chunk)
                upload.size += len(chunk)
                if upload.size >= keep_bytes:
                    upload.stopped_at_limit = True
                    return upload
            if form.file_ended:
                return upload
        upload.body_ended = True
        return upload
    except BaseException:
        upload.close()
        raise
