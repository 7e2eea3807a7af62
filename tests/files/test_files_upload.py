"""Bounded multipart reading: fields and the file in memory, 413 as soon as the body passes the limit."""

from __future__ import annotations

import httpx
import pytest

from files.errors import BadRequest, TooLarge
from files.upload import FormReader, boundary_of, check_length


def multipart(fields: list[tuple[str, str]], file: bytes, name: str = "clip.wav") -> tuple[bytes, str]:
    """A body as httpx (the openai SDK's transport) encodes it, and its Content-Type."""
    request = httpx.Request("POST", "http://x/", data=dict(fields) | {}, files={"file": (name, file, "audio/wav")})
    return request.read(), request.headers["content-type"]


def test_fields_and_file_are_read() -> None:
    """Text fields, a repeated field and the file part come back as sent."""
    request = httpx.Request(
        "POST",
        "http://x/",
        data={"model": "whisper-1", "timestamp_granularities[]": ["word", "segment"]},
        files={"file": ("v.wav", b"RIFF1234", "audio/wav")},
    )
    reader = FormReader(boundary_of(request.headers["content-type"]), 10_000)
    body = request.read()
    for i in range(0, len(body), 7):  # in small chunks, as a socket delivers them
        reader.write(body[i : i + 7])
    up = reader.close()
    assert up.get("model") == "whisper-1" and up.getlist("timestamp_granularities[]") == ["word", "segment"]
    assert up.filename == "v.wav" and up.content_type == "audio/wav" and bytes(up.data or b"") == b"RIFF1234"


def test_over_the_limit_is_refused_while_reading() -> None:
    """The chunk that passes the limit raises 413; the reader never holds more than the limit."""
    body, ctype = multipart([("model", "m")], b"\x00" * 50_000)
    reader = FormReader(boundary_of(ctype), 20_000)
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    for chunk in chunks[:4]:
        reader.write(chunk)
    with pytest.raises(TooLarge):
        reader.write(chunks[4])  # 20 480 bytes: over the limit
    assert reader.received <= 20_000 + 4096 and len(reader.upload.data or b"") == 0


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """A Content-Length over the limit is 413 at once; one that is no number is 400."""
    with pytest.raises(TooLarge):
        check_length("20001", 20_000)
    with pytest.raises(BadRequest):
        check_length("lots", 20_000)
    check_length("20000", 20_000)


def test_not_multipart_is_a_bad_request() -> None:
    """A JSON body (or a multipart type without boundary) is 400, not a crash."""
    for ctype in ("application/json", "multipart/form-data", None):
        with pytest.raises(BadRequest):
            boundary_of(ctype)
    reader = FormReader(b"abc", 1000)
    with pytest.raises(BadRequest):
        reader.write(b"this is not multipart at all\r\n")
