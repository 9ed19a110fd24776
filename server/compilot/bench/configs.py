"""The configurations the benchmark compares, and the engine wrapper that runs them on one shared model."""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass, field

from compilot.bench.naive import ColdJavac, NaiveSampler
from compilot.engine import Engine, start_checker
from compilot.generation.backend import SamplingConfig, load_backend, resolve_backend
from compilot.generation.model import load_model
from compilot.project.discover import Workspace
from compilot.settings import BACKEND_FIELDS, Settings


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    changes: dict = field(default_factory=dict)  # Settings fields changed from the defaults
    seed_recipe: bool = False  # transformers' RepetitionPenalty(1.3) + NoRepeatNGram(3) over the whole input
    naive: bool = False  # generate(num_return_sequences), no cache reuse, a javac process per check

    def settings(self, base: Settings) -> Settings:
        known = {f.name for f in dataclasses.fields(base)}
        return dataclasses.replace(base, **{k: v for k, v in self.resolved().items() if k in known})

    def resolved(self) -> dict:
        """`changes` with SHIPPED_GGUF replaced by that file's path (found only when a config asks for it)."""
        if self.changes.get("model") != SHIPPED_GGUF:
            return self.changes
        from compilot.generation.model import embedded_gguf

        return {**self.changes, "model": str(embedded_gguf())}


