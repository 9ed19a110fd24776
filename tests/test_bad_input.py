"""The bad-input layer (bad_input.py) over real stdio and TCP, the TCP lifecycle, and the security promises.

The table of what was tried is printed at the end of the pytest run (conftest.py); every row must show the
input answered, the server alive afterwards and the document state intact.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import bad_input
from bad_input import CASES, RawClient, frame, initialize, run_cases
from javac_util import build_processor_jar
from lsp_util import descendants, listening_sockets

pytestmark = pytest.mark.model

BUDGET_S = 240  # per transport: the cases stop here even if some are left


def _ok(rows: list[bad_input.Row]) -> list[str]:
    return [
        f"{r.case} ({r.transport}): {r.answer} {r.problem}"
        for r in rows
        if not (r.answered and r.survived and r.state_ok)
    ]


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


def _wait_dead(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def _end(client: RawClient, process: subprocess.Popen) -> int:
    client.request("shutdown", None)
    client.notify("exit", None)
    return process.wait(30)


# ---------------------------------------------------------------- stdio


def test_bad_input_over_stdio(tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "Existing.java").write_text("public class Existing {}\n")
    before = _tree(workspace)
    client, process = RawClient.stdio([], workspace, (tmp_path / "stderr.log").open("wb"))
    session = initialize(client, workspace)

    rows = run_cases(client, session.health, "stdio", CASES, BUDGET_S)
    bad_input.REPORT.extend(rows)
    assert len(rows) == sum("stdio" in c.transports for c in CASES), "the time budget ran out"
    assert not _ok(rows), "\n".join(_ok(rows))

    # Security: no socket another process could connect to (the JVM and llama.cpp's Unix socket included).
    assert descendants(process.pid), "the JVM should be running by now"
    assert not listening_sockets(process.pid)
    # An annotation processor on the class path never runs, in diagnostics or in a checked completion.
    marker = tmp_path / "processor-ran"
    jar = build_processor_jar(tmp_path, marker)
    client.notify("workspace/didChangeConfiguration", {"settings": {"compilot": {"classpath": [str(jar)]}}})
    uri = (workspace / "Annotated.java").as_uri()
    text = "@Deprecated\npublic class Annotated {\n    void f() {\n        \n    }\n}\n"
    since = client.mark()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "java", "version": 1, "text": text}},
    )
    published = client.wait(
        lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri,
        since,
        60,
    )
    assert published is not None and published["params"]["diagnostics"] == []
    answer = client.request("textDocument/inlineCompletion", bad_input._inline(uri, 3, 8), 60)
    assert "result" in answer
    assert not marker.exists(), "javac ran the annotation processor"
    # The workspace is read, never written.
    assert _tree(workspace) == before

    assert _end(client, process) == 0


def test_exit_without_shutdown_exits_1(tmp_path):
    client, process = RawClient.stdio([], tmp_path, subprocess.DEVNULL)
    answer = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}}, 60)
    assert "result" in answer
    client.notify("exit", None)
    assert process.wait(30) == 1


def test_a_request_before_initialize_is_refused(tmp_path):
    client, process = RawClient.stdio([], tmp_path, subprocess.DEVNULL)
    answer = client.request("textDocument/hover", {})
    assert answer["error"]["code"] == -32002
    client.close()  # stdin closed without exit: the server ends too (not told to shut down: 1)
    assert process.wait(30) == 1


# ---------------------------------------------------------------- TCP


class TcpServer:
    """`compilot serve --tcp 127.0.0.1:0`: the port it chose, read from its log."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "compilot.lsp", "--tcp", "127.0.0.1:0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        self.log: list[str] = []
        found = threading.Event()
        self.port = 0

        def read() -> None:
            for line in self.process.stderr:
                self.log.append(line.decode(errors="replace"))
                if match := re.search(r"listening on \('127\.0\.0\.1', (\d+)\)", self.log[-1]):
                    self.port = int(match.group(1))
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        assert found.wait(30), "".join(self.log)

    def connect(self) -> RawClient:
        return RawClient.tcp("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_bad_input_over_tcp_and_one_client_at_a_time(tmp_path):
    server = TcpServer(tmp_path)
    try:
        client = server.connect()
        session = initialize(client, tmp_path)
        rows = run_cases(client, session.health, "tcp", CASES, BUDGET_S)
        bad_input.REPORT.extend(rows)
        assert len(rows) == sum("tcp" in c.transports for c in CASES), "the time budget ran out"
        assert not _ok(rows), "\n".join(_ok(rows))

        # A second client is told why and closed; the first is still served, and alone.
        second = server.connect()
        told = second.wait(lambda m: m.get("method") == "window/showMessage", 0, 15)
        assert told is not None and "one client at a time" in told["params"]["message"]
        assert second.wait(lambda m: False, 0, 10) is None and second.closed
        assert session.health.check() == (True, "")

        # The client leaves in the middle of a message: the server and its JVM end.
        children = descendants(server.process.pid)
        assert children, "the JVM should be running by now"
        client.send_bytes(b'Content-Length: 500\r\n\r\n{"jsonrpc": ')
        client.close()
        assert server.process.wait(30) == 1
        assert not _wait_dead(children, 10), "the JVM outlived the server"
    finally:
        server.stop()


def test_tcp_keep_listening_serves_the_next_client_afresh(tmp_path):
    server = TcpServer(tmp_path, "--keep-listening")
    try:
        first = server.connect()
        initialize(first, tmp_path)
        first.request("shutdown", None)
        first.notify("exit", None)
        assert first.wait(lambda m: False, 0, 15) is None and first.closed
        second = server.connect()
        session = initialize(second, tmp_path)  # a fresh server: a second initialize is accepted here
        assert session.health.check() == (True, "")
        assert server.process.poll() is None
    finally:
        server.stop()


def test_tcp_refuses_a_message_stream_that_is_not_lsp(tmp_path):
    """An HTTP request (a web page probing localhost) is answered with parse errors, never served."""
    server = TcpServer(tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + frame(json.dumps({"x": 1}).encode()))
            reply = sock.recv(65536)
        assert b'"code": -32700' in reply or b'"code": -32600' in reply
        assert server.process.wait(30) == 1
    finally:
        server.stop()
