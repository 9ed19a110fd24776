"""The naive path that the latency figures are compared with.

What a first version of the engine would do: transformers' `generate(num_return_sequences=N)` (the prompt is
prefilled N times, every row decodes until the slowest one ends, nothing is kept between requests) and a fresh
`javac` process for the document and for every candidate. The guards, the stop rule and the verdicts are the
engine's own, so the configurations differ in speed, not in what they accept.
"""

from __future__ import annotations

import threading

import torch

from compilot.bench.javac import javac_path, run_javac
from compilot.context.types import StopRule
from compilot.generation.backend import Sample, SamplingConfig
from compilot.generation.sampler import Sampler
from compilot.verification.diagnostics import Diagnostic


class NaiveSampler(Sampler):
    """`generate(num_return_sequences=N)`: every row sampled (no greedy first row), no cache reuse."""

    def prefill(self, prompt: str, key: str = "", cancel: threading.Event | None = None) -> None:
        """Nothing is kept between requests on the naive path."""

    @torch.inference_mode()
    def sample(
        self,
        prompt: str,
        rule: StopRule,
        config: SamplingConfig,
        cancel: threading.Event | None = None,
        key: str = "",
    ) -> list[Sample]:
        prompt_ids, heal = self.encode(prompt)
        if not prompt_ids:
            return []
        plen = len(prompt_ids)
        processors, stops, attractor = self.guards(config, rule, plen, heal)
        if config.seed is not None:
            torch.manual_seed(config.seed)
        eos = self.lm.tokenizer.eos_token_id
        ids = torch.tensor([prompt_ids], device=self.lm.device)
        out = self.lm.model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            do_sample=config.temperature > 0,
            temperature=config.temperature if config.temperature > 0 else None,
            top_k=config.top_k if config.temperature > 0 else None,
            num_return_sequences=config.samples,
            max_new_tokens=config.max_new_tokens,
            logits_processor=processors,
            stopping_criteria=stops,
            output_logits=True,
            return_dict_in_generate=True,
            pad_token_id=eos,
        )
        new = out.sequences[:, plen:]
        logprobs = torch.log_softmax(torch.stack(out.logits, 1).float(), -1).gather(2, new[..., None])[..., 0]
        samples = []
        for r in range(new.shape[0]):
            length = int((new[r] != eos).sum())  # rows that ended early are padded with eos
            finish = "length" if length == config.max_new_tokens else "stop"
            row = logprobs[r, : max(1, length)].tolist()
            samples.append(
                self._sample_from(out.sequences[r], plen, row, finish, heal, rule, config, attractor)
            )
        return samples


class ColdJavac:
    """JavaChecker's interface over a new `javac -proc:none` process per source (no warm JVM, no pool)."""

    key = ("cold-javac",)

    def __init__(self, classpath: tuple[str, ...] = (), sourcepath: tuple[str, ...] = ()):
        self.javac = javac_path()
        self.classpath = classpath
        self.sourcepath = sourcepath

    def check(self, source: str, filename: str = "Main.java") -> list[Diagnostic]:
        return self._compile(source, filename)

    def check_many(self, sources: list[tuple[str, str]]) -> list[list[Diagnostic]]:
        return [self._compile(source, filename) for source, filename in sources]

    def close(self) -> None:
        pass

    def _compile(self, source: str, filename: str) -> list[Diagnostic]:
        found, _ = run_javac(self.javac, source, filename, self.classpath, self.sourcepath)
        starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]
        diagnostics = []
        for m in found:
            row, col = int(m["line"]), int(m["col"])
            start = starts[row - 1] + col - 1 if row <= len(starts) else -1
            args = (m["args"] or "").strip()
            diagnostics.append(Diagnostic("ERROR", m["code"], args, row, col, start, start))
        return diagnostics
