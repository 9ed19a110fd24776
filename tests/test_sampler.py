"""The decode loop with a tiny random model: N rows from one prefill, reproducible, cancellable."""

import dataclasses
import threading
import time

import pytest

from compilot.context.types import StopRule
from compilot.generation.model import load_model
from compilot.generation.sampler import Cancelled, Sampler, SamplingConfig, lookup_draft
from compilot.generation.stop_rule import stop_index

PROMPT = "public class A {\n    int f(int x) {\n        return x"


@pytest.fixture(scope="module")
def sampler(tiny_model_dir):
    return Sampler(load_model(str(tiny_model_dir), "cpu"))


def test_draws_the_requested_number_of_samples(sampler):
    samples = sampler.sample(PROMPT, StopRule.LINE, SamplingConfig(samples=5, max_new_tokens=8))
    assert len(samples) == 5
    assert all(len(s.token_ids) <= 8 for s in samples)
    assert all(s.finish in {"stop", "loop", "eos", "length", "time"} for s in samples)


def test_a_seed_makes_a_request_reproducible(sampler):
    config = SamplingConfig(samples=4, max_new_tokens=10, temperature=1.0, top_k=0, seed=7)
    first = [s.text for s in sampler.sample(PROMPT, StopRule.LINE, config)]
    again = [s.text for s in sampler.sample(PROMPT, StopRule.LINE, config)]
    assert first == again


def test_first_row_is_the_greedy_sample(sampler):
    many = sampler.sample(
        PROMPT, StopRule.LINE, SamplingConfig(samples=4, max_new_tokens=10, temperature=1.0)
    )
    greedy = sampler.sample(
        PROMPT, StopRule.LINE, SamplingConfig(samples=1, max_new_tokens=10, temperature=0)
    )
    assert many[0].token_ids == greedy[0].token_ids


def test_the_next_prompt_reuses_the_shared_start(sampler):
    config = SamplingConfig(samples=2, max_new_tokens=2)
    sampler.sample(PROMPT, StopRule.LINE, config)
    sampler.sample(PROMPT + " + 1", StopRule.LINE, config)
    prompt_tokens = len(sampler.lm.tokenizer(PROMPT, add_special_tokens=False)["input_ids"])
    assert sampler.prompts.reused_tokens >= prompt_tokens - 2


def test_cache_reuse_gives_the_same_samples_as_a_cold_start(sampler, tiny_model_dir):
    config = SamplingConfig(samples=3, max_new_tokens=6, seed=3)
    sampler.sample(PROMPT + " * 2;\n    }\n", StopRule.LINE, config)
    warm = [s.token_ids for s in sampler.sample(PROMPT, StopRule.LINE, config)]
    cold = [s.token_ids for s in Sampler(sampler.lm).sample(PROMPT, StopRule.LINE, config)]
    assert warm == cold


def test_a_set_cancel_event_stops_generation(sampler):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        sampler.sample(PROMPT, StopRule.LINE, SamplingConfig(samples=2, max_new_tokens=50), cancel)


@pytest.mark.parametrize(
    "text, rule, expected",
    [
        ("\n        return x;\n    }", StopRule.LINE, "\n        return x;"),
        ("b);\nnext();", StopRule.LINE, "b);"),
        ("if (x) {\n  y();\n}\nz();", StopRule.LINE, "if (x) {\n  y();\n}"),
        ("\n  a();\n  }\n", StopRule.BLOCK, "\n  a();\n  "),
        ('s = "}";\n', StopRule.LINE, 's = "}";'),
        ("c = '{'; // }\n", StopRule.LINE, "c = '{'; // }"),
        ("/* } */ x();\n", StopRule.LINE, "/* } */ x();"),
        ("return a;", StopRule.LINE, None),
    ],
)
def test_stop_rule(text, rule, expected):
    end = stop_index(text, rule)
    assert (None if end is None else text[:end]) == expected


REPETITIVE = "class A {\n    int total(int[] values) {\n        int sum = 0;\n" + (
    "        sum += values[0];\n        sum += values[1];\n" * 3
)


@pytest.mark.parametrize("prompt", [PROMPT, REPETITIVE])
def test_prompt_lookup_drafts_give_the_same_tokens_as_plain_greedy(sampler, prompt):
    plain = SamplingConfig(samples=1, max_new_tokens=24, temperature=0, lookup=0)
    drafted = dataclasses.replace(plain, lookup=6)
    expected = sampler.sample(prompt, StopRule.BLOCK, plain)[0]
    got = Sampler(sampler.lm).sample(prompt, StopRule.BLOCK, drafted)[0]
    assert got.token_ids == expected.token_ids
    assert got.mean_logprob == pytest.approx(expected.mean_logprob, abs=1e-4)


def test_lookup_draft_continues_the_latest_earlier_occurrence():
    assert lookup_draft([1, 2, 3, 9, 1, 2, 3, 7, 8, 1, 2, 3], 2) == [7, 8]
    assert lookup_draft([5, 6, 7], 4) == []


def test_a_past_deadline_stops_decoding(sampler):
    config = SamplingConfig(samples=3, max_new_tokens=40, deadline=time.monotonic() - 1)
    samples = sampler.sample(PROMPT, StopRule.BLOCK, config)
    assert [s.finish for s in samples] == ["time"] * 3
    assert all(s.token_ids == [] for s in samples)


def test_min_decode_leaves_decoding_time_after_a_late_prefill(sampler):
    """A deadline already past when the prompt is ready still leaves `min_decode` seconds for decoding."""
    config = SamplingConfig(samples=1, max_new_tokens=5, deadline=time.monotonic() - 1, min_decode=60.0)
    (sample,) = sampler.sample(PROMPT, StopRule.BLOCK, config)
    assert sample.finish != "time" and sample.token_ids
