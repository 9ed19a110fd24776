"""User settings shared by the engine, the CLI and the language server.

One flat dataclass so every front end reads and validates the same names. LSP clients send camelCase keys
(`maxNewTokens`), the CLI uses snake_case; `Settings.updated` accepts both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from compilot.context.prompt import STYLES as PROMPT_STYLES
from compilot.generation.backend import BACKENDS

EMBEDDED_MODEL = "embedded:smollm2-135m"


@dataclass(frozen=True)
class Settings:
    model: str = EMBEDDED_MODEL  # "embedded:smollm2-135m", a model folder or hub id (torch), a .gguf file
    # (llamacpp), or the name an inference server serves (openai; the embedded default: its first model)
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", ... (torch)
    backend: str = "auto"  # "torch", "llamacpp", "openai"; auto: torch on a GPU, llamacpp on a CPU
    endpoint: str = ""  # backend openai: the server's URL, e.g. http://gpu-box:8000 (key: $COMPILOT_API_KEY)
    samples: int = 4  # candidates drawn per request (the first is greedy)
    stepwise: bool = True  # method bodies are built one javac-checked statement at a time (needs verify)
    adaptive: bool = True  # draw the greedy candidate first, the others only when it does not compile
    max_new_tokens: int = 48  # for line completions
    max_block_tokens: int = 160  # for whole method bodies
    block_seconds: float = (
        15.0  # a method body stops growing after this long; what compiles so far is offered
    )
    line_seconds: float = (
        2.0  # a line completion stops decoding after this long and offers what compiles (0: no limit)
    )
    prompt_lookup: int = 0  # draft tokens from the document for greedy decoding (0: off)
    temperature: float = 0.7
    top_k: int = 40
    seed: int | None = 0  # None: a fresh random seed per request
    guards: bool = True  # degeneration guards on the sampler
    repetition_penalty: float = (
        1.0  # on generated tokens only; 1.1 cost 8 points of line offers (benchmarks.md)
    )
    verify: bool = True  # javac checks every candidate
    truncate: bool = True  # a failing multi-line candidate is cut to its longest passing prefix
    max_results: int = 3  # completions returned per request
    java_release: int | None = None  # None: the running JDK's release
    classpath: tuple[str, ...] = ()
    sourcepath: tuple[str, ...] = ()
    prompt: str = "outline"  # "outline": the file's outline, then the member at the cursor; "window": the text before it
    prompt_chars: int = 3000  # characters of the file context (the member gets half as many) or the window
    check_timeout: float = 10.0  # seconds before a hanging javac checker is restarted
    log_level: str = "info"

    def updated(self, values: dict) -> tuple[Settings, list[str]]:
        """Return new settings with `values` applied, and a message for each key or value that was rejected."""
        names = {f.name: f for f in dataclasses.fields(self)}
        changes: dict = {}
        problems: list[str] = []
        for key, value in values.items():
            name = _snake(key)
            if name not in names:
                problems.append(f"unknown setting {key!r}")
                continue
            try:
                changes[name] = _coerce(name, value, getattr(self, name))
            except (TypeError, ValueError) as e:
                problems.append(f"invalid value for {key!r}: {e}")
        return dataclasses.replace(self, **changes), problems


def path_problems(settings: Settings) -> list[str]:
    """Class path and source path entries javac cannot use. Reported, not refused: a build may create
    them later (`mvn package`), and javac itself passes over a missing entry in silence."""
    problems = []
    for name, entries in (("classpath", settings.classpath), ("sourcepath", settings.sourcepath)):
        for entry in entries:
            path = Path(entry[:-2] if entry.endswith("/*") else entry)  # javac's `lib/*`: every jar in lib
            if not path.exists():
                problems.append(f"{name} entry {entry!r} does not exist")
            elif name == "sourcepath" and not path.is_dir():
                problems.append(f"sourcepath entry {entry!r} is not a folder")
            elif path.is_file() and path.suffix.lower() not in (".jar", ".zip"):
                problems.append(f"classpath entry {entry!r} is neither a folder nor a .jar")
    return problems


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


_CHOICES = {"prompt": PROMPT_STYLES, "backend": BACKENDS}
_MAY_BE_EMPTY = {"endpoint"}
_OPTIONAL_INT = {"seed", "java_release"}
_POSITIVE = {"samples", "max_new_tokens", "max_block_tokens", "max_results", "prompt_chars"}


def _coerce(name: str, value, current):
    if name in _OPTIONAL_INT:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer or null, got {value!r}")
        return value
    if name in ("classpath", "sourcepath"):
        if isinstance(value, str):
            value = [p for p in value.split(":") if p]
        if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
            raise TypeError(f"expected a list of paths, got {value!r}")
        if bad := next((p for p in value if any(c in p for c in "\0\n\r")), None):
            raise ValueError(f"{bad!r} holds a line break or NUL: not a path javac can use")
        return tuple(value)
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        if name in _POSITIVE and value < 1:
            raise ValueError(f"must be at least 1, got {value}")
        if name in ("top_k", "prompt_lookup") and value < 0:
            raise ValueError(f"must be 0 (off) or more, got {value}")
        return value
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a number, got {value!r}")
        if value < 0 or (name == "check_timeout" and value == 0):
            raise ValueError(
                f"must be {'more than 0' if name == 'check_timeout' else 'at least 0'}, got {value}"
            )
        return float(value)
    if isinstance(current, str):
        if not isinstance(value, str) or not (value or name in _MAY_BE_EMPTY):
            raise TypeError(f"expected a non-empty string, got {value!r}")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ValueError(f"expected one of {', '.join(_CHOICES[name])}, got {value!r}")
        return value
    raise TypeError(f"cannot set {name}")
