"""The one interface between the engine and whatever decodes tokens: N candidates for a prompt.

The engine (context, verification, ranking, the language server) only sees `Backend`: `sample` draws
candidates under a stop rule, a token budget, a seed, a deadline and a cancel event, and returns texts with
per-token log-probabilities; `prefill` computes a prompt ahead of a request. Three backends implement it:
`torch` (generation/sampler.py, the reference: any Hugging Face causal LM, guards as LogitsProcessors),
`llamacpp` (generation/llamacpp.py: the GGUF in process, ~5x faster decoding on a CPU) and `openai`
(generation/completions.py: a team's inference server). Importing this module does not import torch.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from typing import Literal, Protocol

from compilot.context.types import StopRule

BACKENDS = ("auto", "torch", "llamacpp", "openai")

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The caller asked to stop (the document changed, or the client cancelled the request)."""


class ModelLoadError(RuntimeError):
    """The model (or the backend that serves it) could not be loaded; the message says what to do about it."""


class BackendError(RuntimeError):
    """The backend cannot generate (its server is down, the model name is wrong, ...); the message says
    what to do about it."""


Finish = Literal["stop", "loop", "eos", "length", "time"]
"""How a sample ended: its stop rule, an attractor cut, the end-of-text token, the token budget, the deadline."""


@dataclass(frozen=True)
class SamplingConfig:
    samples: int = 4
    max_new_tokens: int = 48
    temperature: float = 0.7
    top_k: int = 40
    seed: int | None = 0
    guards: bool = True
    repetition_penalty: float = 1.1
    ngram_size: int = 0  # 0: no n-gram block (the attractor stop handles loops; see docs/benchmarks.md)
    greedy_first: bool = True  # row 0 decodes greedily, so best-of-N never loses the model's top choice
    lookup: int = 0  # a lone greedy row drafts up to this many tokens from the prompt (0: off; torch only)
    deadline: float | None = None  # time.monotonic() after which no more tokens are decoded (finish "time")
    min_decode: float = (
        0.0  # seconds of decoding the deadline leaves after the prompt's prefill, however late
    )
    extra_processors: tuple = ()  # more LogitsProcessors, guards or not (torch only; Engine's `sampling` hook)
    names: tuple[str, ...] = ()  # the sample must begin with one of these (javac's members after a dot),
    # then anything that does not go on with the identifier; empty: no constraint


def sampling_rounds(
    config: SamplingConfig, adaptive: bool, floor: float = 0.0, one_by_one: bool = False
) -> list[SamplingConfig]:
    """The rounds one request (a line, or one statement of a body) draws its samples in.

    Adaptive: the greedy row alone first, the other samples only if it did not compile. A batch of one
    decodes ~2.5x faster per token than a batch of four on CPU, and the greedy line compiles more often than
    not, so most requests end after the first, cheap round. `one_by_one` (a backend that draws rows one
    request each anyway: `Backend.rows_one_by_one`): each later row is a round of its own, with the seed it
    has in a round of all, so the request ends at the first row that compiles. Otherwise (or with one
    sample) a single round. The first round keeps `floor` seconds of decoding however late its prefill ends
    (`min_decode`).
    """
    if not adaptive or config.samples <= 1:
        return [dataclasses.replace(config, min_decode=floor)]
    greedy = dataclasses.replace(config, samples=1, greedy_first=True, min_decode=floor)
    rest = dataclasses.replace(config, samples=config.samples - 1, greedy_first=False)
    if not one_by_one:
        return [greedy, rest]
    seeds = [None if config.seed is None else config.seed + k for k in range(rest.samples)]
    return [greedy, *(dataclasses.replace(rest, samples=1, seed=seed) for seed in seeds)]


@dataclass
class Sample:
    text: str  # what to insert at the cursor
    token_ids: list[int]  # the generated tokens (ids of the backend's own vocabulary)
    mean_logprob: float
    finish: Finish


