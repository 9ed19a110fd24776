"""Degeneration guards and the member-name constraint: composable `LogitsProcessor`s and `StoppingCriteria`.

transformers' own `RepetitionPenaltyLogitsProcessor` and `NoRepeatNGramLogitsProcessor` look at the whole input,
prompt included, so on code they push the model away from every identifier already in the file and forbid
repeating any three tokens of it (the `seed-recipe` configuration in docs/benchmarks.md: it made completions
worse). These guards
only look at the tokens the model generated itself, which is where the attractors (`.S.S.S`, a line again and
again) live.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor, StoppingCriteria

from compilot.generation.backend import IDENT_CHARS, name_state


class GeneratedRepetitionPenalty(LogitsProcessor):
    """CTRL-style repetition penalty over the generated tokens only (the prompt's identifiers stay free)."""

    def __init__(self, penalty: float, prompt_length: int):
        self.penalty = penalty
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        generated = input_ids[:, self.prompt_length :]
        if generated.shape[1] == 0 or self.penalty == 1.0:
            return scores
        picked = torch.gather(scores, 1, generated)
        picked = torch.where(picked < 0, picked * self.penalty, picked / self.penalty)
        return scores.scatter(1, generated, picked)


class GeneratedNgramBlock(LogitsProcessor):
    """Forbid a token that would repeat an n-gram the model already generated.

    With a small n this bans legitimate code (`a.get(i).get(j)` repeats `.get(`); with n around 8-10 it only
    bans verbatim copies of a statement-sized stretch, which is how line loops start.
    """

    def __init__(self, n: int, prompt_length: int):
        self.n = n
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        generated = input_ids[:, self.prompt_length :]
        if generated.shape[1] < self.n:
            return scores
        scores = scores.clone()
        for row, ids in enumerate(generated.tolist()):
            tail = tuple(ids[len(ids) - self.n + 1 :])
            banned = {
                ids[i + self.n - 1]
                for i in range(len(ids) - self.n + 1)
                if tuple(ids[i : i + self.n - 1]) == tail
            }
            if banned:
                scores[row, list(banned)] = -float("inf")
        return scores


def find_loop(ids: list[int], max_period: int = 32, min_span: int = 6, min_copies: int = 3) -> int | None:
    """Where a repetition attractor at the end of `ids` should be cut, or None if there is none.

    An attractor is a cycle of `period` tokens repeated back to back at least `min_copies` times (and over at
    least `min_span` tokens, so `)))` is not one but `.S.S.S` is). The cut keeps the text before the cycle plus
    one copy of it: the loop goes, whatever the model meant before it stays.
    """
    for period in range(1, min(max_period, len(ids) // min_copies) + 1):
        copies = max(min_copies, -(-min_span // period))
        if copies * period > len(ids):
            continue
        cycle = ids[len(ids) - period :]
        if all(ids[len(ids) - (k + 1) * period : len(ids) - k * period] == cycle for k in range(copies)):
            start = len(ids) - copies * period
            while start >= period and ids[start - period : start] == cycle:
                start -= period
            return start + period
    return None


class AttractorStop(StoppingCriteria):
    """Stop a row once its generated tokens end in a repetition attractor (see `find_loop`)."""

    def __init__(self, prompt_length: int, max_period: int = 32):
        self.prompt_length = prompt_length
        self.max_period = max_period

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        rows = input_ids[:, self.prompt_length :].tolist()
        done = [find_loop(ids, self.max_period) is not None for ids in rows]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)  # ORed with criteria there

    def cut(self, generated: list[int]) -> list[int]:
        """The generated tokens with the loop at their end removed."""
        end = find_loop(generated, self.max_period)
        return generated if end is None else generated[:end]


class FirstTokenFilter(LogitsProcessor):
    """Allow only tokens that start with `required` as the first generated token.

    The prompt's trailing whitespace is cut off so it ends where the model's tokenizer would split (token
    healing); this makes the model put that whitespace back first, instead of continuing the previous line.
    """

    def __init__(self, allowed: torch.Tensor, prompt_length: int):
        self.allowed = allowed  # bool mask over the vocabulary
        self.prompt_length = prompt_length

    @staticmethod
    def mask_for(tokenizer, required: str, vocab_size: int) -> torch.Tensor:
        mask = torch.zeros(vocab_size, dtype=torch.bool)
        for token_id in range(len(tokenizer)):
            if tokenizer.decode([token_id]).startswith(required):
                mask[token_id] = True
        return mask

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[1] != self.prompt_length:
            return scores
        return scores.masked_fill(~self.allowed.to(scores.device), -float("inf"))


class TokenTable:
    """Each token's text split at its first non-identifier character, for name constraints (built once
    per tokenizer: ~49k decodes)."""

    def __init__(self, tokenizer, vocab_size: int) -> None:
        self.pure: dict[str, list[int]] = {}  # tokens that are all identifier characters
        self.headed: dict[str, list[int]] = {}  # identifier head -> tokens that go on with something else
        self.free = torch.zeros(vocab_size, dtype=torch.bool)  # tokens that start with a non-identifier
        for token_id in range(len(tokenizer)):
            text = tokenizer.decode([token_id])
            end = 0
            while end < len(text) and text[end] in IDENT_CHARS:
                end += 1
            if text and end == len(text):
                self.pure.setdefault(text, []).append(token_id)
            elif end:
                self.headed.setdefault(text[:end], []).append(token_id)
            else:
                self.free[token_id] = True

    def allowed(self, partial: str, names: tuple[str, ...], complete: bool, vocab_size: int) -> torch.Tensor:
        """Tokens after `partial` that stay on the way to a name (or, `complete`, end it)."""
        ids: list[int] = []
        for name in names:
            if len(name) > len(partial) and name.startswith(partial):
                rest = name[len(partial) :]
                for j in range(1, len(rest) + 1):
                    ids += self.pure.get(rest[:j], ())
                ids += self.headed.get(rest, ())
        mask = torch.zeros(vocab_size, dtype=torch.bool)
        mask[ids] = True
        if complete:
            mask[: len(self.free)] |= self.free
        return mask


class NamesFirst(LogitsProcessor):
    """Only tokens that keep a row on its way to one of `names` (javac's members after a dot), until the
    name is complete and something that is not an identifier follows it."""

    def __init__(self, tokenizer, table: TokenTable, prompt_length: int, names: tuple[str, ...]) -> None:
        self.tokenizer = tokenizer
        self.table = table
        self.prompt_length = prompt_length
        self.names = names

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for k in range(input_ids.shape[0]):
            written = self.tokenizer.decode(input_ids[k, self.prompt_length :].tolist())
            state = name_state(written, self.names)
            if state is None:
                continue
            allowed = self.table.allowed(state[0], self.names, state[1], scores.shape[-1])
            scores[k] = scores[k].masked_fill(~allowed.to(scores.device), -float("inf"))
        return scores
