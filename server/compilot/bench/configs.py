"""The configurations the benchmark compares, and the engine wrapper that runs them on one shared model."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from compilot.bench.naive import ColdJavac, NaiveSampler
from compilot.engine import Engine
from compilot.generation.backend import load_backend, resolve_backend
from compilot.generation.model import load_model
from compilot.settings import Settings


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    changes: dict = field(default_factory=dict)  # Settings fields changed from the defaults
    seed_recipe: bool = False  # transformers' RepetitionPenalty(1.3) + NoRepeatNGram(3) over the whole input
    naive: bool = False  # generate(num_return_sequences), no cache reuse, a javac process per check

    def settings(self, base: Settings) -> Settings:
        known = {f.name for f in dataclasses.fields(base)}
        return dataclasses.replace(base, **{k: v for k, v in self.changes.items() if k in known})


LOCAL_SERVER = (
    "local"  # the endpoint of `openai-local`: a server the benchmark starts (bench/llama_server.py)
)

CONFIGS: dict[str, Config] = {
    c.name: c
    for c in (
        Config(
            "alone",
            "the model alone: one greedy sample, no guards, no javac",
            {"samples": 1, "temperature": 0.0, "guards": False, "verify": False},
        ),
        Config(
            "seed-recipe",
            "repetition_penalty 1.3 + no_repeat_ngram_size 3 over the whole input (transformers), "
            "temperature 0.8, top_k 200, best of 4 sampled, kept only if javac accepts it",
            {
                "samples": 4,
                "temperature": 0.8,
                "top_k": 200,
                "guards": False,
                "verify": True,
                "truncate": False,
                "adaptive": False,
                "stepwise": False,
            },
            seed_recipe=True,
        ),
        Config("defaults", "Settings() defaults"),
        Config(
            "unguided",
            "defaults without javac's guidance at member accesses (guided false)",
            {"guided": False},
        ),
        Config(
            "no-fix-ranking",
            "defaults, ranked by score alone (preferFixes false: removed errors after the cursor not counted)",
            {"preferFixes": False},
        ),
        Config(
            "unhurried",
            "defaults without the line time budget (lineSeconds 0)",
            {"line_seconds": 0.0},
        ),
        Config(
            "naive",
            "defaults the naive way: generate(num_return_sequences=4) with no cache reuse and all rows "
            "sampled, a javac process per check, no adaptive rounds, whole bodies, no time budget",
            {"adaptive": False, "stepwise": False, "line_seconds": 0.0},
            naive=True,
        ),
        Config(
            "window",
            "defaults with the window prompt (the 3000 characters before the cursor)",
            {"prompt": "window"},
        ),
        Config(
            "torch",
            "defaults on the torch backend (the GGUF's weights dequantized to fp32)",
            {"backend": "torch"},
        ),
        Config(
            "torch-window",
            "the torch backend with the window prompt (the defaults before the llamacpp backend)",
            {"backend": "torch", "prompt": "window"},
        ),
        Config(
            "llamacpp",
            "defaults on the llamacpp backend (the GGUF as it ships, Q4_1)",
            {"backend": "llamacpp"},
        ),
        Config(
            "llamacpp-window",
            "the llamacpp backend with the window prompt",
            {"backend": "llamacpp", "prompt": "window"},
        ),
        Config(
            "llamacpp-no-guards",
            "the llamacpp backend without the guards (no attractor stop on the stream)",
            {"backend": "llamacpp", "guards": False},
        ),
        Config(
            "llamacpp-penalty",
            "the llamacpp backend with repetitionPenalty 1.1, which llama.cpp applies as its repeat_penalty "
            "(over the last 64 tokens, the prompt's included)",
            {"backend": "llamacpp", "repetition_penalty": 1.1},
        ),
        Config(
            "openai-local",
            "the openai backend against a llama.cpp server process on 127.0.0.1 serving the same GGUF over "
            "HTTP (no prefill ahead: a remote server's prompt cache is its own)",
            {"backend": "openai", "endpoint": LOCAL_SERVER},
        ),
        Config(
            "javac-feedback",
            "defaults with javac's message about a rejected greedy statement in the prompt of the body's other "
            "samples",
            {"javac_feedback": True},
        ),
        Config("no-guards", "defaults without the degeneration guards", {"guards": False}),
        Config("no-best-of-n", "defaults with one (greedy) sample", {"samples": 1}),
        Config("no-verify", "defaults without javac checking", {"verify": False}),
        Config(
            "no-adaptive",
            "defaults drawing all samples at once (not the greedy one first, the rest only when it fails)",
            {"adaptive": False},
        ),
        Config(
            "no-stepwise",
            "defaults sampling method bodies whole (not one javac-checked statement at a time)",
            {"stepwise": False},
        ),
        Config(
            "prompt-lookup",
            "defaults with prompt-lookup drafts (8 tokens from the document) for greedy decoding",
            {"prompt_lookup": 8},
        ),
        Config(
            "no-truncate",
            "defaults without cutting failing candidates to a compiling prefix",
            {"truncate": False},
        ),
    )
}
QUICK_CONFIGS = ("alone", "defaults")
# What a run without --configs compares (no-adaptive only on request).
DEFAULT_CONFIGS = (
    "alone",
    "seed-recipe",
    "defaults",
    "unhurried",
    "naive",
    "no-guards",
    "no-best-of-n",
    "no-verify",
    "no-stepwise",
    "no-truncate",
)


def seed_recipe_processors() -> tuple:
    from transformers import NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor

    return (RepetitionPenaltyLogitsProcessor(1.3), NoRepeatNGramLogitsProcessor(3))


class RecordingSampler:
    """Wraps the shared sampler. `begin()` starts a request: it clears the sampler's prompt cache (every
    configuration pays its own prefill, so latencies compare; later rounds of the same request may reuse it) and
    the record of raw samples, which collects every sample the request draws (token ids, finish reasons)."""

    def __init__(self, sampler):
        self._sampler = sampler
        self.last: list = []

    def begin(self) -> None:
        if hasattr(self._sampler, "prompts"):
            self._sampler.prompts.clear()
        self.last = []

    def sample(self, *args, **kwargs):
        samples = self._sampler.sample(*args, **kwargs)
        self.last = self.last + list(samples)
        return samples

    def __getattr__(self, name):
        return getattr(self._sampler, name)


class BenchEngine(Engine):
    """An Engine for one configuration. The seed recipe samples every row (no greedy first row) and adds
    transformers' own processors, through `SamplingConfig.extra_processors`."""

    def __init__(self, config: Config, settings: Settings):
        super().__init__(config.settings(settings))
        self.config = config
        self.extra = seed_recipe_processors() if config.seed_recipe else ()

    def _sampling_config(self, *args, **kwargs):
        cfg = super()._sampling_config(*args, **kwargs)
        if not self.config.seed_recipe:
            return cfg
        return dataclasses.replace(
            cfg, greedy_first=False, repetition_penalty=1.0, ngram_size=0, extra_processors=tuple(self.extra)
        )

    def begin(self, text: str, offset: int, filename: str, typing: bool) -> float:
        """Start a request from a cold prompt cache; with `typing`, first prefill the prompt of the keystroke
        before (the cursor one character back, that character not yet typed), as the editor's previous
        request would have. Returns the seconds that prefill took (not part of the request's latency)."""
        self.backend.begin()
        if not typing or offset == 0 or self.config.naive:  # the naive path keeps no cache
            return 0.0
        t = time.perf_counter()
        self.prime(text[: offset - 1] + text[offset:], offset - 1, key=filename)
        return time.perf_counter() - t

    @property
    def last_samples(self) -> list:
        return getattr(self.backend, "last", [])


