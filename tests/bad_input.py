"""The bad-input layer: a hostile client against the real `compilot serve` over stdio and TCP.

Every input is followed by a health check: a normal inline completion must be answered, and an edit of the
health document must give exactly the diagnostics the client's own copy of it predicts (a server whose copy
diverged - a change lost or applied twice, a document dropped - reports other lines or other errors). Every
wait is capped, so a run is a few minutes at most. The client here parses the server's output itself, with
none of the server's code, and writes whatever bytes a case asks for.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEALTH_TEXT = """\
public class Health {
    int twice(int x) {
        return 2 * x;
    }

    void run() {
        int y = twice(3);

    }
}
"""
HEALTH_LINE = 7  # the blank line in run(): health checks write here
FAST = {"samples": 1, "maxNewTokens": 6, "checkTimeout": 20}
ANSWER_S = 15.0  # an input's answer (or log line) must come within this
HEALTH_S = 60.0  # a health check's completion and diagnostics, each
REPORT: list[Row] = []  # every row of this pytest run, printed at its end (conftest.py)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def encode(message: Any) -> bytes:
    return json.dumps(message).encode()


class RawClient:
    """An LSP client that sends raw bytes and records everything the server sends back."""

    def __init__(
        self, write: Callable[[bytes], None], read: Callable[[int], bytes], close: Callable[[], None]
    ):
        self._write, self._read, self._close = write, read, close
        self.messages: list[dict] = []
        self.cond = threading.Condition()
        self.closed = False
        self._ids = 0
        threading.Thread(target=self._reader, daemon=True).start()

    @classmethod
    def stdio(
        cls, args: list[str], cwd: Path, stderr, env: dict[str, str] | None = None
    ) -> tuple[RawClient, subprocess.Popen]:
        process = subprocess.Popen(
            [sys.executable, "-m", "compilot.lsp", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=cwd,
            env=env,
        )

        def write(data: bytes) -> None:
            process.stdin.write(data)
            process.stdin.flush()

        return cls(write, process.stdout.read1, process.stdin.close), process

    @classmethod
    def tcp(cls, host: str, port: int) -> RawClient:
        sock = socket.create_connection((host, port), timeout=10)
        sock.settimeout(None)

        def close() -> None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

        client = cls(sock.sendall, sock.recv, close)
        client.socket = sock
        return client

    # ----- the wire -----

    def _reader(self) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = self._read(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
                length = int(headers[b"Content-Length"])
                while len(buffer) < length:
                    data = self._read(65536)
                    if not data:
                        return
                    buffer += data
                message, buffer = json.loads(buffer[:length]), buffer[length:]
                if "method" in message and "id" in message:  # the server asks: answer with nothing
                    self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                with self.cond:
                    self.messages.append(message)
                    self.cond.notify_all()
        except (OSError, ValueError):
            return
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def send_bytes(self, data: bytes) -> None:
        self._write(data)

    def send(self, message: Any) -> None:
        self._write(frame(encode(message)))

    def close(self) -> None:
        self._close()

    # ----- requests and waiting -----

    def next_id(self) -> str:
        self._ids += 1
        return f"c{self._ids}"

    def request(self, method: str, params: Any, timeout: float = ANSWER_S) -> dict:
        msg_id = self.next_id()
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.response(msg_id, timeout)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, predicate: Callable[[dict], bool], since: int, timeout: float) -> dict | None:
        """The first message after index `since` that satisfies `predicate`, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = next((m for m in self.messages[since:] if predicate(m)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0 or self.closed:
                    return found
                self.cond.wait(min(left, 0.2))

    def response(self, msg_id: Any, timeout: float = ANSWER_S) -> dict:
        found = self.wait(lambda m: "method" not in m and m.get("id") == msg_id, 0, timeout)
        if found is None:
            raise TimeoutError(f"no answer to request {msg_id!r} within {timeout:.0f} s")
        return found

    def mark(self) -> int:
        with self.cond:
            return len(self.messages)


@dataclass
class Health:
    """The client's copy of the health document, and the check that the server's copy is the same."""

    client: RawClient
    uri: str
    text: str = HEALTH_TEXT
    version: int = 1
    broken: bool = False  # the health line holds a type error now

    def open(self) -> None:
        self.client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": self.uri, "languageId": "java", "version": 1, "text": self.text}},
        )

    def check(self) -> tuple[bool, str]:
        """(survived, problem): a completion is answered, and the diagnostics match the client's copy."""
        t0 = time.monotonic()
        try:
            answer = self.client.request(
                "textDocument/inlineCompletion",
                {
                    "textDocument": {"uri": self.uri},
                    "position": {"line": HEALTH_LINE, "character": 8},
                    "context": {"triggerKind": 1},
                },
                HEALTH_S,
            )
        except TimeoutError as e:
            return False, str(e)
        if "result" not in answer:
            return False, f"completion answered with an error: {answer.get('error')}"
        return self._edit_and_compare(t0)

    def _edit_and_compare(self, t0: float) -> tuple[bool, str]:
        lines = self.text.split("\n")
        old = lines[HEALTH_LINE]
        new = "" if self.broken else "        String s = y;"
        lines[HEALTH_LINE] = new
        self.text, self.broken, self.version = "\n".join(lines), not self.broken, self.version + 1
        since = self.client.mark()
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": HEALTH_LINE, "character": 0},
                            "end": {"line": HEALTH_LINE, "character": len(old)},
                        },
                        "text": new,
                    }
                ],
            },
        )
        published = self.client.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == self.uri
                and m["params"].get("version") == self.version
            ),
            since,
            max(HEALTH_S - (time.monotonic() - t0), 5),
        )
        if published is None:
            return False, "no diagnostics for the health document's edit"
        got = [(d["range"]["start"]["line"], d["severity"]) for d in published["params"]["diagnostics"]]
        want = [(HEALTH_LINE, 1)] if self.broken else []
        if got != want:
            self._resend()
            return True, f"state lost: diagnostics {got}, the client's copy predicts {want}"
        return True, ""

    def _resend(self) -> None:
        """After a loss, the whole text again, so the next input's check starts from a known state."""
        self.version += 1
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"text": self.text}],
            },
        )


