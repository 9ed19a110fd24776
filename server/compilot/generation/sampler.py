"""Draw N candidates for one prompt: prefill once, decode N rows together, drop rows as they finish.

A hand-written decode loop (nanoGPT-style) instead of `generate(num_return_sequences=N)`, which prefills the
prompt N times and decodes until the slowest row ends. The loop still speaks transformers' composable API: the
guards are `LogitsProcessor`s and `StoppingCriteria`, applied exactly as `generate` would.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import torch
from transformers import (
    DynamicCache,
    LogitsProcessorList,
    StoppingCriteriaList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
)

from compilot.context.types import StopRule
from compilot.generation.backend import (
    Cancelled,
    Finish,
    Sample,
    SamplingConfig,
    finish_text,
    mean,
    split_heal,
)
from compilot.generation.guards import (
    AttractorStop,
    FirstTokenFilter,
    GeneratedNgramBlock,
    GeneratedRepetitionPenalty,
    NamesFirst,
    TokenTable,
)
from compilot.generation.model import LoadedModel
from compilot.generation.prompt_cache import PromptCache
from compilot.generation.stop_rule import StopRuleCriteria


class Sampler:
    """The `torch` backend. Owns a model and the key/value caches of each document's latest prompt
    (`PromptCache`), reused when the next prompt for that document shares its start."""

    name = "torch"
    rows_one_by_one = False  # rows are decoded batched: 4 cost ~2.5 of one
    constrains_names = True  # SamplingConfig.names, by a logits mask

    def __init__(self, lm: LoadedModel, prompts: PromptCache | None = None):
        self.lm = lm
        self.prompts = prompts or PromptCache(self._forward)
        self._first_token_masks: dict[str, torch.Tensor] = {}
        self._token_table: TokenTable | None = None  # for member-name constraints, built at the first
        self._cancel: threading.Event | None = (
            None  # checked before every decoder layer (see _stop_between_layers)
        )
        for layer in _decoder_layers(lm.model):
            layer.register_forward_pre_hook(self._stop_between_layers)

    def _stop_between_layers(self, module, args) -> None:
        """A cancelled decode step stops at the next layer instead of finishing (its tokens are thrown away).
        Prefill chunks are not stopped half-way: the keystroke after a cancelled request wants the same
        prompt, and half a chunk cannot be kept (measured: typing requests then prefilled ~0.5 s again)."""
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled()

    def _model(self, cancel: threading.Event | None, **inputs):
        """One forward of the model that `cancel` can stop between two layers."""
        self._cancel = cancel
        try:
            return self.lm.model(**inputs, use_cache=True)
        finally:
            self._cancel = None

    @torch.inference_mode()
    def sample(
        self,
        prompt: str,
        rule: StopRule,
        config: SamplingConfig,
        cancel: threading.Event | None = None,
        key: str = "",
    ) -> list[Sample]:
        """`config.samples` completions of `prompt`; `key` names the document whose cached prompt to reuse."""
        tokenizer, device = self.lm.tokenizer, self.lm.device
        prompt_ids, heal = self.encode(prompt)
        if not prompt_ids:
            return []
        cache, logits = self.prompts.prefill(key, prompt_ids, cancel)
        if config.deadline is not None and config.min_decode:
            config = dataclasses.replace(
                config, deadline=max(config.deadline, time.monotonic() + config.min_decode)
            )
        n = config.samples
        cache.batch_repeat_interleave(n)
        logits = logits.expand(n, -1)
        plen = len(prompt_ids)
        seqs = torch.tensor([prompt_ids] * n, device=device)
        processors, stops, attractor = self.guards(config, rule, plen, heal)
        warpers = LogitsProcessorList()
        if config.temperature > 0:
            warpers.append(TemperatureLogitsWarper(config.temperature))
        if config.top_k > 0:
            warpers.append(TopKLogitsWarper(config.top_k))
        generator = torch.Generator(device=device)
        generator.manual_seed(config.seed if config.seed is not None else torch.seed())

        if n == 1 and config.lookup and (config.greedy_first or config.temperature == 0):
            seq, logprob, finish = self._greedy_with_lookup(
                seqs, logits, cache, processors, stops, config, cancel
            )
            return [self._sample_from(seq, plen, logprob, finish, heal, rule, config, attractor)]

        rows = list(range(n))  # original row index of each live row
        logprobs: list[list[float]] = [[] for _ in range(n)]
        finished: dict[int, tuple[torch.Tensor, str]] = {}
        eos = tokenizer.eos_token_id
        for _ in range(config.max_new_tokens):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if _past(config.deadline):
                break
            scores = processors(seqs, logits.float())
            greedy = scores.argmax(-1)
            only_greedy = config.greedy_first and rows == [0]  # a draw would be thrown away (~2 ms a step)
            if config.temperature > 0 and not only_greedy:
                probs = torch.softmax(warpers(seqs, scores.clone()), -1)
                drawn = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            else:
                drawn = greedy
            is_greedy = torch.tensor([config.greedy_first and r == 0 for r in rows], device=device)
            tokens = torch.where(is_greedy, greedy, drawn)
            raw = torch.log_softmax(logits.float(), -1).gather(1, tokens[:, None]).squeeze(1)
            for r, value in zip(rows, raw.tolist(), strict=True):
                logprobs[r].append(value)
            seqs = torch.cat([seqs, tokens[:, None]], 1)
            done = stops(seqs, scores) | (tokens == eos)
            for k in done.nonzero().flatten().tolist():
                finished[rows[k]] = (seqs[k], "eos" if tokens[k] == eos else "stop")
            keep = (~done).nonzero().flatten()
            if len(keep) == 0:
                break
            if len(keep) < len(rows):
                cache.batch_select_indices(keep)
                seqs, tokens = seqs[keep], tokens[keep]
                rows = [rows[k] for k in keep.tolist()]
            logits = self._model(cancel, input_ids=tokens[:, None], cache=cache).logits[:, -1]
        for k, r in enumerate(rows):
            finished.setdefault(r, (seqs[k], "time" if _past(config.deadline) else "length"))

        samples = []
        for r in range(n):
            seq, finish = finished[r]
            samples.append(self._sample_from(seq, plen, logprobs[r], finish, heal, rule, config, attractor))
        return samples

    def encode(self, prompt: str) -> tuple[list[int], str]:
        """The prompt's token ids, and the trailing whitespace cut off so it ends at a natural token boundary."""
        body, heal = split_heal(prompt)
        return self.lm.tokenizer(body, add_special_tokens=False)["input_ids"], heal

    def forget(self, key: str) -> None:
        self.prompts.forget(key)

    def close(self) -> None:
        self.prompts.clear()

    @torch.inference_mode()
    def prefill(self, prompt: str, key: str = "", cancel: threading.Event | None = None) -> None:
        """Compute and keep the prompt's key/value cache now (while the user types), so the next request
        that starts with this prompt only pays for its new tokens. Raises Cancelled between chunks."""
        prompt_ids, _ = self.encode(prompt)
        if prompt_ids:
            self.prompts.prefill(key, prompt_ids, cancel)

    def _forward(self, ids: list[int], cache: DynamicCache) -> torch.Tensor:
        """Feed `ids` after what `cache` holds; the (1, vocab) logits after the last one."""
        fed = torch.tensor([ids], device=self.lm.device)
        return self._model(None, input_ids=fed, cache=cache, logits_to_keep=1).logits[:, -1]

    def guards(
        self, config: SamplingConfig, rule: StopRule, plen: int, heal: str
    ) -> tuple[LogitsProcessorList, StoppingCriteriaList, AttractorStop]:
        """The logits processors and stopping criteria of a request (the attractor stop is in `stops` only
        with guards on, but is returned either way: the benchmark uses it to spot loops)."""
        processors = LogitsProcessorList()
        if heal:
            vocab = self.lm.model.config.vocab_size
            processors.append(FirstTokenFilter(self._first_token_mask(heal[0], vocab), plen))
        stops = StoppingCriteriaList([StopRuleCriteria(self.lm.tokenizer, plen, rule)])
        attractor = AttractorStop(plen)
        if config.guards:
            if config.repetition_penalty != 1.0:
                processors.append(GeneratedRepetitionPenalty(config.repetition_penalty, plen))
            if config.ngram_size:
                processors.append(GeneratedNgramBlock(config.ngram_size, plen))
            stops.append(attractor)
        if config.names:
            if self._token_table is None:
                self._token_table = TokenTable(self.lm.tokenizer, self.lm.model.config.vocab_size)
            processors.append(NamesFirst(self.lm.tokenizer, self._token_table, plen, config.names))
        processors.extend(config.extra_processors)
        return processors, stops, attractor

    def _greedy_with_lookup(self, seqs, logits, cache, processors, stops, config, cancel):
        """Greedy decoding of one row with prompt-lookup drafts: the same tokens as plain greedy, fewer steps.

        Code repeats its own identifiers, so the tokens that followed the last earlier occurrence of the
        sequence's tail are a guess of what comes next. Each step feeds the chosen token plus that draft; every
        draft token the greedy choice agrees with is a step saved, rejected ones leave the cache. Off by default:
        on a CPU a forward over several tokens costs much more than a one-token step, and line completions gained
        nothing (run `prompt-lookup` in docs/benchmarks.md). Where a step is launch-bound (a GPU), drafts are
        nearly free.
        """
        eos = self.lm.tokenizer.eos_token_id
        logprobs: list[float] = []
        ahead: list[int] = []  # draft tokens in the cache beyond the accepted sequence
        ahead_logits = logits[:0]  # the logits that follow each of them
        for step in range(config.max_new_tokens):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if _past(config.deadline):
                return seqs[0], logprobs, "time"
            scores = processors(seqs, logits.float())
            token = int(scores.argmax(-1))
            logprobs.append(torch.log_softmax(logits.float(), -1)[0, token].item())
            seqs = torch.cat([seqs, torch.tensor([[token]], device=seqs.device)], 1)
            if token == eos:
                return seqs[0], logprobs, "eos"
            if stops(seqs, scores).any():
                return seqs[0], logprobs, "stop"
            if ahead and ahead[0] == token:  # accepted: its key/values are already cached
                logits, ahead, ahead_logits = ahead_logits[:1], ahead[1:], ahead_logits[1:]
                continue
            if ahead:
                cache.crop(-len(ahead))
            ahead = lookup_draft(seqs[0].tolist(), config.lookup)[: config.max_new_tokens - step - 2]
            fed = torch.tensor([[token, *ahead]], device=seqs.device)
            out = self._model(cancel, input_ids=fed, cache=cache).logits[0]
            logits, ahead_logits = out[:1], out[1:]
        return seqs[0], logprobs, "length"

    def _sample_from(self, seq, plen, logprobs, finish, heal, rule, config, attractor) -> Sample:
        """The finished Sample of one row: loop cut off (guards on), stop rule applied, healed whitespace."""
        eos = self.lm.tokenizer.eos_token_id
        generated = [t for t in seq[plen:].tolist() if t != eos]
        if config.guards and attractor.cut(generated) != generated:
            generated, finish = attractor.cut(generated), "loop"
        return self._finish(generated, logprobs, heal, rule, finish)

    def _finish(
        self, generated: list[int], logprobs: list[float], heal: str, rule: StopRule, finish: Finish
    ) -> Sample:
        text = finish_text(self.lm.tokenizer.decode(generated, skip_special_tokens=True), heal, rule)
        kept = logprobs[: max(1, len(generated))]
        return Sample(text=text, token_ids=generated, mean_logprob=mean(kept), finish=finish)

    def _first_token_mask(self, char: str, vocab_size: int) -> torch.Tensor:
        if char not in self._first_token_masks:
            self._first_token_masks[char] = FirstTokenFilter.mask_for(self.lm.tokenizer, char, vocab_size)
        return self._first_token_masks[char]


def _decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The decoder blocks of a Hugging Face causal LM (`model.model.layers` for Llama-like ones), or none."""
    decoder = model.get_decoder() if hasattr(model, "get_decoder") else None
    layers = getattr(decoder, "layers", None)
    return list(layers) if isinstance(layers, torch.nn.ModuleList) else []


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def lookup_draft(ids: list[int], length: int, longest: int = 3) -> list[int]:
    """The `length` tokens that followed the latest earlier occurrence of the last 3 (else 2, else 1) tokens."""
    for n in range(min(longest, len(ids) - 1), 0, -1):
        tail = ids[-n:]
        for start in range(len(ids) - n - 1, -1, -1):
            if ids[start : start + n] == tail:
                return ids[start + n : start + n + length]
    return []
