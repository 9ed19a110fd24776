"""A llama.cpp server in a process of its own, on 127.0.0.1, serving a GGUF over OpenAI-compatible HTTP.

What a team runs on its inference box, here on this machine (with `--cache-reuse` as the README advises): the `openai` backend's tests and the benchmark's
`openai-local` configuration talk to it as to any remote server. Its API key comes from $COMPILOT_API_KEY.

    python -m compilot.bench.llama_server [--gguf FILE] [--port N]    # serves until killed
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

from compilot.generation.completions import API_KEY_ENV
from compilot.generation.http_stream import Endpoint, HttpError, get_json

MODEL_NAME = "smollm2-135m"  # the name it serves the model under


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_server(
    gguf: str = "", api_key: str | None = None, timeout: float = 120.0
) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """Start the server process; yield (its URL, its API key, the process); stop it afterwards."""
    port = free_port()
    key = secrets.token_urlsafe(16) if api_key is None else api_key
    command = [sys.executable, "-m", "compilot.bench.llama_server", "--port", str(port)]
    if gguf:
        command += ["--gguf", gguf]
    process = subprocess.Popen(
        command, env={**os.environ, API_KEY_ENV: key}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, key, process, timeout)
        yield url, key, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(url: str, key: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the llama.cpp server process exited with status {process.returncode}")
        try:
            if get_json(Endpoint(url), "/v1/models", headers, timeout=2.0).get("data"):
                return
        except HttpError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the llama.cpp server at {url} did not start within {timeout:g} s")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    from compilot.settings import EMBEDDED_MODEL, Settings

    parser = argparse.ArgumentParser(prog="python -m compilot.bench.llama_server")
    parser.add_argument("--gguf", default="", help="the GGUF file (default: the embedded model's)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--slots", type=int, default=6)
    parser.add_argument(
        "--cache-reuse", type=int, default=Settings().cache_reuse, help="llama-server's --cache-reuse"
    )
    args = parser.parse_args(argv)
    import xllamacpp

    from compilot.generation.llamacpp import gguf_for, server_params

    path = gguf_for(args.gguf or EMBEDDED_MODEL)
    key = os.environ.get(API_KEY_ENV, "")
    params = server_params(xllamacpp, path, args.slots, "127.0.0.1", key, cache_reuse=args.cache_reuse)
    params.model_alias = {MODEL_NAME}
    params.port = args.port
    server = xllamacpp.Server(params)
    print(f"serving {params.model.path} as {MODEL_NAME!r} on {server.listening_address}", flush=True)
    stop = threading.Event()
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