@dataclass
class Case:
    """One bad input: `send` writes it and returns what a good server does with it (Expect)."""

    name: str
    send: Callable[[RawClient, Health], Expect]
    transports: tuple[str, ...] = ("stdio", "tcp")


@dataclass
class Expect:
    """`error_id`: an error response for this id ("null" for id null); `result_id`: a normal answer (the
    input is odd but legal); `logged`: a warning or error message to the user or the log."""

    error_id: Any = None
    result_id: Any = None
    answer_id: Any = None  # a result or an error, either (a cancelled request may have finished first)
    logged: bool = False
    after: Callable[[], None] | None = None  # undo what the case changed, once it is answered


@dataclass
class Row:
    case: str
    transport: str
    answered: bool
    answer: str
    survived: bool
    state_ok: bool
    seconds: float
    problem: str = ""


def _answer(client: RawClient, expect: Expect, since: int) -> tuple[bool, str]:
    """Whether the server answered the input as expected, and how."""
    said = []
    if expect.error_id is not None:
        msg_id = None if expect.error_id == "null" else expect.error_id
        found = client.wait(lambda m: "error" in m and m.get("id") == msg_id, since, ANSWER_S)
        if found is None or not found["error"].get("message"):
            return False, f"no error response for id {msg_id!r}"
        said.append(f"{found['error']['code']} {found['error']['message']}")
    if expect.result_id is not None:
        found = client.wait(lambda m: m.get("id") == expect.result_id and "method" not in m, since, ANSWER_S)
        if found is None:
            return False, "no response"
        if "error" in found:
            return False, f"error {found['error']['code']} {found['error']['message']}"
        said.append("served")
    if expect.answer_id is not None:
        found = client.wait(lambda m: m.get("id") == expect.answer_id and "method" not in m, since, ANSWER_S)
        if found is None:
            return False, "no response"
        said.append(f"{found['error']['code']} {found['error']['message']}" if "error" in found else "served")
    if expect.logged:
        found = client.wait(
            lambda m: (
                m.get("method") in ("window/logMessage", "window/showMessage")
                and m["params"]["type"] in (1, 2)
            ),
            since,
            ANSWER_S,
        )
        if found is None:
            return False, "no warning"
        kind = "shown" if found["method"] == "window/showMessage" else "logged"
        said.append(f"{kind}: {found['params']['message']}")
    return True, "; ".join(said) or "(nothing to answer)"


