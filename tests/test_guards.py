"""Each degeneration guard on its own: attractors are cut, legitimate repeated code is kept."""

import pytest
import torch
from transformers import AutoTokenizer

from compilot.generation.guards import (
    AttractorStop,
    FirstTokenFilter,
    GeneratedNgramBlock,
    GeneratedRepetitionPenalty,
    find_loop,
)


@pytest.fixture(scope="module")
def tokenizer(embedded_model_dir):
    return AutoTokenizer.from_pretrained(embedded_model_dir)


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize(
    "attractor, kept",
    [
        ("x = foo.S.S.S.S.S", "x = foo.S"),
        (
            "int a = 1;\n        a = a + 1;\n        a = a + 1;\n        a = a + 1;",
            "int a = 1;\n        a = a + 1;",
        ),
        ("i++;\n            i++;\n            i++;\n            i++;", "i++;\n            i++;"),
    ],
)
def test_attractor_is_cut_to_one_copy(tokenizer, attractor, kept):
    generated = ids(tokenizer, attractor)
    cut = AttractorStop(prompt_length=0).cut(generated)
    assert len(cut) < len(generated)
    assert tokenizer.decode(cut).startswith(kept)
    assert len(tokenizer.decode(cut)) <= len(kept) + 12


@pytest.mark.parametrize(
    "code",
    [
        "int v = a.get(i).get(j);",
        "if (x) {\n            y();\n        } else if (z) {\n            w();\n        }",
        "return m[0][1] + m[1][0];",
        "sb.append(a);\n        sb.append(b);",
        "for (int i = 0; i < n; i++) {\n            for (int j = 0; j < n; j++) {",
        "))))",
    ],
)
def test_legitimate_repetition_is_kept(tokenizer, code):
    generated = ids(tokenizer, code)
    assert find_loop(generated) is None
    assert AttractorStop(prompt_length=0).cut(generated) == generated


def test_attractor_stop_flags_rows_separately(tokenizer):
    prompt = ids(tokenizer, "class A {")
    loop = ids(tokenizer, " x.S.S.S.S.S")
    fine = ids(tokenizer, " int count = 0; int total = 1;")[: len(loop)]
    stop = AttractorStop(prompt_length=len(prompt))
    flags = stop(torch.tensor([prompt + loop, prompt + fine]), None)
    assert flags.tolist() == [True, False]


def test_repetition_penalty_spares_the_prompt():
    scores = torch.tensor([[2.0, 2.0, 2.0, -1.0]])
    input_ids = torch.tensor([[0, 1, 3]])  # token 0 and 1 are the prompt, 3 was generated
    out = GeneratedRepetitionPenalty(2.0, prompt_length=2)(input_ids, scores.clone())
    assert out[0, 0] == 2.0 and out[0, 1] == 2.0  # prompt tokens untouched
    assert out[0, 3] == -2.0  # a generated token with a negative score is pushed further down
    assert out[0, 2] == 2.0


def test_ngram_block_bans_only_repeats_of_generated_ngrams():
    prompt = [7, 8, 9, 7, 8]  # the prompt repeats "7 8 -> 9": not banned
    generated = [1, 2, 3, 1, 2]  # "1 2 -> 3" was generated once: 3 is banned next
    scores = torch.zeros(1, 10)
    out = GeneratedNgramBlock(3, prompt_length=len(prompt))(torch.tensor([prompt + generated]), scores)
    assert out[0, 3] == -float("inf")
    assert out[0, 9] == 0
    assert torch.isfinite(out[0, [0, 1, 2, 4, 5]]).all()


def test_first_token_filter_applies_to_the_first_step_only(tokenizer):
    mask = FirstTokenFilter.mask_for(tokenizer, "\n", len(tokenizer))
    assert mask[ids(tokenizer, "\n")[0]]
    assert not mask[ids(tokenizer, "return")[0]]
    guard = FirstTokenFilter(mask, prompt_length=3)
    scores = torch.zeros(1, len(tokenizer))
    first = guard(torch.tensor([[1, 2, 3]]), scores)
    assert torch.isinf(first[0, ~mask]).all() and torch.isfinite(first[0, mask]).all()
    later = guard(torch.tensor([[1, 2, 3, 4]]), scores)
    assert torch.isfinite(later).all()
