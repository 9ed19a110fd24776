"""The base protocol's framing and the JSON-RPC envelope check, without a server."""

from __future__ import annotations

import json

import pytest

from compilot.lsp.framing import MAX_BODY, BadFrame, FrameReader, Message
from compilot.lsp.transport import _envelope_problem

FIRST = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "a"}).encode()
SECOND = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "b"}).encode()


def frame(body: bytes, length: int | None = None, header: bytes = b"Content-Length") -> bytes:
    return b"%s: %d\r\n\r\n%s" % (header, len(body) if length is None else length, body)


def read(data: bytes, piece: int | None = None) -> list[Message | BadFrame]:
    reader, out = FrameReader(), []
    step = piece or len(data)
    for i in range(0, len(data), step):
        out += reader.feed(data[i : i + step])
    return out


def test_messages_in_one_piece_and_byte_by_byte():
    data = frame(FIRST) + b"\r\n" + frame(SECOND)
    assert read(data) == read(data, 1) == [Message(json.loads(FIRST)), Message(json.loads(SECOND))]


@pytest.mark.parametrize(
    "data",
    [
        b"content-length: %d\r\n\r\n%s" % (len(FIRST), FIRST),
        b"Content-Length: %d\n\n%s" % (len(FIRST), FIRST),
        b"Content-Length:%d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n%s"
        % (len(FIRST), FIRST),
    ],
    ids=["lower-case name", "LF-only", "no space, and a Content-Type"],
)
def test_forgiving_where_the_intent_is_clear(data):
    assert read(data + frame(SECOND)) == [Message(json.loads(FIRST)), Message(json.loads(SECOND))]


@pytest.mark.parametrize(
    "bad, request_id",
    [
        (frame(FIRST, len(FIRST) - 5), 1),
        (frame(FIRST, len(FIRST) + 10), 1),
        (b"Content-Type: x\r\n\r\n" + FIRST, None),
        (b"Content-Length: abc\r\n\r\n" + FIRST, None),
        (b"Content-Length: -5\r\n\r\n" + FIRST, None),
        (b"Content-Length: 0\r\n\r\n", None),
        (b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1) + FIRST, None),
        (b"\x00\xffgarbage" * 3000, None),
        (frame(FIRST.replace(b'"a"', b'"\xff"')), 1),
    ],
    ids=["5 short", "10 long", "no length", "abc", "-5", "0", "over the limit", "garbage", "not UTF-8"],
)
def test_one_bad_frame_is_reported_once_and_the_next_message_read(bad, request_id):
    for piece in (None, 7):
        out = read(bad + frame(SECOND), piece)
        assert len(out) == 2 and isinstance(out[0], BadFrame), out
        assert out[0].request_id == request_id
        assert out[1] == Message(json.loads(SECOND))


def test_a_large_body_in_small_pieces():
    body = json.dumps({"jsonrpc": "2.0", "method": "x", "params": {"text": "x" * 8_000_000}}).encode()
    out = read(frame(body) + frame(SECOND), 65536)
    assert [type(m) for m in out] == [Message, Message] and len(out[0].data["params"]["text"]) == 8_000_000


@pytest.mark.parametrize(
    "message, problem",
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "a", "params": {}}, ""),
        ({"jsonrpc": "2.0", "method": "a"}, ""),
        ({"jsonrpc": "2.0", "id": 1, "method": "shutdown", "params": None}, ""),
        ({"jsonrpc": "2.0", "id": "x", "result": None}, ""),
        (42, "JSON object"),
        ({"id": 1, "method": "a"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "1.0", "id": 1, "method": "a"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, '"method" must be a string'),
        ({"jsonrpc": "2.0", "id": True, "method": "a"}, '"id" must be'),
        ({"jsonrpc": "2.0", "id": 1, "method": "a", "params": "x"}, '"params" must be'),
        ({"jsonrpc": "2.0", "id": 1}, 'needs a "method"'),
    ],
)
def test_envelope(message, problem):
    found = _envelope_problem(message)
    assert (problem in found and found) if problem else found == ""