SHIPPED_GGUF = "shipped"  # the model of `llamacpp-q4_1`: the embedded GGUF as its package ships it (Q4_1)
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
            "no-guided-names",
            "defaults without javac's guidance at simple names it cannot find (guidedNames false)",
            {"guidedNames": False},
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
            "sampled, a javac process per check, no adaptive rounds, whole bodies, no time budget, no guidance",
            {"adaptive": False, "stepwise": False, "line_seconds": 0.0, "guided": False},
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
            "defaults on the llamacpp backend (the embedded GGUF's Q4_1 tensors as Q8_0)",
            {"backend": "llamacpp"},
        ),
        Config(
            "llamacpp-q4_1",
            "the llamacpp backend on the embedded GGUF as its package ships it (Q4_1: slower to read a prompt)",
            {"backend": "llamacpp", "model": SHIPPED_GGUF},
        ),
        Config(
            "llamacpp-no-reuse",
            "the llamacpp backend with cacheReuse 0: a prompt reuses only the start it shares with the cached "
            "one (a jump reads the outline after its member again)",
            {"backend": "llamacpp", "cache_reuse": 0},
        ),
        Config(
            "llamacpp-prompt-2000",
            "the llamacpp backend with promptChars 2000 (the outline up to 2000 characters, the member at the "
            "cursor up to 1000): less to prefill at didOpen and at a jump, less context",
            {"backend": "llamacpp", "prompt_chars": 2000},
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
            "HTTP (bench/llama_server.py, `--cache-reuse` as in process)",
            {"backend": "openai", "endpoint": LOCAL_SERVER},
        ),
        Config(
            "javac-feedback",
            "defaults with javac's message about a rejected greedy statement in the prompt of the body's other "
            "samples",
            {"javac_feedback": True},
        ),
        Config(
            "no-class-cache",
            "defaults with the build's own sources read from source at every check (classCache false)",
            {"class_cache": False},
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


def with_adapter(name: str, adapter) -> str:
    """The config `name` with a trained adapter on its model, registered as `<name>+adapter`."""
    config = CONFIGS[name]
    adapted = f"{name}+adapter"
    CONFIGS[adapted] = dataclasses.replace(
        config,
        name=adapted,
        description=f"{config.description}, with the adapter {adapter}",
        changes={**config.changes, "adapter": str(adapter)},
    )
    return adapted


def seed_recipe_processors() -> tuple:
    from transformers import NoRepeatNGramLogitsProcessor, RepetitionPenaltyLogitsProcessor

    return (RepetitionPenaltyLogitsProcessor(1.3), NoRepeatNGramLogitsProcessor(3))


class RecordingSampler:
    """Wraps the shared backend (a Backend itself). `begin(key)` starts a request: it drops the document's cached
    prompt (every configuration pays its own prefill, so latencies compare; later rounds of the same request may
    reuse it) and the record of raw samples, which collects every sample the request draws."""

    def __init__(self, backend):
        self.backend = backend
        self.name = backend.name
        self.last: list = []

    @property
    def rows_one_by_one(self) -> bool:
        return getattr(self.backend, "rows_one_by_one", False)

    @property
    def constrains_names(self) -> bool:
        return getattr(self.backend, "constrains_names", True)

    def begin(self, key: str) -> None:
        self.backend.forget(key)
        self.last = []

    def sample(self, *args, **kwargs):
        samples = self.backend.sample(*args, **kwargs)
        self.last = self.last + list(samples)
        return samples

    def prefill(self, *args, **kwargs) -> None:
        self.backend.prefill(*args, **kwargs)

    def forget(self, key: str) -> None:
        self.backend.forget(key)

    def close(self) -> None:
        self.backend.close()


def seed_recipe(config: SamplingConfig) -> SamplingConfig:
    """The seed recipe's sampling: every row sampled (no greedy first row), transformers' own processors."""
    return dataclasses.replace(
        config,
        greedy_first=False,
        repetition_penalty=1.0,
        ngram_size=0,
        extra_processors=seed_recipe_processors(),
    )


class BenchEngine(Engine):
    """An Engine for one configuration, on a backend (and checker) shared with the other configurations."""

    def __init__(self, config: Config, settings: Settings, backend: RecordingSampler, checker=None):
        super().__init__(
            config.settings(settings),
            backend=backend,
            checker=checker,
            sampling=seed_recipe if config.seed_recipe else None,
        )
        self.config = config
        self.recorder = backend

    def begin(self, text: str, offset: int, filename: str, typing: bool) -> float:
        """Start a request from a cold prompt cache; with `typing`, first prefill the prompt of the keystroke
        before (the cursor one character back, that character not yet typed), as the editor's previous
        request would have. Returns the seconds that prefill took (not part of the request's latency)."""
        self.recorder.begin(filename)
        if not typing or offset == 0 or self.config.naive:  # the naive path keeps no cache
            return 0.0
        t = time.perf_counter()
        self.prime(text[: offset - 1] + text[offset:], offset - 1, key=filename)
        return time.perf_counter() - t

    @property
    def last_samples(self) -> list:
        return self.recorder.last


def build_engines(names: list[str], base: Settings) -> dict[str, BenchEngine]:
    """One engine per configuration, sharing one loaded model per backend and one warm javac checker (the
    naive configuration has a cold javac of its own). The caller closes the checker (`shared_checker`)."""
    checker = None
    if any(CONFIGS[n].settings(base).verify and not CONFIGS[n].naive for n in names):
        checker, problem = start_checker(base, Workspace())
        if problem:
            print(f"compilot bench: {problem}", file=sys.stderr)
    backends: dict[tuple, object] = {}  # _backend_key -> the loaded backend
    engines: dict[str, BenchEngine] = {}
    for name in sorted(names, key=lambda n: CONFIGS[n].naive):  # a naive engine never loads the model
        config = CONFIGS[name]
        settings = config.settings(base)
        if config.naive:
            torch_backend = backends.get(_backend_key(dataclasses.replace(settings, backend="torch")))
            lm = torch_backend.lm if torch_backend else load_model(base.model, base.device, settings.adapter)
            naive = RecordingSampler(NaiveSampler(lm))
            engines[name] = BenchEngine(config, base, naive, ColdJavac(base.classpath, base.sourcepath))
            continue
        kind = _backend_key(settings)
        if kind not in backends:
            backends[kind] = load_backend(settings)
        engines[name] = BenchEngine(config, base, RecordingSampler(backends[kind]), checker)
    for engine in engines.values():
        engine.load()
    return {name: engines[name] for name in names}


def _backend_key(settings: Settings) -> tuple:
    """What tells two loaded backends apart: configurations that differ in none of it share one."""
    fields = tuple(getattr(settings, k) for k in BACKEND_FIELDS if k != "backend")
    return (resolve_backend(settings.backend, settings.model), *fields)


def shared_checker(engines: dict[str, BenchEngine]):
    """The warm checker the configurations share, to close when the run ends."""
    return next((e.checker for e in engines.values() if e.checker is not None and not e.config.naive), None)