def run_cases(
    client: RawClient, health: Health, transport: str, cases: list[Case], budget_s: float
) -> list[Row]:
    """Each case, then a health check; stops early (the rest not tried) past `budget_s`."""
    rows = []
    deadline = time.monotonic() + budget_s
    for case in cases:
        if transport not in case.transports:
            continue
        if time.monotonic() > deadline or client.closed:
            break
        t0 = time.monotonic()
        since = client.mark()
        try:
            expect = case.send(client, health)
            answered, answer = _answer(client, expect, since)
            if expect.after is not None:
                expect.after()
        except (OSError, TimeoutError) as e:
            answered, answer = False, f"{type(e).__name__}: {e}"
        survived, problem = health.check()
        rows.append(
            Row(
                case.name,
                transport,
                answered,
                answer,
                survived,
                survived and not problem.startswith("state lost"),
                time.monotonic() - t0,
                problem,
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    """What was tried and what came back, one line per input, then the totals."""
    lines = [f"{'input':34} {'via':5} {'answer':66} {'ok':4} {'s':>5}"]
    for r in rows:
        ok = "yes" if r.answered and r.survived and r.state_ok else "NO"
        answer = r.answer if r.answered else f"NOT ANSWERED: {r.answer}"
        lines.append(f"{r.case[:34]:34} {r.transport:5} {answer[:66]:66} {ok:4} {r.seconds:5.1f}")
        if r.problem:
            lines.append(f"{'':40} {r.problem}")
    lines.append(
        f"inputs tried {len(rows)}, survived {sum(r.survived for r in rows)}, "
        f"answered with a clear error or result {sum(r.answered for r in rows)}, "
        f"state losses {sum(not r.state_ok for r in rows)}"
    )
    return "\n".join(lines)


@dataclass
class Session:
    """An initialized client with the health document open."""

    client: RawClient
    health: Health
    workspace: Path
    extra: dict = field(default_factory=dict)


def initialize(client: RawClient, workspace: Path, options: dict | None = None) -> Session:
    answer = client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": workspace.as_uri(),
            "capabilities": {"textDocument": {"inlineCompletion": {}}, "window": {"showMessage": {}}},
            "initializationOptions": {**FAST, **(options or {})},
        },
        60,
    )
    assert "result" in answer, answer
    client.notify("initialized", {})
    ready = client.wait(
        lambda m: m.get("method") == "compilot/status" and m["params"]["state"] in ("ready", "error"), 0, 180
    )
    assert ready is not None and ready["params"]["state"] == "ready", ready
    health = Health(client, (workspace / "Health.java").as_uri())
    health.open()
    return Session(client, health, workspace)


# ---------------------------------------------------------------- the inputs


def _inline(uri: str, line: int, character: int) -> dict:
    return {
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 1},
    }


def _request(client: RawClient, health: Health, method: str = "textDocument/inlineCompletion", params=None):
    """A normal request's id and framed bytes (a completion on the health document unless told)."""
    msg_id = client.next_id()
    params = _inline(health.uri, HEALTH_LINE, 8) if params is None else params
    return msg_id, encode({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})


def _framed(header: bytes, then_good: bool = True):
    """A request under a bad header, then (so a reader stuck on it moves on) a good request."""

    def send(client: RawClient, health: Health) -> Expect:
        msg_id, body = _request(client, health)
        good_id, good = _request(client, health)
        client.send_bytes(
            header.replace(b"{n}", str(len(body)).encode()) + body + (frame(good) if then_good else b"")
        )
        return Expect(error_id="null", result_id=good_id if then_good else None)

    return send