class Backend(Protocol):
    name: str  # "torch", "llamacpp", "openai"
    # Rows are drawn one request each (llama.cpp in process), so drawing them in rounds of one costs nothing
    # and the engine can stop at the first that compiles; absent: False (rows come batched, as in torch)
    rows_one_by_one: bool
    # It holds a row to `SamplingConfig.names`, which javac's guidance needs (the openai backend cannot: the
    # engine then does not guide); absent: True
    constrains_names: bool

    def sample(
        self,
        prompt: str,
        rule: StopRule,
        config: SamplingConfig,
        cancel: threading.Event | None = None,
        key: str = "",
    ) -> list[Sample]:
        """`config.samples` completions of `prompt` (row 0 greedy when `config.greedy_first`); `key` names the
        document whose cached prompt to reuse. Raises Cancelled when `cancel` is set, BackendError when the
        backend cannot answer."""
        ...

    def prefill(self, prompt: str, key: str = "", cancel: threading.Event | None = None) -> None:
        """Compute the prompt now, so the next request that starts with it only pays for its new tokens.
        Raises Cancelled between chunks (the chunks done stay cached)."""
        ...

    def forget(self, key: str) -> None:
        """Drop a closed document's cached prompt."""
        ...

    def close(self) -> None:
        """Free the model (and stop any server process or thread the backend started)."""
        ...


def resolve_backend(name: str, model: str) -> str:
    """The backend `auto` stands for: torch on a CUDA GPU or for a Hugging Face model, else llama.cpp when
    its wheel is installed (benchmarks.md: more lines offered than torch at about the same median latency on a
    CPU)."""
    if name != "auto":
        return name
    import importlib.util

    from compilot.settings import EMBEDDED_MODEL

    if not (model == EMBEDDED_MODEL or model.endswith(".gguf")) or not importlib.util.find_spec("xllamacpp"):
        return "torch"
    import torch

    return "torch" if torch.cuda.is_available() else "llamacpp"


def load_backend(settings) -> Backend:
    """Start the backend the settings ask for; ModelLoadError with a message for the user if it cannot."""
    from compilot.settings import EMBEDDED_MODEL

    name = resolve_backend(settings.backend, settings.model)
    if name == "openai":
        from compilot.generation.completions import connect_openai

        if settings.adapter:
            raise ModelLoadError(
                "backend openai decodes with the server's model: load the adapter there (llama.cpp's server: "
                f"`--lora {settings.adapter}/adapter.gguf`), and clear the adapter setting"
            )

        model = "" if settings.model == EMBEDDED_MODEL else settings.model
        return connect_openai(settings.endpoint, model)
    if name == "llamacpp":
        from compilot.generation.llamacpp import LlamaCppBackend

        try:
            return LlamaCppBackend(settings.model, settings.adapter, settings.cache_reuse)
        except ModelLoadError as e:
            if settings.backend != "auto":
                raise
            log.warning("%s; backend auto falls back to torch", e)  # asked for by name: the error stands
    from compilot.generation.model import load_model
    from compilot.generation.sampler import Sampler

    return Sampler(load_model(settings.model, settings.device, settings.adapter))


def finish_text(text: str, heal: str, rule: StopRule) -> str:
    """A generated text cut at the stop rule, with the prompt's cut-off whitespace (`heal`) taken back off.

    Backends cut the prompt's trailing whitespace so it ends where a tokenizer would split (token healing) and
    make the model write that whitespace first; the user's own indentation stays."""
    from compilot.generation.stop_rule import stop_index

    end = stop_index(text, rule)
    if end is not None:
        text = text[:end]
    if heal and text.startswith(heal):
        return text[len(heal) :]
    return text.lstrip(" \t\n") if heal else text


def split_heal(prompt: str) -> tuple[str, str]:
    """The prompt without its trailing whitespace, and that whitespace (see `finish_text`)."""
    body = prompt.rstrip(" \t\n")
    return body, prompt[len(body) :]


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("-inf")


IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def name_state(written: str, names: tuple[str, ...]) -> tuple[str, bool] | None:
    """Where a sample constrained to begin with one of `names` stands: (the identifier written so far,
    whether it is one of the names already), or None once the name is over (no constraint left)."""
    end = 0
    while end < len(written) and written[end] in IDENT_CHARS:
        end += 1
    if end < len(written):
        return None
    return written, written in names


def gbnf_names(names: tuple[str, ...]) -> str:
    """A GBNF grammar for the same constraint: one of `names`, then nothing or a non-identifier and anything."""
    choices = " | ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in names)
    return f"root ::= ({choices}) ([^a-zA-Z0-9_$] [^\\x00]*)?"
