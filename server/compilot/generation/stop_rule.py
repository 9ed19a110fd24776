"""The context's stop rule as a `StoppingCriteria`: end a line completion at its line's end, a body at its `}`."""

from __future__ import annotations

import torch
from transformers import StoppingCriteria

from compilot.context.types import StopRule
from compilot.lexer import COMMENTS, NEWLINE, PUNCT, pieces


def stop_index(text: str, rule: StopRule) -> int | None:
    """Where the completion `text` ends under `rule`, or None if it has not ended yet.

    LINE: at the first newline after some code where the completion's own brackets are balanced (a line that
    opens a block runs on until the block closes). BLOCK: at the `}` that closes the enclosing block; a line
    completion ends there too. Brackets inside strings, char literals and comments do not count, and a
    comment or literal still open at the end has not ended.
    """
    braces = parens = 0
    seen_code = False
    for kind, start, _, _ in pieces(text):
        if kind == NEWLINE:
            if rule is StopRule.LINE and seen_code and braces == 0 and parens <= 0:
                return start
            continue
        if kind in COMMENTS:
            continue
        seen_code = True
        if kind != PUNCT:
            continue
        char = text[start]
        if char == "{":
            braces += 1
        elif char == "}":
            braces -= 1
            if braces < 0:
                return start
        elif char in "([":
            parens += 1
        elif char in ")]":
            parens -= 1  # may go negative: the completion closes a call the line before it opened
    return None


class StopRuleCriteria(StoppingCriteria):
    """Stop each row once its decoded generated text has ended under the stop rule."""

    def __init__(self, tokenizer, prompt_length: int, rule: StopRule):
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.rule = rule

    def text(self, generated_ids: list[int]) -> str:
        return self.tokenizer.decode(generated_ids, skip_special_tokens=True)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        rows = input_ids[:, self.prompt_length :].tolist()
        done = [stop_index(self.text(ids), self.rule) is not None for ids in rows]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)  # ORed with criteria there