def _wrong_length(delta: int):
    def send(client: RawClient, health: Health) -> Expect:
        msg_id, body = _request(client, health)
        good_id, good = _request(client, health)
        client.send_bytes(b"Content-Length: %d\r\n\r\n%s" % (len(body) + delta, body) + frame(good))
        return Expect(error_id=msg_id, result_id=good_id)

    return send


def _tolerated(header: bytes):
    def send(client: RawClient, health: Health) -> Expect:
        msg_id, body = _request(client, health)
        client.send_bytes(header.replace(b"{n}", str(len(body)).encode()) + body)
        return Expect(result_id=msg_id)

    return send


def _body(raw: bytes, error_id: Any = "null"):
    def send(client: RawClient, health: Health) -> Expect:
        client.send_bytes(frame(raw))
        return Expect(error_id=error_id)

    return send


def _message(message: dict, expect: str):
    """A JSON message as given (its "id", if any, made unique); `expect`: error, result, logged, none."""

    def send(client: RawClient, health: Health) -> Expect:
        message_ = dict(message)
        if "id" in message_ and isinstance(message_["id"], str):
            message_["id"] = client.next_id()
        client.send(message_)
        msg_id = message_.get("id") if isinstance(message_.get("id"), (str, int)) else "null"
        return {
            "error": Expect(error_id=msg_id),
            "result": Expect(result_id=msg_id),
            "logged": Expect(logged=True),
            "none": Expect(),
        }[expect]

    return send


def _split_writes(client: RawClient, health: Health) -> Expect:
    msg_id, body = _request(client, health)
    data = frame(body)
    for i in range(0, 40):
        client.send_bytes(data[i : i + 1])
        time.sleep(0.005)
    client.send_bytes(data[40:])
    return Expect(result_id=msg_id)


def _two_in_one_write(client: RawClient, health: Health) -> Expect:
    first, a = _request(client, health)
    second, b = _request(client, health)
    client.send_bytes(frame(a) + frame(b))
    return Expect(result_id=second, error_id=None)


def _batch(client: RawClient, health: Health) -> Expect:
    first, a = _request(client, health)
    second, b = _request(client, health)
    client.send_bytes(frame(b"[" + a + b"," + b + b"]"))
    return Expect(error_id=first)


def _bad_utf8(client: RawClient, health: Health) -> Expect:
    msg_id, body = _request(client, health)
    client.send_bytes(frame(body.replace(b'"context"', b'"\xff\xfe": 1, "context"')))
    return Expect(error_id=msg_id)


def _change(client: RawClient, health: Health, change: dict, version: int | None = None) -> None:
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": health.uri, "version": version or health.version + 1},
            "contentChanges": [change],
        },
    )


def _change_past_the_end(client: RawClient, health: Health) -> Expect:
    """The LSP's rule: a line past the end means the end; the client's copy follows it too."""
    far = {"line": 900, "character": 0}
    _change(client, health, {"range": {"start": far, "end": far}, "text": "// tail\n"})
    health.text, health.version = health.text + "// tail\n", health.version + 1
    return Expect()


def _change_malformed(client: RawClient, health: Health) -> Expect:
    bad = {"line": "x", "character": 0}
    _change(client, health, {"range": {"start": bad, "end": bad}, "text": "garbage"})
    return Expect(logged=True)


def _change_unknown(client: RawClient, health: Health) -> Expect:
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": health.uri.replace("Health", "Nowhere"), "version": 2},
            "contentChanges": [{"text": "class Nowhere {}"}],
        },
    )
    return Expect(logged=True)


