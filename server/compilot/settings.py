"""User settings shared by the engine, the CLI and the language server.

One flat dataclass so every front end reads and validates the same names. LSP clients send camelCase keys
(`maxNewTokens`), the CLI uses snake_case; `Settings.updated` accepts both.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from compilot.context.prompt import STYLES as PROMPT_STYLES
from compilot.generation.backend import BACKENDS, SamplingConfig

EMBEDDED_MODEL = "embedded:smollm2-135m"
LOG_LEVELS = ("debug", "info", "warning", "error")
# a change of one of these loads the backend anew
BACKEND_FIELDS = ("model", "adapter", "device", "backend", "endpoint", "cache_reuse")


def _setting(default, doc: str, **schema):
    """A field with its user-facing description and bounds: the one place a setting is declared.
    `schema`: minimum, exclusive_minimum, choices, may_be_empty, default_doc (the README's default column)."""
    return dataclasses.field(default=default, metadata={"doc": doc, **schema})


@dataclass(frozen=True)
class Settings:
    """Every setting, declared once: the validation below, the VS Code settings in package.json and the
    README's table all come from these fields (`scripts/sync-settings` writes the last two; a test checks)."""

    model: str = _setting(
        EMBEDDED_MODEL,
        "the embedded model; with `torch` a local Hugging Face model folder or a hub id (needs the network once, "
        "or the HF cache); with `llamacpp` a `.gguf` file; with `openai` the name the server serves (the "
        "default: its first model)",
    )
    adapter: str = _setting(
        "",
        "a LoRA adapter folder that `compilot train` wrote, applied on top of `model` (torch merges it at load; "
        "llamacpp loads its `adapter.gguf`; `openai` cannot: load it in the server); empty: none",
        may_be_empty=True,
    )
    backend: str = _setting(
        "auto",
        "what decodes: `llamacpp` (llama.cpp in process, the embedded GGUF as Q8_0), `torch` (any Hugging Face causal "
        "LM, GPUs), `openai` (an OpenAI-compatible server, see the README's Backends); `auto`: torch on a CUDA GPU, else "
        "llamacpp (torch where the `xllamacpp` wheel is not installed)",
        choices=BACKENDS,
    )
    endpoint: str = _setting(
        "",
        "with `openai`: the server's URL, e.g. `http://gpu-box:8000` (the API key comes from "
        "`$COMPILOT_API_KEY` only); prompts go there, javac and your code stay on this machine",
        may_be_empty=True,
    )
    cache_reuse: int = _setting(
        32,
        "with `llamacpp`: a run of at least this many tokens that a new prompt shares with its document's "
        "cached one, moved, is shifted into place instead of read again (llama.cpp's `--cache-reuse`): a jump "
        "then reads the member it lands in, not the outline after it too (0: the common start only)",
        minimum=0,
    )
    device: str = _setting(
        "auto",
        "torch: `auto` (CUDA when torch sees a GPU), `cpu`, `cuda`, `cuda:N`; fp32 on CPU, fp16 on CUDA",
    )
    samples: int = _setting(4, "candidates drawn per request; the first is greedy", minimum=1)
    stepwise: bool = _setting(
        True, "build method bodies one javac-checked statement at a time (needs `verify`)"
    )
    adaptive: bool = _setting(
        True, "draw the greedy candidate alone first and the others only when it does not compile"
    )
    max_new_tokens: int = _setting(48, "token budget of a line completion", minimum=1)
    max_block_tokens: int = _setting(160, "token budget of a whole method body", minimum=1)
    line_seconds: float = _setting(
        2.0,
        "a line completion stops generating this long after the request came and offers what compiles so "
        "far; the prompt's prefill counts, but the first (greedy) round always keeps half of it for decoding, "
        "so a jump into a long method still gets a line (0: no limit; the CLI's default). Ghost text only: the "
        "completion list, asked for with `.` or Ctrl+Space, gets `blockSeconds`",
        minimum=0,
    )
    prompt_lookup: int = _setting(
        0,
        "draft this many tokens from the document's own text to speed up greedy decoding (same output; off: on "
        "a 2-core CPU it did not speed up line completions, see `docs/benchmarks.md`)",
        minimum=0,
    )
    block_seconds: float = _setting(
        15.0, "a method body stops growing after this long; the part that compiles is offered", minimum=0
    )
    temperature: float = _setting(0.7, "sampling temperature of the other candidates", minimum=0)
    top_k: int = _setting(40, "top-k filter (0: off)", minimum=0)
    seed: int | None = _setting(
        0, "sampling seed: the same request gives the same answer; `null` for a fresh one each time"
    )
    guards: bool = _setting(
        True,
        "attractor stop (a cycle or repeated line at the end of a sample is cut) and the repetition penalty "
        "below, on generated tokens only (`false`: off)",
    )
    repetition_penalty: float = _setting(
        1.0,
        "CTRL-style penalty on tokens the model already generated (not the prompt's); 1.1 lowered the line "
        "offer rate from 90% to 82% in `docs/benchmarks.md`",
        minimum=0,
    )
    guided: bool = _setting(
        True,
        "javac steers: a candidate that names a member its receiver lacks after a `.` is rewritten from the "
        "dot with only the names javac lists for it (`false`: javac only filters finished candidates)",
    )
    guided_names: bool = _setting(
        True,
        "javac steers simple names too: a line javac rejects only for a name it cannot find (`thrown` where "
        "the method has `threw`) is written again from that name with only the names in scope there",
    )
    javac_feedback: bool = _setting(
        False,
        "in stepwise bodies, the samples drawn after a greedy statement that does not compile are prompted with "
        "javac's message about it (as a comment the model reads, never inserted)",
    )
    prefer_fixes: bool = _setting(
        True,
        "among compiling candidates, those that also remove the document's errors after the cursor (a "
        "variable the code below uses, a missing return) come first",
    )
    verify: bool = _setting(
        True, "check every candidate with javac (`false`: off; results say they are unchecked)"
    )
    truncate: bool = _setting(True, "cut a failing multi-line candidate to its longest compiling prefix")
    max_results: int = _setting(3, "completions offered per request", minimum=1)
    diagnostics: bool = _setting(
        True,
        "publish javac's errors as diagnostics (`false` where another Java extension shows them already; "
        "Fix to compile still answers for that extension's errors)",
    )
    java_release: int | None = _setting(
        None,
        "`--release` for javac",
        default_doc="the build's (`maven.compiler.release`, ...), else the JDK's",
    )
    classpath: tuple[str, ...] = _setting(
        (),
        "jars and class folders your code needs, before those the language server finds in the build (see the "
        "README's Projects)",
    )
    sourcepath: tuple[str, ...] = _setting(
        (), "source roots, before those the language server finds in the workspace folders"
    )
    class_cache: bool = _setting(
        True,
        "compile the build's own sources once in the background (javac `-proc:none`, class files in the "
        "user's cache folder, never the workspace), so checks read class files instead of re-reading every "
        "source a file uses; a source saved later is read from source again",
    )
    prompt: str = _setting(
        "outline",
        "what the model reads: `outline` (package, imports, the class with every other member's body elided, "
        "members below the cursor included, then the member at the cursor from its first line; prefilled on "
        "didOpen, so a jump prefills only the member, the outline after it shifted from the cache with "
        "`cacheReuse`) or `window` (the `promptChars` characters before the cursor: every jump prefills "
        "them all, ~2x slower on real files with torch and "
        "~4 s with llamacpp, whose prefill is slower; see `docs/benchmarks.md`)",
        choices=PROMPT_STYLES,
    )
    prompt_chars: int = _setting(
        3000,
        "characters of the text before the cursor; with `outline`, of the outline (the member at the cursor "
        "gets half as many)",
        minimum=1,
    )
    check_timeout: float = _setting(
        10.0, "seconds before a hung javac checker is restarted", exclusive_minimum=0
    )
    log_level: str = _setting(
        "info", "the server's log level: `debug`, `info`, `warning` or `error`", choices=LOG_LEVELS
    )

    def sampling(self, max_new_tokens: int) -> SamplingConfig:
        """The sampling settings as every backend takes them (for a line, a body or a fix's rewrite)."""
        return SamplingConfig(
            samples=self.samples,
            max_new_tokens=max_new_tokens,
            temperature=self.temperature,
            top_k=self.top_k,
            seed=self.seed,
            guards=self.guards,
            repetition_penalty=self.repetition_penalty,
            lookup=self.prompt_lookup,
        )

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


def _coerce(name: str, value, current):
    schema = _FIELDS[name].metadata
    if _FIELDS[name].type == "int | None":
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
    if isinstance(current, (int, float)):
        number = int if isinstance(current, int) else (int, float)
        if isinstance(value, bool) or not isinstance(value, number):
            raise TypeError(f"expected {'an integer' if number is int else 'a number'}, got {value!r}")
        if "minimum" in schema and value < schema["minimum"]:
            raise ValueError(f"must be at least {schema['minimum']}, got {value}")
        if "exclusive_minimum" in schema and value <= schema["exclusive_minimum"]:
            raise ValueError(f"must be more than {schema['exclusive_minimum']}, got {value}")
        return value if number is int else float(value)
    if isinstance(current, str):
        if not isinstance(value, str) or not (value or schema.get("may_be_empty")):
            raise TypeError(f"expected a non-empty string, got {value!r}")
        if "choices" in schema and value not in schema["choices"]:
            raise ValueError(f"expected one of {', '.join(schema['choices'])}, got {value!r}")
        return value
    raise TypeError(f"cannot set {name}")


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def camel(name: str) -> str:
    """The name clients use: `max_new_tokens` -> `maxNewTokens`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def vscode_properties(order_from: int = 0) -> dict[str, dict]:
    """package.json's `contributes.configuration.properties` for the server's settings."""
    kinds = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}
    out = {}
    for order, f in enumerate(dataclasses.fields(Settings), start=order_from):
        schema = f.metadata
        prop: dict = {}
        if f.type == "int | None":
            prop["type"] = ["integer", "null"]
        elif f.type.startswith("tuple"):
            prop["type"], prop["items"] = "array", {"type": "string"}
        else:
            prop["type"] = kinds[f.type]
        prop["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
        if "choices" in schema:
            prop["enum"] = list(schema["choices"])
        for key, json_key in (("minimum", "minimum"), ("exclusive_minimum", "exclusiveMinimum")):
            if key in schema:
                prop[json_key] = schema[key]
        prop["order"] = order
        prop["markdownDescription"] = schema["doc"][0].upper() + schema["doc"][1:] + "."
        out[f"compilot.{camel(f.name)}"] = prop
    return out


def markdown_table(prefix: str = "", head: bool = True) -> str:
    """The README's settings table (`prefix` "compilot.": the extension's; `head`: with its header rows)."""
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"] if head else []
    for f in dataclasses.fields(Settings):
        default = f.metadata.get("default_doc") or _default_text(f.default)
        rows.append(f"| `{prefix}{camel(f.name)}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)


def _default_text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "`[]`" if not value else f"`{list(value)}`"
    return f"`{value}`" if value else '`""`'
