"""The guards on a streamed backend, against a local HTTP server that streams vLLM-style chunks (OpenAI's legacy
`logprobs.tokens`): a loop is cut and the request closed early, the stop rule ends a row, rows are indexed.
The llama.cpp dialect is covered with the real server in test_backends.py."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from compilot.context.types import StopRule
from compilot.generation.backend import SamplingConfig
from compilot.generation.completions import CompletionsBackend
from compilot.generation.http_stream import Endpoint

SCRIPTS: dict[int, list[str]] = {}  # row index -> tokens the server streams for it
LOG: dict = {}
STEP = {"s": 0.01, "per_row": False}  # a step's time; per_row: a step over n rows takes n times it (a CPU)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        LOG.setdefault("requests", []).append(request)
        LOG["request"] = request
        rows, steps = request.get("n", 1), request.get("max_tokens", 16)  # the OpenAI API's defaults
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            for step in range(min(steps, max(len(t) for t in SCRIPTS.values()))):
                for index, tokens in SCRIPTS.items():
                    if step < len(tokens) and index < rows:
                        choice = {
                            "index": index,
                            "text": tokens[step],
                            "logprobs": {"tokens": [tokens[step]], "token_logprobs": [-0.5]},
                            "finish_reason": None,
                        }
                        data = f"data: {json.dumps({'choices': [choice]})}\n\n".encode()
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                        self.wfile.flush()
                        sent += 1
                time.sleep(STEP["s"] * (rows if STEP["per_row"] else 1))
            self.wfile.write(b"e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n")
        except OSError:
            pass  # the client closed the connection: it had what it needed
        LOG["sent"] = sent


@pytest.fixture(scope="module")
def url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def backend(url):
    return CompletionsBackend("openai", Endpoint(url), "m")


def test_a_loop_is_cut_and_the_request_closed_early(backend):
    SCRIPTS.clear()
    LOG.clear()
    SCRIPTS[0] = ["\n", "        ", "x", " =", " a", ".S"] + [".S"] * 200
    config = SamplingConfig(samples=1, max_new_tokens=300)
    t0 = time.monotonic()
    (sample,) = backend.sample("class A {\n    void f() {\n        ", StopRule.BLOCK, config)
    assert sample.finish == "loop"
    assert sample.text == "x = a.S"
    assert time.monotonic() - t0 < 1.5  # 200 more tokens at 10 ms would take 2 s
    assert LOG["request"]["temperature"] == 0.0 and LOG["request"]["model"] == "m"
    assert "grammar" not in LOG["request"] and "cache_prompt" not in LOG["request"]
    prefill = LOG["requests"][-2]  # the prompt was read ahead by a one-token completion
    assert prefill["max_tokens"] == 1 and "n" not in prefill
    assert LOG["request"]["prompt"].startswith(prefill["prompt"])


def test_rows_end_at_their_stop_rule_and_keep_their_order(backend):
    SCRIPTS.clear()
    SCRIPTS[0] = ["\n", "        ", "int", " y", " =", " 1", ";", "\n", "        ", "y", "++;"]
    SCRIPTS[1] = ["\n", "        ", "return", " 0", ";", "\n", "    ", "}"]
    config = SamplingConfig(samples=2, greedy_first=False, temperature=0.7, top_k=40, seed=3)
    samples = backend.sample("class A {\n    int f() {\n        ", StopRule.LINE, config)
    assert [s.text for s in samples] == ["int y = 1;", "return 0;"]
    assert [s.finish for s in samples] == ["stop", "stop"]
    assert samples[0].mean_logprob == pytest.approx(-0.5)
    assert LOG["request"]["n"] == 2 and LOG["request"]["top_k"] == 40 and LOG["request"]["seed"] == 3


def test_the_deadline_counts_from_the_first_token(backend):
    SCRIPTS.clear()
    SCRIPTS[0] = ["\n", "        ", "x"] + [" +", " x"] * 100  # 2 s of tokens
    config = SamplingConfig(
        samples=1, max_new_tokens=300, guards=False, deadline=time.monotonic() - 1, min_decode=0.3
    )
    (sample,) = backend.sample("class A {\n    int f(int x) {\n        return", StopRule.BLOCK, config)
    assert sample.finish == "time"
    # decoding got its min_decode although the deadline had passed before the request, and no more
    assert 5 < len(sample.text.split()) < 100


@pytest.mark.parametrize("per_row", [False, True])
def test_rows_go_one_request_each_where_a_step_over_rows_costs_a_step_per_row(backend, per_row):
    """On a GPU rows in one request cost about one row; on a CPU a step over n rows takes n steps, and rows in
    one request all run to the deadline while a row alone ends at its own end."""
    SCRIPTS.clear()
    LOG.clear()
    for row in range(4):
        SCRIPTS[row] = ["\n", "        ", "f", "(", "a", ",", " b", ",", " c", ",", f" {row}", ");", "\n"]
    STEP["per_row"] = per_row
    config = SamplingConfig(samples=4, temperature=0.7, seed=1)
    try:
        first = backend.sample("class A {\n    void f() {\n        ", StopRule.LINE, config)
        backend.sample("class A {\n    void f() {\n        ", StopRule.LINE, config)
    finally:
        STEP["per_row"] = False
    assert [s.text for s in first] == ["f(a, b, c, 0);", "f(a, b, c, 0);", "f(a, b, c, 1);", "f(a, b, c, 2);"]
    rows = [r.get("n", 1) for r in LOG["requests"] if r["max_tokens"] > 1]  # not the prefills
    assert rows == ([1, 3, 1, 1, 1, 1] if per_row else [1, 3, 1, 3])
