"""Pull one file field out of a ``multipart/form-data`` body as it streams in, holding no more than a chunk.

Starlette's form parser spools whole files to disk before the route sees them; an upload check wants
the opposite (inspect while receiving, stop at the verdict), so the route reads the raw body stream and
this class turns it into the file's bytes with python-multipart's push parser.

A form with one file field needs a handful of parts; each part costs parser callbacks, so a 16 MB body of
329,000 empty parts once cost 3.4 s of CPU. Parts past :data:`MAX_FORM_PARTS` end the parse, and a
boundary longer than RFC 2046 allows (70 characters) is refused before parsing (the parser itself raised
on more than 256, a 500).
"""

from __future__ import annotations

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["MAX_BOUNDARY_CHARS", "MAX_FORM_PARTS", "FormRefusedError", "MultipartFileStream", "MultipartParseError",
           "NotMultipartError"]

MAX_FORM_PARTS = 16
MAX_BOUNDARY_CHARS = 70  # RFC 2046, section 5.1.1: 1 to 70 characters


class NotMultipartError(ValueError):
    """The request is not ``multipart/form-data`` with a boundary."""


class FormRefusedError(ValueError):
    """The form is well-formed multipart but outside what this endpoint takes (a boundary or part count)."""


class MultipartFileStream:
    """Push multipart bytes in with :meth:`write`; get back the bytes of the field named ``field``."""

    def __init__(self, content_type: str, *, field: str = "file") -> None:
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise NotMultipartError("Send the file as multipart/form-data (a form field named `file`).")
        if len(boundary) > MAX_BOUNDARY_CHARS:
            raise FormRefusedError(f"The multipart boundary is {len(boundary):,} characters; RFC 2046 allows at "
                                   f"most {MAX_BOUNDARY_CHARS}.")
        self.parts = 0
        self._field = field.encode()
        self._pending: list[bytes] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._in_file = False
        self.found = False
        self.file_ended = False
        self.filename: str | None = None
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
        })

    def write(self, data: bytes) -> list[bytes]:
        """Parse the next piece of the body; return the file bytes it contained (possibly none)."""
        self._parser.write(data)
        chunks, self._pending = self._pending, []
        return chunks

    def _on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_FORM_PARTS:
            # Raised inside the parser's write(): parsing stops here, the rest of the body is never read.
            raise FormRefusedError(f"The form has more than {MAX_FORM_PARTS} parts; send the file in a form with "
                                   "a few fields.")
        self._disposition = b""

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, params = parse_options_header(self._disposition)
        self._in_file = not self.found and params.get(b"name") == self._field
        if self._in_file:
            self.found = True
            filename = params.get(b"filename")
            self.filename = filename.decode("utf-8", "replace") if filename else None

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file and end > start:
            self._pending.append(data[start:end])

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.file_ended = True
