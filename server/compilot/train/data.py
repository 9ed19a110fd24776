"""What training reads: Java files split by file into train and held-out parts, and completion prompts from them.

The prompts are the benchmark's statement-line cases (bench/cases.py's picker: a whole statement line cut out,
the cursor after its indentation), with the prompt the engine builds there (context/). The split is by file and
by a hash of the file's path with a seed, so the benchmark can pick its cases from the held-out files alone
(`compilot bench --held-out ADAPTER`) without a list of them, and no training file is ever a benchmark case.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from compilot.bench.cases import cut, jdk_sources, repo_sources, statement_lines
from compilot.context import classify
from compilot.generation.backend import split_heal

HELD_OUT_SHARE = 0.2
SPLIT_FILE = "compilot-train.json"  # in the adapter folder: where the data came from, the split, the figures


@dataclass(frozen=True)
class Split:
    source: str  # a repository folder, or "jdk" (the JDK's own sources)
    seed: int
    held_out_share: float = HELD_OUT_SHARE

    def held_out(self, source_id: str) -> bool:
        """Whether the file with this id (its path in the source) is held out of training."""
        digest = hashlib.sha256(f"{self.seed}:{source_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.held_out_share

    def files(self, held_out: bool, seed: int = 0) -> Iterator[tuple[str, str, str]]:
        """(source id, file name, text) of the train or held-out part, in an order shuffled by `seed`."""
        for source_id, filename, text in sources(self.source, seed):
            if self.held_out(source_id) == held_out:
                yield source_id, filename, text

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def read(cls, folder: Path) -> Split:
        """The split an adapter folder was trained with (ValueError when it has none)."""
        path = Path(folder) / SPLIT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))["split"]
            return cls(data["source"], int(data["seed"]), float(data["held_out_share"]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: no training split recorded ({e})") from e


def sources(source: str, seed: int) -> Iterator[tuple[str, str, str]]:
    """The Java files of a repository folder, or of the JDK (`jdk`), as the benchmark reads them."""
    if source == "jdk":
        from compilot.bench.cases import jdk_src_zip

        return jdk_sources(jdk_src_zip(), seed)
    return repo_sources(Path(source), seed)


@dataclass(frozen=True)
class Prompt:
    """One statement line to complete: the file without it, where it goes, and the model's prompt there."""

    id: str  # source id:line:column, as the benchmark's cases
    document: str  # the file with the line's content cut out
    offset: int  # where it goes (after its indentation)
    expected: str  # the line's content as the file had it
    filename: str
    prompt: str  # the engine's prompt at the cursor, without its trailing whitespace (token healing)
    heal: str  # that whitespace: the model writes it first


def line_prompts(
    files: Iterator[tuple[str, str, str]],
    n: int,
    prompt_chars: int,
    prompt_style: str,
    seed: int,
    per_file: int = 8,
    compiles=None,
) -> list[Prompt]:
    """Up to `n` statement-line prompts, at most `per_file` from a file (files `compiles` rejects are skipped)."""
    rng = random.Random(seed)
    out: list[Prompt] = []
    for source_id, filename, text in files:
        if len(out) >= n:
            break
        lines = statement_lines(text)
        if not lines or (compiles is not None and not compiles(text, filename)):
            continue
        rng.shuffle(lines)
        for line in lines[:per_file]:
            case = cut(text, line.code_start, line.end, "statement", filename, source_id)
            context = classify(case.document, case.offset, prompt_chars, prompt_style)
            if not context.completes:
                continue
            body, heal = split_heal(context.prefix)
            out.append(Prompt(case.id, case.document, case.offset, case.expected, filename, body, heal))
    return out[:n]
