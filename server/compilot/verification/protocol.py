"""The framed protocol spoken with CompilotChecker.java over the JVM's stdin and stdout.

A frame is an int32 field count, then per field an int32 byte length and that many UTF-8 bytes (big-endian).
Length prefixes make any source text safe to send: nothing needs escaping and no line can be misread.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from .diagnostics import Diagnostic

_INT = struct.Struct(">i")
DIAGNOSTIC_FIELDS = 7


def encode_frame(fields: list[str]) -> bytes:
    # Lone surrogates cannot be UTF-8: "replace" keeps them one character each, so offsets still line up.
    parts = [_INT.pack(len(fields))]
    for field in fields:
        data = field.encode("utf-8", "replace")
        parts += [_INT.pack(len(data)), data]
    return b"".join(parts)


def read_frame(stream: BinaryIO) -> list[str] | None:
    """The next frame's fields, or None when the stream ended (the JVM exited)."""
    head = _read_exactly(stream, 4)
    if head is None:
        return None
    fields = []
    for _ in range(_INT.unpack(head)[0]):
        size = _read_exactly(stream, 4)
        data = _read_exactly(stream, _INT.unpack(size)[0]) if size is not None else None
        if data is None:
            return None
        fields.append(data.decode("utf-8"))
    return fields


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def request(op: str, release: str, classpath: str, sourcepath: str, units: list[tuple[str, str]]) -> bytes:
    """A "check" or "parse" request for (source, filename) units; release "" for the JDK's."""
    fields = [op, release, classpath, sourcepath]
    for source, filename in units:
        fields += [filename, source]
    return encode_frame(fields)


def decode_diagnostics(reply: list[str]) -> list[list[Diagnostic]]:
    """Per unit diagnostics from an "ok" reply: [ok, units, then per unit a count and 7 fields each]."""
    results: list[list[Diagnostic]] = []
    i = 2
    for _ in range(int(reply[1])):
        count = int(reply[i])
        i += 1
        unit = []
        for _ in range(count):
            kind, code, message, line, column, start, end = reply[i : i + DIAGNOSTIC_FIELDS]
            unit.append(Diagnostic(kind, code, message, int(line), int(column), int(start), int(end)))
            i += DIAGNOSTIC_FIELDS
        results.append(unit)
    return results


@dataclass(frozen=True)
class Members:
    """A "members" reply: `what` the receiver is ("instance", "static", "package"; "none": javac could not
    tell) and its accessible members, name -> kind ("field", "method", "type")."""

    what: str
    names: dict[str, str]


def decode_members(reply: list[str]) -> Members:
    fields = reply[2:]
    return Members(reply[1], dict(zip(fields[0::2], fields[1::2], strict=True)))