def _open_then_complete(name: str, text: str, uri: str | None = None, cancel_after: float | None = None):
    """Open a document, ask for a completion at its end (cancelled after `cancel_after`), close it."""

    def send(client: RawClient, health: Health) -> Expect:
        doc = uri or health.uri.replace("Health.java", name)
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": doc, "languageId": "java", "version": 1, "text": text}},
        )
        lines = text.split("\n")
        msg_id = client.next_id()
        params = _inline(doc, len(lines) - 1, len(lines[-1]))
        client.send(
            {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/inlineCompletion", "params": params}
        )
        if cancel_after is not None:
            time.sleep(cancel_after)
            client.notify("$/cancelRequest", {"id": msg_id})

        def close() -> None:
            client.notify("textDocument/didClose", {"textDocument": {"uri": doc}})

        if cancel_after is not None:
            return Expect(answer_id=msg_id, after=close)
        return Expect(result_id=msg_id, after=close)

    return send


def _overlapping(client: RawClient, health: Health) -> Expect:
    ids = []
    for _ in range(3):
        msg_id, body = _request(client, health)
        client.send_bytes(frame(body))
        ids.append(msg_id)
    return Expect(result_id=ids[-1])


def _settings(value: Any, expect: str = "logged", keep: bool = False):
    """A settings change (didChangeConfiguration), then back to the session's own unless `keep`."""

    def send(client: RawClient, health: Health) -> Expect:
        client.notify("workspace/didChangeConfiguration", {"settings": value})

        def restore() -> None:
            client.notify("workspace/didChangeConfiguration", {"settings": {"compilot": {}}})

        return Expect(logged=expect == "logged", after=None if keep else restore)

    return send


HUGE_LINE = (
    'public class Wide {\n    String s = "'
    + "x" * 200_000
    + '";\n    void f() {\n        int a = 1;\n        '
)
NESTED = "public class Deep {\n    void f() {\n" + "{" * 5000 + "\n        int a = 1;\n        "
BIG_FILE = (
    "public class Big {\n"
    + "".join(f"    int m{i}(int x) {{\n        return x * {i};\n    }}\n" for i in range(14_000))
    + "    void f() {\n        "
)  # ~0.75 MB, under the 1 MB limit: every javac run over it takes about a second here
STDIO = ("stdio",)

CASES: list[Case] = [
    # framing
    Case("Content-Length 5 short", _wrong_length(-5)),
    Case("Content-Length 10 long", _wrong_length(10)),
    Case("no Content-Length", _framed(b"Content-Type: application/vscode-jsonrpc\r\n\r\n")),
    Case("Content-Length abc", _framed(b"Content-Length: abc\r\n\r\n")),
    Case("Content-Length -5", _framed(b"Content-Length: -5\r\n\r\n")),
    Case("Content-Length 0", _framed(b"Content-Length: 0\r\n\r\n", then_good=True)),
    Case("Content-Length 99999999999", _framed(b"Content-Length: 99999999999\r\n\r\n")),
    Case("a header line without a colon", _framed(b"Hello\r\nContent-Length: {n}\r\n\r\n", then_good=False)),
    Case(
        "2 KB of binary garbage",
        _framed(os.urandom(2048).replace(b"\n", b"").replace(b":", b"") + b"\r\n\r\n"),
    ),
    Case("lower-case content-length", _tolerated(b"content-length: {n}\r\n\r\n")),
    Case("LF-only line ends", _tolerated(b"Content-Length: {n}\n\n")),
    Case("a message one byte per write", _split_writes),
    Case("two messages in one write", _two_in_one_write),
    Case("a body that is not UTF-8", _bad_utf8),
    # JSON-RPC
    Case("invalid JSON", _body(b'{"jsonrpc": "2.0", "id": "bad-json", "method": "x", ', error_id="bad-json")),
    Case("[]", _body(b"[]")),
    Case("42", _body(b"42")),
    Case("null", _body(b"null")),
    Case("a batch of two requests", _batch),
    Case("no jsonrpc member", _message({"id": "?", "method": "textDocument/hover", "params": {}}, "error")),
    Case('jsonrpc "1.0"', _message({"jsonrpc": "1.0", "id": "?", "method": "shutdown"}, "error")),
    Case('"method": 5', _message({"jsonrpc": "2.0", "id": "?", "method": 5}, "error")),
    Case("an object as id", _message({"jsonrpc": "2.0", "id": {"a": 1}, "method": "shutdown"}, "error")),
    Case(
        "params a string",
        _message({"jsonrpc": "2.0", "id": "?", "method": "shutdown", "params": "x"}, "error"),
    ),
    Case(
        "an unknown method",
        _message({"jsonrpc": "2.0", "id": "?", "method": "compilot/nothing", "params": {}}, "error"),
    ),
    Case(
        "a second initialize",
        _message(
            {"jsonrpc": "2.0", "id": "?", "method": "initialize", "params": {"capabilities": {}}}, "error"
        ),
    ),
    Case("a response to nothing", _message({"jsonrpc": "2.0", "id": "?", "result": 5}, "none")),
    Case(
        "cancel of an unknown request",
        _message({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "zz"}}, "none"),
    ),
    # the language server's own requests and notifications
    Case(
        "completion in an unknown document",
        _message(
            {
                "jsonrpc": "2.0",
                "id": "?",
                "method": "textDocument/inlineCompletion",
                "params": _inline("file:///nowhere/X.java", 0, 0),
            },
            "result",
        ),
        STDIO,
    ),
    Case(
        "completion at line -1",
        _message(
            {
                "jsonrpc": "2.0",
                "id": "?",
                "method": "textDocument/inlineCompletion",
                "params": _inline("file:///nowhere/X.java", -1, 0),
            },
            "error",
        ),
        STDIO,
    ),
    Case("didChange past the document's end", _change_past_the_end, STDIO),
    Case("didChange with a malformed range", _change_malformed, STDIO),
    Case("didChange of an unopened document", _change_unknown, STDIO),
    Case("three overlapping completions", _overlapping, STDIO),
    Case(
        "a lone surrogate in a document",
        _open_then_complete(
            "Odd.java", 'public class Odd {\n    String s = "\ud800";\n    void f() {\n        '
        ),
    ),
    Case(
        "an untitled: document",
        _open_then_complete("", "public class U {\n    void f() {\n        ", uri="untitled:Untitled-1"),
        STDIO,
    ),
    Case(
        "a path with spaces and a euro",
        _open_then_complete(
            "", "public class E {\n    void f() {\n        ", uri="file:///tmp/a%20b/%E2%82%AC.java"
        ),
        STDIO,
    ),
    Case(
        "a file named Odd Name.java",
        _open_then_complete("Odd%20Name.java", "class Odd {\n    void f() {\n        "),
        STDIO,
    ),
    Case(
        "a file named a[b]#c.java",
        _open_then_complete("a%5Bb%5D%23c.java", "class C {\n    void f() {\n        "),
        STDIO,
    ),
    Case(
        "a uri that is not one",
        _open_then_complete("", "public class N {\n    void f() {\n        ", uri="not a uri"),
        STDIO,
    ),
    Case(
        "a 200,000-character line, cancelled",
        _open_then_complete("Wide.java", HUGE_LINE, cancel_after=2.0),
        STDIO,
    ),
    Case("5,000 nested braces", _open_then_complete("Deep.java", NESTED), STDIO),
    Case("a 0.75 MB file, cancelled", _open_then_complete("Big.java", BIG_FILE, cancel_after=1.0), STDIO),
    # settings
    Case('settings {"compilot": 5}', _settings({"compilot": 5}), STDIO),
    Case("javaRelease 99", _settings({"compilot": {"javaRelease": 99}}), STDIO),
    Case("checkTimeout 0", _settings({"compilot": {"checkTimeout": 0}}), STDIO),
    Case(
        "a class path entry that does not exist",
        _settings({"compilot": {"classpath": ["/nowhere/lib.jar"]}}),
        STDIO,
    ),
    Case(
        "a class path entry with a NUL", _settings({"compilot": {"classpath": ["/tmp/a\u0000b.jar"]}}), STDIO
    ),
    Case("settings null", _settings(None, expect="none"), STDIO),
]
