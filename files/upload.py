"""Reading a multipart/form-data upload into memory with a hard size bound (sans-I/O core).

Starlette's `request.form()` spools file parts over 1 MiB to a temporary file on disk; an uploaded call
recording must never rest on disk, so the body is fed chunk by chunk into python-multipart's streaming
parser (the parser Starlette itself uses) and kept in memory. The bound applies while reading: the body is
refused (413) as soon as it passes `max_bytes`, before anything beyond the limit is buffered. A declared
`Content-Length` over the limit is refused before the first byte is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from files.errors import BadRequest, TooLarge

MAX_FIELDS = 64
MAX_FIELD_BYTES = 64 * 1024


@dataclass(slots=True)
class Upload:
    """The form: text fields (a name may repeat, as `timestamp_granularities[]` does) and the one file part."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    filename: str | None = None
    content_type: str | None = None
    data: bytearray | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else default

    def getlist(self, name: str) -> list[str]:
        return self.fields.get(name, [])


@dataclass(slots=True)
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    body: bytearray = field(default_factory=bytearray)


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a Content-Type header; 400 when the body is not multipart/form-data."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest("the request body must be multipart/form-data with a boundary")
    return boundary


def check_length(content_length: str | None, max_bytes: int) -> None:
    """413 at once when the declared body length is over the limit (400 when it is not a number)."""
    if content_length is None:
        return
    try:
        length = int(content_length)
    except ValueError:
        raise BadRequest("Content-Length is not a number") from None
    if length > max_bytes:
        raise TooLarge(f"the upload is larger than {max_bytes} bytes")


class FormReader:
    """Feed body chunks with `write`; `close` returns the `Upload`. Raises 413/400 as soon as it can tell."""

    def __init__(self, boundary: bytes, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.received = 0
        self.upload = Upload()
        self._part = _Part()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_part_data": self._data,
                "on_part_end": self._end,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
            },
        )

    def write(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise TooLarge(f"the upload is larger than {self.max_bytes} bytes")
        try:
            self._parser.write(chunk)
        except (BadRequest, TooLarge):
            raise
        except Exception:  # python-multipart's parse errors
            raise BadRequest("malformed multipart/form-data body") from None

    def close(self) -> Upload:
        try:
            self._parser.finalize()
        except Exception:
            raise BadRequest("malformed multipart/form-data body") from None
        return self.upload

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]

    def _header_end(self) -> None:
        part = self._part
        name, value = bytes(part.header_field).lower(), bytes(part.header_value)
        part.header_field, part.header_value = bytearray(), bytearray()
        if name == b"content-disposition":
            _, options = parse_options_header(value)
            part.name = options.get(b"name", b"").decode("utf-8", "replace")
            filename = options.get(b"filename")
            part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        elif name == b"content-type":
            part.content_type = value.decode("latin-1")

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.filename is None and len(part.body) + end - start > MAX_FIELD_BYTES:
            raise BadRequest(f"form field {part.name!r} is longer than {MAX_FIELD_BYTES} bytes")
        part.body += data[start:end]

    def _end(self) -> None:
        part, up = self._part, self.upload
        if part.filename is not None and part.name == "file":
            if up.data is not None:
                raise BadRequest("send one file per request")
            up.filename, up.content_type, up.data = part.filename, part.content_type, part.body
        elif part.filename is None and part.name:
            if sum(map(len, up.fields.values())) >= MAX_FIELDS:
                raise BadRequest(f"more than {MAX_FIELDS} form fields")
            up.fields.setdefault(part.name, []).append(part.body.decode("utf-8", "replace"))
        self._part = _Part()
