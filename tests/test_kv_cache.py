"""The cache that grows into spare room gives the same numbers as transformers' DynamicCache."""

from __future__ import annotations

import copy

import pytest
import torch
from transformers import DynamicCache

from compilot.generation.kv_cache import GROW, RoomyCache
from compilot.generation.model import load_model


@pytest.fixture(scope="module")
def lm(tiny_model_dir):
    return load_model(str(tiny_model_dir), "cpu")


def run(lm, cache, steps: list[list[list[int]]]) -> list[torch.Tensor]:
    """Feed each step's (batch, tokens) ids after the cache; the last position's logits of each."""
    out = []
    with torch.inference_mode():
        for ids in steps:
            fed = torch.tensor(ids)
            out.append(lm.model(input_ids=fed, cache=cache, use_cache=True).logits[:, -1])
    return out


PROMPT = [list(range(100, 100 + GROW + 40))]  # longer than one buffer's spare room


def test_prefill_and_decode_match_the_dynamic_cache_exactly(lm):
    steps = [PROMPT] + [[[7 + i]] for i in range(GROW + 5)]  # decoding past the spare room too
    for a, b in zip(run(lm, RoomyCache(), steps), run(lm, DynamicCache(), steps), strict=True):
        assert torch.equal(a, b)


def test_crop_copy_and_rows_keep_the_same_numbers(lm):
    roomy, dynamic = RoomyCache(), DynamicCache()
    for cache in (roomy, dynamic):
        run(lm, cache, [PROMPT])
        cache.crop(-30)  # an edit: the tail is computed again
    tail = [PROMPT[0][-30:-10]]
    assert torch.equal(run(lm, roomy, [tail])[0], run(lm, dynamic, [tail])[0])
    roomy, dynamic = copy.deepcopy(roomy), copy.deepcopy(dynamic)
    for cache in (roomy, dynamic):
        cache.batch_repeat_interleave(3)  # three sampled rows
    step = [[5], [6], [7]]
    assert torch.equal(run(lm, roomy, [step])[0], run(lm, dynamic, [step])[0])
    for cache in (roomy, dynamic):
        cache.batch_select_indices(torch.tensor([0, 2]))  # a row finished
    step = [[8], [9]]
    assert torch.equal(run(lm, roomy, [step, step])[1], run(lm, dynamic, [step, step])[1])
    assert roomy.get_seq_length() == dynamic.get_seq_length() == len(PROMPT[0]) - 30 + 20 + 3
