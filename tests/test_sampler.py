"""The decode loop with a tiny random model: N rows from one prefill, reproducible, cancellable."""

import threading

import pytest

from compilot.context.types import StopRule
from compilot.generation.model import load_model
from compilot.generation.sampler import Cancelled, Sampler, SamplingConfig
from compilot.generation.stop_rule import stop_index

PROMPT = "public class A {\n    int f(int x) {\n        return x"


@pytest.fixture(scope="module")
def sampler(tiny_model_dir):
    return Sampler(load_model(str(tiny_model_dir), "cpu"))


def test_draws_the_requested_number_of_samples(sampler):
    samples = sampler.sample(PROMPT, StopRule.LINE, SamplingConfig(samples=5, max_new_tokens=8))
    assert len(samples) == 5
    assert all(len(s.token_ids) <= 8 for s in samples)
    assert all(s.finish in {"stop", "loop", "eos", "length"} for s in samples)


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
    assert sampler.reused_tokens >= prompt_tokens - 2


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
