"""The LSP base protocol's framing: bytes in, JSON messages or framing errors out (no I/O here).

pygls's reader matches `Content-Length: N\\r\\n` exactly and, after any framing mistake, glues every later
body to the next header, so one bad frame made the server deaf for good. This reader is forgiving where the
intent is clear (header names in any case, LF-only line ends, blank lines between messages) and, where it is
not, reports the frame once and starts again at the next `Content-Length` header in the stream:

- a header block without a valid length (missing, `abc`, `-5`, over MAX_BODY) is skipped;
- a body that is not one JSON value (the length was short, or long and took in the next header) is
  reported, and reading goes on from the body's first byte, so the next message's header is found again.
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

MAX_BODY = 64 * 2**20  # bytes; a document this size is already past every budget
MAX_HEADERS = 8192  # bytes of header lines before a blank line; longer is not a header
_HEADER_START = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_LENGTH_VALUE = re.compile(rb"[ \t]*(\d{1,12})[ \t]*")
_REQUEST_ID = re.compile(rb'"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")')


@attrs.frozen
class Message:
    """One well-framed body that parsed as JSON (any JSON value; the envelope is checked later)."""

    data: Any


@attrs.frozen
class BadFrame:
    """Bytes that were not a well-framed JSON message; `request_id` is the id found in them, if any, so a
    client waiting on that request still gets an answer."""

    reason: str
    request_id: int | str | None = None


class FrameReader:
    """Feed it bytes as they arrive; it returns the messages and framing errors they complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skipping = False  # inside garbage already reported: report it once
        self._wanted = 0  # bytes the frame at the buffer's start needs in all (its header is read)

    def feed(self, data: bytes) -> list[Message | BadFrame]:
        self._buffer += data
        out: list[Message | BadFrame] = []
        while (item := self._next()) is not None:
            if item is not _NOTHING:
                out.append(item)
        return out

    def _next(self) -> Message | BadFrame | object | None:
        """The next item; _NOTHING when bytes were skipped silently; None when more bytes are needed."""
        buf = self._buffer
        if len(buf) < self._wanted:
            return None  # a body still arriving (checked first: a large one comes in many pieces)
        start = 0
        while start < len(buf) and buf[start] in b"\r\n \t":
            start += 1
        if start:
            del buf[:start]
        if not buf:
            return None
        blank = _BLANK_LINE.search(buf, 0, MAX_HEADERS + 4)
        if blank is None:
            if len(buf) <= MAX_HEADERS and _could_be_header(buf):
                return None
            return self._resync(0, "no header block")
        length, problem = _content_length(bytes(buf[: blank.start()]))
        if problem:
            return self._resync(0, problem)
        body_start = blank.end()
        if len(buf) < body_start + length:
            self._wanted = body_start + length
            return None
        self._wanted = 0
        body = bytes(buf[body_start : body_start + length])
        try:
            data = json.loads(body)
        except ValueError:  # includes UnicodeDecodeError
            # Read on from the body's first byte: a long length swallowed the next header, a short one left
            # the body's tail in front of it; either way the next `Content-Length` is found again.
            item = self._resync(body_start, "the body is not JSON (a wrong Content-Length?)")
            if isinstance(item, BadFrame) and b'"method"' in body:
                item = attrs.evolve(item, request_id=_request_id(body))
            return item
        del buf[: body_start + length]
        self._skipping = False
        return Message(data)

    def _resync(self, after: int, reason: str) -> BadFrame | object:
        """Drop bytes up to the next `Content-Length` header past `after` (the frame's first byte is never
        taken again, so every call makes progress)."""
        buf = self._buffer
        found = _HEADER_START.search(buf, max(after, 1))
        keep = found.start() if found else max(len(buf) - len(b"content-length "), after, 1)
        del buf[:keep]
        report = not self._skipping
        self._skipping = found is None
        return BadFrame(reason) if report else _NOTHING


_NOTHING = object()


def _request_id(body: bytes) -> int | str | None:
    found = _REQUEST_ID.search(body)
    try:
        return json.loads(found.group(1)) if found else None
    except ValueError:
        return None


def _could_be_header(buf: bytearray) -> bool:
    """The start of a header block still arriving: `Name: value` lines so far."""
    return all(b":" in line for line in bytes(buf).splitlines()[:-1]) and b"\0" not in buf


def _content_length(block: bytes) -> tuple[int, str]:
    """The body length a header block declares, or a problem with it."""
    length = None
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        name, colon, value = line.partition(b":")
        if not colon:
            return 0, f"not a header line: {line[:40]!r}"
        if name.strip().lower() == b"content-length":
            match = _LENGTH_VALUE.fullmatch(value)
            if match is None:
                return 0, f"invalid Content-Length {value.strip()[:20]!r}"
            length = int(match.group(1))
    if length is None:
        return 0, "no Content-Length header"
    if length > MAX_BODY:
        return 0, f"Content-Length {length} is over the limit of {MAX_BODY} bytes"
    return length, ""
