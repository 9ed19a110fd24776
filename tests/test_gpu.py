"""The torch path on CUDA: the sampler with its guards and stop rule, and a stepwise body, on a GPU.

A model built from its config (no weights) is enough: what fails on CUDA is tensors on the wrong device
(a stopping criterion's result ORed with the others on `input_ids.device`). Skips where torch sees no GPU.
"""

from __future__ import annotations

import time

import pytest
import torch

from compilot.context.types import StopRule
from compilot.engine import Engine
from compilot.generation.model import load_model
from compilot.generation.sampler import Sampler, SamplingConfig
from compilot.settings import Settings

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible to torch")

PROMPT = "public class A {\n    int f(int x) {\n        return x"
BODY = "public class A {\n    int twice(int x) {\n        \n    }\n}\n"


def test_sampler_guards_and_stop_rule_on_cuda(tiny_model_dir):
    sampler = Sampler(load_model(str(tiny_model_dir), "cuda"))
    t0 = time.perf_counter()
    first = sampler.sample(PROMPT, StopRule.LINE, SamplingConfig(samples=8, max_new_tokens=24, guards=True))
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = sampler.sample(PROMPT, StopRule.BLOCK, SamplingConfig(samples=8, max_new_tokens=24, guards=True))
    warm_s = time.perf_counter() - t0
    assert len(first) == len(again) == 8
    assert all(len(s.token_ids) <= 24 for s in first + again)
    print(f"\nCUDA: first request {first_s:.2f} s, 8 x 24 tokens warm {warm_s:.2f} s")


def test_a_stepwise_body_on_cuda(tiny_model_dir):
    settings = Settings(
        model=str(tiny_model_dir), device="cuda", backend="torch", samples=2, max_block_tokens=12
    )
    engine = Engine(settings)
    try:
        result = engine.complete(BODY, BODY.index("        \n") + 8)
        assert result.context.stop is StopRule.BLOCK and result.candidates
    finally:
        engine.close()
