"""The streamed HTTP client: chunked server-sent events, errors with the server's message, a stop that does not
wait for the server, Unix sockets. Against a real (local, threaded) HTTP server."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from compilot.generation.http_stream import (
    Endpoint,
    HttpError,
    Stopped,
    get_json,
    post_json,
    sse_events,
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._json(200, {"data": [{"id": "m"}], "auth": self.headers.get("Authorization")})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.seen.append(body)
        if body.get("fail"):
            return self._json(
                body["fail"], {"error": {"message": "model 'x' not found", "code": body["fail"]}}
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        time.sleep(body.get("silence", 0))
        for i in range(body.get("events", 3)):
            self._chunk(f"data: {json.dumps({'i': i})}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def _json(self, status: int, value: dict) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_chunked_events_arrive_in_order(url):
    events = list(sse_events(post_json(Endpoint(url), "/v1/completions", {"events": 5}, {})))
    assert [e["i"] for e in events] == [0, 1, 2, 3, 4]


def test_a_url_prefix_and_headers_reach_the_server(url):
    answer = get_json(Endpoint(url + "/base"), "/v1/models", {"Authorization": "Bearer k"})
    assert answer["auth"] == "Bearer k"
    assert answer["data"] == [{"id": "m"}]


def test_an_error_status_carries_the_server_message(url):
    with pytest.raises(HttpError) as error:
        list(post_json(Endpoint(url), "/v1/completions", {"fail": 404}, {}))
    assert error.value.status == 404
    assert "model 'x' not found" in str(error.value)


def test_a_stop_does_not_wait_for_a_silent_server(url):
    t0 = time.monotonic()
    with pytest.raises(Stopped):
        list(
            post_json(
                Endpoint(url), "/v1/completions", {"silence": 3}, {}, lambda: time.monotonic() - t0 > 0.2
            )
        )
    assert time.monotonic() - t0 < 1.0


def test_silence_past_the_read_timeout_is_an_error(url):
    with pytest.raises(HttpError, match="sent nothing"):
        list(post_json(Endpoint(url), "/v1/completions", {"silence": 2}, {}, read_timeout=0.3))


def test_nobody_listening_is_a_clear_error():
    with pytest.raises(HttpError, match="cannot reach http://127.0.0.1:9"):
        list(post_json(Endpoint("http://127.0.0.1:9"), "/v1/completions", {}, {}))


def test_other_schemes_are_refused():
    with pytest.raises(HttpError, match="http://, https:// or unix://"):
        list(post_json(Endpoint("ftp://example.org"), "/v1/completions", {}, {}))


def test_a_unix_socket_endpoint(tmp_path):
    class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    class UnixHandler(Handler):
        def address_string(self) -> str:
            return "unix"

    path = tmp_path / "s.sock"
    server = UnixServer(str(path), UnixHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        events = list(sse_events(post_json(Endpoint(f"unix://{path}"), "/v1/completions", {"events": 2}, {})))
        assert [e["i"] for e in events] == [0, 1]
    finally:
        server.shutdown()


def test_a_plain_json_body_is_one_event():
    lines = iter([b'{"choices": [{"text": "x"}],', b'"id": 1}'])
    assert list(sse_events(lines)) == [{"choices": [{"text": "x"}], "id": 1}]
