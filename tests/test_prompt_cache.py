"""Per-document prompt caches: reuse across jumps and keystrokes, edits that invalidate, eviction, chunks
that a cancel or a preempting request stops between (tiny random model)."""

from __future__ import annotations

import threading

import pytest
import torch

from compilot.generation.model import load_model
from compilot.generation.prompt_cache import Cancelled, PromptCache
from compilot.generation.sampler import Sampler


@pytest.fixture(scope="module")
def sampler(tiny_model_dir):
    return Sampler(load_model(str(tiny_model_dir), "cpu"))


def fresh(sampler: Sampler, ids: list[int]) -> torch.Tensor:
    """The logits after `ids` from an empty cache, in one forward."""
    return PromptCache(sampler._forward, chunk=10_000).prefill("cold", ids)[1]


IDS = list(range(1000, 1300))  # 300 tokens


def test_a_jump_reuses_the_shared_start_and_gets_the_same_logits(sampler):
    cache = PromptCache(sampler._forward, chunk=64)
    cache.prefill("doc", IDS[:250])
    jump = IDS[:200] + list(range(5000, 5040))  # same file context, another member
    _, logits = cache.prefill("doc", jump)
    assert cache.reused_tokens == 200
    assert torch.allclose(logits, fresh(sampler, jump), atol=1e-4)
    assert cache.cached_ids("doc") == jump


def test_a_keystroke_pays_only_for_its_token(sampler):
    cache = PromptCache(sampler._forward, chunk=64)
    cache.prefill("doc", IDS[:120])
    cache.prefill("doc", IDS[:121])
    assert cache.reused_tokens == 120
    _, logits = cache.prefill("doc", IDS[:121])  # asked again: nothing to compute
    assert cache.reused_tokens == 121
    assert torch.allclose(logits, fresh(sampler, IDS[:121]), atol=1e-4)


def test_an_edit_early_in_the_file_invalidates_what_follows(sampler):
    cache = PromptCache(sampler._forward, chunk=64)
    cache.prefill("doc", IDS)
    edited = IDS[:10] + [7] + IDS[11:]
    _, logits = cache.prefill("doc", edited)
    assert cache.reused_tokens == 10
    assert torch.allclose(logits, fresh(sampler, edited), atol=1e-4)
    cache.prefill("doc", [9, 9, 9])  # nothing shared: starts over
    assert cache.reused_tokens == 0


def test_documents_have_their_own_caches_and_the_oldest_goes_first(sampler):
    cache = PromptCache(sampler._forward, max_tokens=500, chunk=64)
    cache.prefill("a", IDS[:200])
    cache.prefill("b", IDS[:200])
    cache.prefill("a", IDS[:201])  # a is now the most recent
    assert "a" in cache and "b" in cache
    cache.prefill("c", IDS[:200])  # 601 tokens: the least recently used (b) goes
    assert "b" not in cache and "a" in cache and "c" in cache
    cache.prefill("a", IDS[:201])
    assert cache.reused_tokens == 201
    cache.forget("a")
    assert "a" not in cache


def test_a_cancel_stops_between_chunks_and_keeps_the_chunks_done(sampler):
    cancel = threading.Event()
    chunks = []

    def forward(ids, kv):
        chunks.append(len(ids))
        out = sampler._forward(ids, kv)  # not stoppable, so the second chunk finishes
        if len(chunks) == 2:
            cancel.set()  # the request is cancelled while its second chunk runs
        return out

    cache = PromptCache(forward, chunk=64)
    with pytest.raises(Cancelled):
        cache.prefill("doc", IDS, cancel)
    assert chunks == [64, 64]  # stopped before the third chunk
    assert cache.cached_ids("doc") == IDS[:128]
    _, logits = cache.prefill("doc", IDS)  # the next request goes on from there
    assert cache.reused_tokens == 128
    assert torch.allclose(logits, fresh(sampler, IDS), atol=1e-4)


def test_a_cancel_before_any_chunk_leaves_no_stale_logits(sampler):
    cache = PromptCache(sampler._forward, chunk=64)
    cache.prefill("doc", IDS[:100])
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        cache.prefill("doc", IDS[:50] + [3] * 20, cancel)  # crops to 50, then stops
    _, logits = cache.prefill("doc", IDS[:50])
    assert torch.allclose(logits, fresh(sampler, IDS[:50]), atol=1e-4)


def test_the_sampler_keeps_one_cache_per_document(sampler):
    from compilot.context.types import StopRule
    from compilot.generation.backend import SamplingConfig

    config = SamplingConfig(samples=1, max_new_tokens=2, temperature=0.0)
    sampler.sample("class A { int x = 1;", StopRule.LINE, config, key="a.java")
    sampler.sample("class B { void f() {", StopRule.LINE, config, key="b.java")
    sampler.sample("class A { int x = 1; int y", StopRule.LINE, config, key="a.java")
    assert sampler.prompts.reused_tokens >= len(sampler.encode("class A { int x = 1;")[0]) - 1


def test_a_cancelled_decode_step_stops_between_two_layers(sampler):
    """Cancelled while a decode step runs, sampling stops at the next layer, not after the whole step."""
    from compilot.context.types import StopRule
    from compilot.generation.backend import SamplingConfig

    cancel = threading.Event()
    first: list[int] = []
    last: list[int] = []

    def on_first_layer(*_):
        first.append(1)
        if len(first) == 3:  # the prompt's forward, one decode step, then the second step's first layer
            cancel.set()

    layers = sampler.lm.model.get_decoder().layers
    hooks = [
        layers[0].register_forward_hook(on_first_layer),
        layers[-1].register_forward_hook(lambda *_: last.append(1)),
    ]
    config = SamplingConfig(samples=1, max_new_tokens=5, temperature=0.0)
    try:
        with pytest.raises(Cancelled):
            sampler.sample("class A { int x", StopRule.LINE, config, cancel, key="decode")
    finally:
        for hook in hooks:
            hook.remove()
    assert len(first) == 3 and len(last) == 2  # the second step never reached the last layer