def build_engines(names: list[str], base: Settings) -> dict[str, BenchEngine]:
    """One engine per configuration, sharing one loaded model per backend and one warm javac checker."""
    engines: dict[str, BenchEngine] = {}
    backends: dict[str, object] = {}
    for name in sorted(names, key=lambda n: CONFIGS[n].naive):  # a naive engine never loads the model
        engine = BenchEngine(CONFIGS[name], base)
        if engine.config.naive:
            torch_backend = backends.get("torch")
            lm = torch_backend.lm if torch_backend else load_model(base.model, base.device)
            engine.backend = RecordingSampler(NaiveSampler(lm))
            engine.checker = ColdJavac(base.classpath, base.sourcepath)
            engines[name] = engine
            continue
        kind = resolve_backend(engine.settings.backend, engine.settings.model)
        if kind not in backends:
            backends[kind] = load_backend(engine.settings)
        engine.backend = RecordingSampler(backends[kind])
        engines[name] = engine
    engines = {name: engines[name] for name in names}
    checker = next(
        (e.checker for e in engines.values() if e.checker is not None and not e.config.naive), None
    )
    problem = next((e.checker_problem for e in engines.values() if e.checker_problem), "")
    for engine in engines.values():
        if engine.settings.verify and engine.checker is None:
            if checker is None and not problem:
                engine.load()
                checker, problem = engine.checker, engine.checker_problem
            else:
                engine.checker, engine.checker_problem = checker, problem
    return engines


def shared_checker(engines: dict[str, BenchEngine]):
    return next((e.checker for e in engines.values() if e.checker is not None and not e.config.naive), None)
