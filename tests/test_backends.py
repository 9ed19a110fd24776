"""The llamacpp and openai backends with the real embedded GGUF: cancelled at once, reproducible, in step with
torch, no listening TCP port, clear messages for a wrong model, key or URL, and a torch-only install."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from compilot.context.types import StopRule
from compilot.generation.backend import (
    BackendError,
    Cancelled,
    ModelLoadError,
    SamplingConfig,
    resolve_backend,
)
from compilot.settings import EMBEDDED_MODEL, Settings
from java_samples import STACK
from lsp_util import listening_sockets

pytestmark = pytest.mark.model

METHOD = STACK[: STACK.index("items.remove(")]  # the cursor after the indentation of a line in pop()


@pytest.fixture(scope="module")
def llama():
    from compilot.generation.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(cache_reuse=Settings().cache_reuse)
    yield backend
    backend.close()


def test_a_cancel_stops_generation_mid_stream(llama):
    cancel = threading.Event()
    config = SamplingConfig(samples=3, max_new_tokens=400, guards=False, seed=1)
    llama.prefill(METHOD, "doc", None)
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        llama.sample(METHOD, StopRule.BLOCK, config, cancel, "doc")
    assert time.monotonic() - t0 < 0.3 + 0.3  # 400 tokens of 3 rows take seconds
    # and the backend serves the next request
    assert llama.sample(METHOD, StopRule.LINE, SamplingConfig(samples=1), None, "doc")[0].finish == "stop"


def test_a_jump_reads_the_member_but_not_the_outline_after_it_again(llama):
    """The didOpen prompt holds every member's outline; a jump's prompt leaves its member out and adds the
    member's text: the outline after it is shifted from the cache (`cacheReuse`), not read again."""
    from compilot.generation.llamacpp import LlamaCppBackend

    head, member = "class Shelf {\n", "    int size() { ... }\n"
    tail = "".join(f"    void put{k}(String title, int count) {{ ... }}\n" for k in range(12))  # ~200 tokens
    jump = head + tail + "    int size() {\n        return "
    without = LlamaCppBackend(cache_reuse=0)
    try:
        read = {}
        for name, backend in (("reuse", llama), ("no reuse", without)):
            backend.prefill(head + member + tail, "shelf", None)
            before = backend.prefill_tokens
            backend.prefill(jump, "shelf", None)
            read[name] = backend.prefill_tokens - before
            backend.forget("shelf")
    finally:
        without.close()
    assert read["no reuse"] > 150  # the tail and the member's first line
    assert read["reuse"] < read["no reuse"] - 150  # the tail came from the cache


def test_the_same_seed_gives_the_same_candidates(llama):
    config = SamplingConfig(samples=3, max_new_tokens=24, temperature=0.8, seed=7)
    llama.prefill(METHOD, "doc", None)
    first = [s.text for s in llama.sample(METHOD, StopRule.LINE, config, None, "doc")]
    again = [s.text for s in llama.sample(METHOD, StopRule.LINE, config, None, "doc")]
    assert first == again
    assert len(first) == 3


def test_rows_carry_token_ids_and_logprobs_and_the_greedy_row_heals_the_indentation(llama):
    samples = llama.sample(METHOD, StopRule.LINE, SamplingConfig(samples=2, seed=1), None, "doc")
    greedy = samples[0]
    assert greedy.token_ids and greedy.mean_logprob < 0
    assert not greedy.text.startswith((" ", "\n"))  # the cursor's indentation is the user's, kept out
    assert "\n" not in greedy.text.strip()  # a line completion ends at its line's end


def test_greedy_tokens_agree_with_torch(llama, embedded_model_dir):
    """The GGUF (Q4_1 as shipped) and its fp32 dequantization in torch choose the same greedy tokens almost
    everywhere; a share is reported by `compilot bench --backends`."""
    from compilot.bench.backends import first_difference
    from compilot.generation.model import load_model
    from compilot.generation.sampler import Sampler

    torch_backend = Sampler(load_model(EMBEDDED_MODEL, "cpu"))
    config = SamplingConfig(samples=1, max_new_tokens=12, guards=False)
    agree = total = 0
    for cut in ("        items.add(", "        String top = ", "        int n = ", "        return "):
        prompt = STACK[: STACK.index(cut) + len(cut)]
        ours = llama.sample(prompt, StopRule.BLOCK, config, None, "")[0].token_ids
        theirs = torch_backend.sample(prompt, StopRule.BLOCK, config, None, "")[0].token_ids
        same = first_difference(ours, theirs)
        agree, total = agree + same, total + max(len(ours), len(theirs))
    assert agree / total >= 0.6, f"only {agree} of {total} greedy tokens agree before the first difference"


