"""Shared fixtures: a tiny random model for fast tests, and the real embedded model for integration tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compilot.generation.model import prepare_embedded_model


def pytest_terminal_summary(terminalreporter) -> None:
    """The bad-input layer's table (test_bad_input.py), whenever it ran."""
    import bad_input

    if bad_input.REPORT:
        terminalreporter.section("bad input: what was tried")
        terminalreporter.write_line(bad_input.table(bad_input.REPORT))


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The real embedded model, converted to safetensors (once per machine; ~20 s the first time)."""
    return prepare_embedded_model()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, embedded_model_dir) -> Path:
    """A 2-layer random Llama with the embedded model's tokenizer: loads and decodes in milliseconds."""
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-model")
    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=2,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(embedded_model_dir / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def llama_server():
    """A real llama.cpp server process on 127.0.0.1 serving the embedded GGUF over OpenAI-compatible HTTP,
    without an API key: (URL, process)."""
    from compilot.bench.llama_server import local_server

    with local_server(api_key="") as (url, _key, process):
        yield url, process
