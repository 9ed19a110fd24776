"""The context's stop rule as a `StoppingCriteria`: end a line completion at its line's end, a body at its `}`."""

from __future__ import annotations

import torch
from transformers import StoppingCriteria

from compilot.context.types import StopRule


def stop_index(text: str, rule: StopRule) -> int | None:
    """Where the completion `text` ends under `rule`, or None if it has not ended yet.

    LINE: at the first newline after some code where the completion's own brackets are balanced (a line that
    opens a block runs on until the block closes). BLOCK: at the `}` that closes the enclosing block; a line
    completion ends there too. Brackets inside strings, char literals and comments do not count.
    """
    braces = parens = 0
    seen_code = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            end = _skip_quoted(text, i)
            if end is None:
                return None
            i, seen_code = end, True
            continue
        if text.startswith("//", i):
            newline = text.find("\n", i)
            if newline < 0:
                return None
            i = newline
            continue
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return None
            i = close + 2
            continue
        if c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
            if braces < 0:
                return i
        elif c in "([":
            parens += 1
        elif c in ")]":
            parens -= 1  # may go negative: the completion closes a call the line before it opened
        elif c == "\n" and rule is StopRule.LINE and seen_code and braces == 0 and parens <= 0:
            return i
        if not c.isspace():
            seen_code = True
        i += 1
    return None


def _skip_quoted(text: str, start: int) -> int | None:
    """Index after the string or char literal opening at `start` (text blocks included), None if unfinished."""
    if text.startswith('"""', start):
        end = text.find('"""', start + 3)
        return None if end < 0 else end + 3
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        if text[i] == "\n":
            return i  # an unterminated literal ends at the line; javac will judge it
        i += 1
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