def test_no_listening_tcp_socket_and_a_private_unix_socket(llama):
    assert not listening_sockets(os.getpid())
    assert llama.endpoint.url.startswith("unix://")
    folder = Path(llama.endpoint.parts.path).parent
    assert folder.stat().st_mode & 0o077 == 0  # only this user
    assert llama._headers["Authorization"].startswith("Bearer ") and len(llama._headers["Authorization"]) > 30


def test_sigterm_still_ends_a_process_that_runs_the_backend():
    """llama.cpp's server installs its own SIGTERM handler, which would only stop its loop."""
    code = (
        "import os, signal, time\n"
        "from compilot.generation.llamacpp import LlamaCppBackend\n"
        "b = LlamaCppBackend()\n"
        "print('up', flush=True)\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "up"
    process.terminate()
    assert process.wait(10) == -15


def test_openai_reads_a_prompt_ahead_and_on_llama_cpp_writes_what_llamacpp_writes(llama):
    """didOpen and pauses in typing prefill the prompt on a remote server too: the request then finds it cached
    (before, a jump's request read the whole outline). A llama.cpp server (its /v1/models says so) gets
    llama.cpp's own fields, grammar included: the same greedy line as in process, and guidance. Any other
    server gets OpenAI's fields only: without a grammar to heal the prompt's indentation, its last space is
    left for the model to write with its first word (sent whole, the model wrote a blank line first; cut off
    whole, it sometimes went on with the line before)."""
    from compilot.bench.llama_server import local_server
    from compilot.generation.completions import connect_openai

    greedy = SamplingConfig(samples=1, temperature=0.0)
    with local_server(api_key="") as (url, _key, _process):
        backend = connect_openai(url, "")
        backend.prefill(METHOD, "doc")
        read = backend.prefill_tokens
        backend.prefill(METHOD + "int n = items.size();\n        ", "doc")  # the next keystrokes
        assert read > 60  # the whole prompt (~80 tokens), the first time
        assert backend.prefill_tokens - read < 20  # then only what was typed
        assert backend.llama_cpp and backend.constrains_names
        remote = backend.sample(METHOD, StopRule.LINE, greedy, None, "doc")[0]
        backend.llama_cpp = False  # as vLLM or Ollama would be asked
        plain = backend.sample(METHOD, StopRule.LINE, greedy, None, "doc")[0]
    assert remote.text == llama.sample(METHOD, StopRule.LINE, greedy, None, "doc")[0].text
    assert plain.finish == "stop" and plain.text == "items.remove(items.size() - 1);"  # pop()'s own line


def test_a_killed_server_is_a_clear_error_and_the_next_request_says_so_again():
    from compilot.bench.llama_server import local_server
    from compilot.generation.completions import connect_openai

    with local_server(api_key="") as (url, _key, process):
        backend = connect_openai(url, "")
        config = SamplingConfig(samples=1, max_new_tokens=300, guards=False)

        class KillOnceStreaming(threading.Event):
            """Asked between the chunks of a response: kills the server once the prompt is read, mid-answer
            (a timer lost the race to a short answer on a fast machine)."""

            def is_set(self) -> bool:
                if backend.prefill_tokens and process.poll() is None:
                    process.kill()
                return False

        with pytest.raises(BackendError, match="127.0.0.1"):
            backend.sample(METHOD, StopRule.BLOCK, config, KillOnceStreaming(), "doc")
        process.wait()
        t0 = time.monotonic()
        with pytest.raises(BackendError, match="cannot reach"):
            backend.sample(METHOD, StopRule.LINE, config, None, "doc")
        assert time.monotonic() - t0 < 5  # a few retries with backoff, not a hang


def test_a_wrong_model_name_or_key_is_one_clear_message():
    from compilot.bench.llama_server import local_server
    from compilot.generation.completions import API_KEY_ENV, connect_openai

    with local_server(api_key="right-key") as (url, _key, _process):
        os.environ[API_KEY_ENV] = "right-key"
        try:
            with pytest.raises(ModelLoadError, match="does not serve 'gpt-5'.*smollm2-135m"):
                connect_openai(url, "gpt-5")
            os.environ[API_KEY_ENV] = "wrong-key"
            with pytest.raises(ModelLoadError, match=f"401.*set {API_KEY_ENV}"):
                connect_openai(url + "/v1", "")
        finally:
            os.environ.pop(API_KEY_ENV, None)
    with pytest.raises(ModelLoadError, match="needs the endpoint setting"):
        connect_openai("", "")


def test_a_torch_only_install_falls_back_and_says_why(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "xllamacpp" else real(name, *a)
    )
    assert resolve_backend("auto", EMBEDDED_MODEL) == "torch"
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # `import xllamacpp` fails
    from compilot.generation.llamacpp import LlamaCppBackend

    with pytest.raises(ModelLoadError, match="pip install xllamacpp"):
        LlamaCppBackend()


def test_auto_and_the_backend_settings():
    assert resolve_backend("auto", "/models/my-hf-folder") == "torch"  # not a GGUF: torch loads it
    assert resolve_backend("openai", EMBEDDED_MODEL) == "openai"
    _, problems = Settings().updated({"backend": "vllm"})
    assert problems and "torch, llamacpp, openai" in problems[0]
    settings, problems = Settings().updated({"backend": "openai", "endpoint": "http://gpu-box:8000"})
    assert not problems and settings.endpoint == "http://gpu-box:8000"


def test_llamacpp_refuses_a_model_that_is_not_a_gguf_file(tmp_path):
    from compilot.generation.llamacpp import gguf_for

    with pytest.raises(ModelLoadError, match="GGUF"):
        gguf_for(str(tmp_path))


def test_auto_falls_back_to_torch_when_llama_cpp_cannot_load(monkeypatch, embedded_model_dir):
    from compilot.generation import llamacpp
    from compilot.generation.backend import load_backend

    def broken(model, adapter="", cache_reuse=0):
        raise ModelLoadError("llama.cpp could not load it")

    monkeypatch.setattr(llamacpp, "LlamaCppBackend", broken)
    assert load_backend(Settings(backend="auto", device="cpu")).name == "torch"
    with pytest.raises(ModelLoadError, match="could not load it"):
        load_backend(Settings(backend="llamacpp"))


def test_the_embedded_gguf_as_q8_0_holds_the_same_weights_and_header(tmp_path):
    """llama.cpp loads the embedded model with its Q4_1 tensors requantized to Q8_0 (faster to prefill):
    every other tensor and header field as shipped, each Q8_0 value within half a Q8_0 step of its Q4_1 one."""
    import gguf
    import numpy as np

    from compilot.generation.model import embedded_gguf
    from compilot.generation.requantize import write_q8_0

    shipped = gguf.GGUFReader(str(embedded_gguf()))
    written = gguf.GGUFReader(str(write_q8_0(embedded_gguf(), tmp_path / "q8.gguf")))
    assert not list(tmp_path.glob("*.partial-*"))
    fields = {name: f.contents() for name, f in shipped.fields.items() if not name.startswith("GGUF.")}
    fields[gguf.Keys.General.FILE_TYPE] = int(gguf.LlamaFileType.MOSTLY_Q8_0)
    assert {
        name: f.contents() for name, f in written.fields.items() if not name.startswith("GGUF.")
    } == fields
    assert [t.name for t in written.tensors] == [t.name for t in shipped.tensors]
    for old, new in zip(shipped.tensors, written.tensors, strict=True):
        assert list(new.shape) == list(old.shape)
        if old.tensor_type != gguf.GGMLQuantizationType.Q4_1:
            assert new.tensor_type == old.tensor_type and np.array_equal(new.data, old.data)
            continue
        assert new.tensor_type == gguf.GGMLQuantizationType.Q8_0
        before = gguf.quants.dequantize(old.data, old.tensor_type).reshape(-1, 32)
        after = gguf.quants.dequantize(new.data, new.tensor_type).reshape(-1, 32)
        step = np.abs(before).max(axis=1, keepdims=True) / 127  # a Q8_0 block's scale
        # half a step, plus the scale stored as float16 (up to 127 steps x 2^-11 of a step each)
        assert np.all(np.abs(after - before) <= step * (0.5 + 127 * 2**-11) + 1e-7)


def test_a_killed_processs_socket_folder_is_removed_by_the_next_start(tmp_path, monkeypatch):
    import tempfile

    from compilot.generation import llamacpp

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = tmp_path / f"{llamacpp.SOCKET_DIR_PREFIX}{int(ended.stdout)}-abc"
    alive = tmp_path / f"{llamacpp.SOCKET_DIR_PREFIX}{os.getppid()}-def"
    mine = tmp_path / f"{llamacpp.SOCKET_DIR_PREFIX}{os.getpid()}-ghi"
    other = tmp_path / "compilot-llama-notapid-x"
    for folder in (dead, alive, mine, other):
        folder.mkdir()
        (folder / "llama.sock").write_text("")
    llamacpp._remove_dead_sockets()
    assert not dead.exists() and alive.exists() and mine.exists() and other.exists()
