"""A small HTTP/1.1 client for streamed completions that a caller can stop at any moment.

Generation requests must stop within a few milliseconds of a cancel (the user typed on), also while the server
is still reading the prompt and sends nothing. `http.client` and friends block in `recv` until a timeout that
then breaks the stream, so this client polls the socket with `select` and asks `should_stop()` in between;
closing the connection is how llama.cpp's server (and vLLM) learn that the request is abandoned. It speaks
plain TCP, TLS, and Unix sockets (`unix:///path/to/socket`, the in-process llama.cpp server's private one).
"""

from __future__ import annotations

import json
import select
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

POLL_S = 0.01  # how often a silent stream asks should_stop()


class HttpError(RuntimeError):
    """The server could not be reached, broke the connection, or answered with an error status."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class Stopped(Exception):
    """`should_stop()` said so; the connection was closed."""


@dataclass(frozen=True)
class Endpoint:
    """Where requests go: `http(s)://host:port/prefix` or `unix:///socket/path` (then `prefix` is empty)."""

    url: str

    @property
    def parts(self):
        return urlsplit(self.url)

    def connect(self, timeout: float) -> socket.socket:
        parts = self.parts
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parts.path)
            return sock
        if parts.scheme not in ("http", "https"):
            raise HttpError(f"endpoint {self.url!r}: use an http://, https:// or unix:// URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        sock = socket.create_connection((parts.hostname, port), timeout=timeout)
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        return sock

    def host_header(self) -> str:
        parts = self.parts
        return "localhost" if parts.scheme == "unix" else parts.netloc

    def path(self, route: str) -> str:
        prefix = "" if self.parts.scheme == "unix" else self.parts.path.rstrip("/")
        return prefix + route


def get_json(endpoint: Endpoint, route: str, headers: dict[str, str], timeout: float = 5.0) -> dict:
    """GET a JSON document (a server's /v1/models)."""
    lines = request_lines(
        endpoint, "GET", route, None, headers, connect_timeout=timeout, read_timeout=timeout
    )
    try:
        return json.loads(b"\n".join(lines))
    except ValueError as e:
        raise HttpError(f"{endpoint.url}{route} did not answer with JSON") from e


def post_json(
    endpoint: Endpoint,
    route: str,
    body: dict,
    headers: dict[str, str],
    should_stop: Callable[[], bool] = lambda: False,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
) -> Iterator[bytes]:
    """POST `body` as JSON and yield the response body's lines (without line ends) as they arrive.

    Raises HttpError for a connection failure, a silence longer than `read_timeout` or an error status (with
    the server's own message), and Stopped as soon as `should_stop()` is true; either way the connection is
    closed, which tells the server to stop generating."""
    return request_lines(endpoint, "POST", route, body, headers, should_stop, connect_timeout, read_timeout)


def request_lines(
    endpoint: Endpoint,
    method: str,
    route: str,
    body: dict | None,
    headers: dict[str, str],
    should_stop: Callable[[], bool] = lambda: False,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
) -> Iterator[bytes]:
    payload = b"" if body is None else json.dumps(body).encode()
    head = [
        f"{method} {endpoint.path(route)} HTTP/1.1",
        f"Host: {endpoint.host_header()}",
        "Accept: text/event-stream, application/json",
        "Connection: close",
        *(["Content-Type: application/json", f"Content-Length: {len(payload)}"] if body is not None else []),
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    try:
        sock = endpoint.connect(connect_timeout)
    except (OSError, ssl.SSLError) as e:
        raise HttpError(f"cannot reach {endpoint.url}: {e}") from e
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        reader = _Reader(sock, should_stop, read_timeout, endpoint.url)
        status, response_headers = reader.head()
        chunked = "chunked" in response_headers.get("transfer-encoding", "")
        lines = reader.chunked_lines() if chunked else reader.lines()
        if status != 200:
            text = b"\n".join(lines).decode(errors="replace")
            raise HttpError(f"{endpoint.url} answered {status}: {_error_message(text)}", status)
        yield from lines
    except (OSError, ssl.SSLError) as e:
        raise HttpError(f"the connection to {endpoint.url} broke: {e}") from e
    finally:
        sock.close()


def error_message(error) -> str:
    """The message of an OpenAI-style `error` value (an object with `message`, or a string)."""
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


def _error_message(text: str) -> str:
    """The `error.message` of an OpenAI-style error body, else the body itself (cut short)."""
    try:
        error = json.loads(text).get("error")
    except (ValueError, AttributeError):
        error = None
    return error_message(error) if error else text.strip()[:300] or "no message"


class _Reader:
    """Buffered reads from a socket that wait in short `select` polls, asking `should_stop` in between."""

    def __init__(self, sock: socket.socket, should_stop: Callable[[], bool], timeout: float, url: str):
        self.sock, self.should_stop, self.timeout, self.url = sock, should_stop, timeout, url
        self.buffer = b""
        self.eof = False

    def _fill(self) -> None:
        waited = 0.0
        while True:
            if self.should_stop():
                raise Stopped()
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if pending or select.select([self.sock], [], [], POLL_S)[0]:
                break
            waited += POLL_S
            if waited > self.timeout:
                raise HttpError(f"{self.url} sent nothing for {self.timeout:g} s")
        try:
            data = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return
        self.buffer += data
        self.eof = not data

    def line(self) -> bytes | None:
        """The next line without its line end; None at the end of the stream."""
        while b"\n" not in self.buffer:
            if self.eof:
                rest, self.buffer = self.buffer, b""
                return rest or None
            self._fill()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r")

    def exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            if self.eof:
                raise HttpError(f"{self.url} closed the connection mid-response")
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def head(self) -> tuple[int, dict[str, str]]:
        status_line = self.line()
        if not status_line:
            raise HttpError(f"{self.url} closed the connection without answering")
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError) as e:
            raise HttpError(f"{self.url} is not an HTTP server ({status_line[:60]!r})") from e
        headers = {}
        while line := self.line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        return status, headers

    def lines(self) -> Iterator[bytes]:
        while (line := self.line()) is not None:
            yield line

    def chunked_lines(self) -> Iterator[bytes]:
        pending = b""
        while True:
            size_line = self.line()
            if size_line is None:
                raise HttpError(f"{self.url} closed the connection mid-response")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            pending += self.exactly(size)
            self.exactly(2)  # the chunk's CRLF
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.rstrip(b"\r")
        if pending:
            yield pending


def sse_events(lines: Iterator[bytes]) -> Iterator[dict]:
    """The JSON objects of a server-sent event stream (`data: {...}` lines, up to `data: [DONE]`); a body
    that is plain JSON (a server that ignored `stream`) comes out as one object."""
    plain: list[bytes] = []
    for line in lines:
        if line.startswith(b"data:"):
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            try:
                yield json.loads(data)
            except ValueError as e:
                raise HttpError(f"the server sent an event that is not JSON: {data[:80]!r}") from e
        elif line.strip() and not line.startswith((b":", b"event:", b"id:", b"retry:")):
            plain.append(line)
    if plain:
        try:
            yield json.loads(b"\n".join(plain))
        except ValueError as e:
            raise HttpError(f"the server's answer is not JSON: {plain[0][:80]!r}") from e
