"""javac-filtered self-training: sample the model at each prompt, keep what compiles in place, fine-tune on it.

The kept samples (rejection sampling, javac as the judge) are trained on together with the original lines, so
the adapter learns the code base's own code and the compiling variants the model already had in it. Sampling
uses the backend completions use, with its guards (llama.cpp on a CPU, torch on a GPU).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from compilot.context.types import StopRule
from compilot.generation.backend import SamplingConfig
from compilot.train.data import Prompt
from compilot.train.lora import Run, fit, trainer_arguments
from compilot.verification.verifier import Baseline, verify_many

DATA_FILE = "rft-data.jsonl"


def compiles_in_place(checker, prompt: Prompt, texts: list[str]) -> list[bool]:
    """Whether each text, written where the line was, adds no error to the file's own."""
    baseline = Baseline.of(checker, prompt.document, prompt.filename)
    verdicts = verify_many(checker, prompt.document, prompt.offset, texts, baseline, prompt.filename)
    return [v.passed for v in verdicts]


def collect(
    backend,
    checker,
    prompts: list[Prompt],
    config: SamplingConfig,
    deadline: float,
    write: Callable[[str], None],
) -> tuple[list[dict], dict]:
    """Training rows (id, prompt, completion, source: original or sample) and counts; stops at `deadline`."""
    rows: list[dict] = []
    counts = {"prompts": 0, "samples": 0, "compiled": 0, "exact": 0, "kept": 0}
    started = time.monotonic()
    for i, p in enumerate(prompts):
        if time.monotonic() >= deadline:
            write(f"sampling stopped at the time limit after {i} of {len(prompts)} prompts")
            break
        rows.append(
            {"id": p.id, "prompt": p.prompt, "completion": p.heal + p.expected + "\n", "source": "original"}
        )
        samples = backend.sample(p.prompt + p.heal, StopRule.LINE, config, None, p.id)
        texts = list(dict.fromkeys(s.text.rstrip() for s in samples if s.text.strip()))
        passed = compiles_in_place(checker, p, texts) if texts else []
        counts["prompts"] += 1
        counts["samples"] += len(samples)
        for text, ok in zip(texts, passed, strict=True):
            counts["compiled"] += ok
            counts["exact"] += text.strip() == p.expected.strip()
            if ok and text.strip() != p.expected.strip():
                rows.append(
                    {"id": p.id, "prompt": p.prompt, "completion": p.heal + text + "\n", "source": "sample"}
                )
                counts["kept"] += 1
        backend.forget(p.id)
        if (i + 1) % 10 == 0 or i + 1 == len(prompts):
            rate = (i + 1) / max(time.monotonic() - started, 1e-9)
            write(
                f"sampled {i + 1}/{len(prompts)} prompts: {counts['compiled']} of {counts['samples']} samples "
                f"compiled, {counts['kept']} kept  ({rate * 60:.0f} prompts/min)"
            )
    return rows, counts


def save_rows(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sft_dataset(tokenizer, rows: list[dict], max_length: int):
    """The rows as trl's SFTTrainer takes them ready-made: the prompt's tokens as the engine sends them (the
    prompt tokenized alone, no special tokens), then the completion's, with a mask that puts the loss on the
    completion only, and nothing after it. Left to tokenize, trl appends the end-of-text token to every
    completion; a line's completion ends with its line break, so the first CPU run's adapter learned that a
    line break ends the text and answered empty lines. Rows of `max_length` tokens or more are left out
    (truncating would cut the completion, the only part with a loss)."""
    from datasets import Dataset

    examples = []
    for r in rows:
        prompt = tokenizer(r["prompt"], add_special_tokens=False)["input_ids"]
        completion = tokenizer(r["completion"], add_special_tokens=False)["input_ids"]
        if len(prompt) + len(completion) < max_length:
            examples.append(
                {
                    "input_ids": prompt + completion,
                    "completion_mask": [0] * len(prompt) + [1] * len(completion),
                }
            )
    return Dataset.from_list(examples)


def fine_tune(
    model_dir: Path, rows: list[dict], run: Run, write: Callable[[str], None], max_length: int
) -> dict:
    """LoRA fine-tuning on the rows (loss on the completions only); the adapter is saved to `run.out`."""
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    dataset = sft_dataset(tokenizer, rows, max_length)
    if len(dataset) < len(rows):
        write(f"{len(rows) - len(dataset)} of {len(rows)} rows are longer than {max_length} tokens: left out")
    args = SFTConfig(
        **trainer_arguments(run),
        max_length=max_length,
        completion_only_loss=True,
    )
    return {
        **fit(SFTTrainer, run, model=str(model_dir), args=args, train_dataset=dataset),
        "rows": len(dataset),
    }
