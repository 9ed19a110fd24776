"""`compilot train`: a LoRA adapter for the model, learned from a code base with javac as the judge.

    compilot train --repo ~/src/myproject --max-minutes 60
    compilot bench --repo ~/src/myproject --held-out ADAPTER --adapter ADAPTER --configs alone,defaults

Reads the repository (never writes it), holds a fifth of its files out (by path, with `--seed`), makes
statement-line prompts from the rest, and trains: `rft` samples the model, keeps what compiles in place and
fine-tunes on it with the original lines; `grpo` runs GRPO with javac's verdict as the reward. The adapter
folder it writes is what the `adapter` setting takes; `--resume` goes on from its last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from compilot.settings import EMBEDDED_MODEL, Settings

METHODS = ("rft", "grpo")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="compilot train", description=__doc__.splitlines()[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--repo", type=Path, help="a folder of Java sources to learn from (read only)")
    source.add_argument("--jdk", action="store_true", help="learn from the JDK's own sources instead")
    p.add_argument(
        "--out", type=Path, help="the adapter folder to write (default: in ~/.cache/compilot/adapters)"
    )
    p.add_argument("--method", choices=METHODS, default="rft", help="rft (default) or grpo")
    p.add_argument("--max-minutes", type=float, default=60.0, help="stop (saving first) after this long")
    p.add_argument("--prompts", type=int, default=200, help="statement lines to learn from (default 200)")
    p.add_argument("--samples", type=int, default=4, help="rft: samples per prompt; grpo: the group size")
    p.add_argument("--epochs", type=float, default=2.0, help="passes over the training rows (default 2)")
    p.add_argument("--learning-rate", type=float, help="default: 2e-4 for rft, 2e-5 for grpo")
    p.add_argument("--rank", type=int, default=16, help="LoRA rank (default 16)")
    p.add_argument("--max-steps", type=int, default=-1, help="stop after this many optimizer steps")
    p.add_argument(
        "--save-steps", type=int, default=10, help="a checkpoint every this many steps (default 10)"
    )
    p.add_argument(
        "--prompt-chars", type=int, default=1500, help="prompt length in characters (default 1500)"
    )
    p.add_argument("--max-length", type=int, default=640, help="tokens per training row (default 640)")
    p.add_argument("--seed", type=int, default=0, help="the train/held-out split and the prompts' order")
    p.add_argument("--resume", action="store_true", help="go on from the adapter folder's last checkpoint")
    p.add_argument("--model", default=EMBEDDED_MODEL, help="the model to adapt (default: the embedded one)")
    p.add_argument("--device", default="auto", help="auto (a CUDA GPU when there is one), cpu, cuda")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[2:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        return train(args, "compilot train " + " ".join(argv))
    except TrainError as e:
        print(f"compilot train: {e}", file=sys.stderr)
        return 2


class TrainError(Exception):
    pass


def write(line: str) -> None:
    print(line, flush=True)


def train(args, command: str) -> int:
    import importlib.util
    import warnings

    if not all(importlib.util.find_spec(name) for name in ("trl", "peft", "datasets")):
        raise TrainError("training needs trl and peft: `pip install -e '.[train]'` (or trl and peft)")

    import datasets
    import torch

    warnings.filterwarnings(
        "ignore", category=FutureWarning
    )  # the libraries' deprecation notes, not the user's
    datasets.disable_progress_bars()

    from compilot.bench.cases import compiles_with
    from compilot.engine import start_checker
    from compilot.project.discover import Workspace, discover
    from compilot.train.data import SPLIT_FILE, Split, line_prompts
    from compilot.train.lora import Run

    started = time.monotonic()
    deadline = started + args.max_minutes * 60
    source = "jdk" if args.jdk else str(args.repo.resolve())
    if not args.jdk and not args.repo.is_dir():
        raise TrainError(f"--repo {args.repo}: not a folder")
    settings, problems = Settings().updated(
        {"model": args.model, "device": args.device, "samples": args.samples}
    )
    if problems:
        raise TrainError("; ".join(problems))
    out = (args.out or default_out(source, args.method)).expanduser().resolve()
    if not args.jdk and out.is_relative_to(Path(source)) and args.out is None:
        raise TrainError("the default adapter folder would be inside --repo: give --out")
    out.mkdir(parents=True, exist_ok=True)
    model_dir = model_folder(args.model)
    cuda = args.device.startswith("cuda") or (args.device == "auto" and torch.cuda.is_available())

    workspace = discover([source]) if not args.jdk else Workspace()
    checker, problem = start_checker(settings, workspace)
    if checker is None:
        raise TrainError(f"javac is needed to judge the samples: {problem}")
    try:
        split = Split(source, args.seed)
        prompts = line_prompts(
            split.files(held_out=False, seed=args.seed),
            args.prompts,
            args.prompt_chars,
            settings.prompt,
            args.seed,
            compiles=compiles_with(checker),
        )
        if not prompts:
            raise TrainError(f"no statement line to learn from in the training files of {source}")
        write(f"compilot train: {len(prompts)} prompts from the training files of {source}; adapter in {out}")
        run = Run(
            out=out,
            deadline=deadline,
            epochs=args.epochs,
            learning_rate=args.learning_rate or (2e-4 if args.method == "rft" else 2e-5),
            rank=args.rank,
            max_steps=args.max_steps,
            save_steps=args.save_steps,
            use_cpu=not cuda,
            resume=args.resume,
        )
        if args.method == "rft":
            report = train_rft(args, settings, model_dir, checker, prompts, run, started)
        else:
            from compilot.train.grpo import train_grpo

            report = {"training": train_grpo(model_dir, checker, prompts, run, generations=args.samples)}
    finally:
        checker.close()

    from transformers import AutoConfig

    from compilot.train.export import write_gguf_lora

    gguf = write_gguf_lora(out, AutoConfig.from_pretrained(model_dir).num_hidden_layers)
    report.update(
        split=split.to_json(),
        method=args.method,
        model=args.model,
        minutes=(time.monotonic() - started) / 60,
        command=command,
    )
    (out / SPLIT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
    held_out = "--jdk" if args.jdk else f"--repo {source}"
    write(
        f"\nadapter written to {out} (peft files, and {gguf.name} for llama.cpp)\n"
        f"use it: set the `adapter` setting to {out} (VS Code: compilot.adapter; "
        f"`compilot complete --adapter {out} FILE --line N --col M`)\n"
        f"measure it on the held-out files: compilot bench {held_out} --held-out {out} --adapter {out} "
        "--configs alone,defaults"
    )
    return 0


def train_rft(args, settings: Settings, model_dir: Path, checker, prompts, run, started: float) -> dict:
    from compilot.generation.backend import ModelLoadError, load_backend
    from compilot.train.rft import DATA_FILE, collect, fine_tune, load_rows, save_rows

    data = run.out / DATA_FILE
    if args.resume and data.is_file():
        rows, counts = load_rows(data), {"reused": str(data)}
        write(f"{len(rows)} training rows from {data}")
    else:
        try:  # the backend completions use (on a CPU llama.cpp: ~2x faster a step than torch, benchmarks.md)
            backend = load_backend(settings)
        except ModelLoadError as e:
            raise TrainError(str(e)) from e
        sampling_deadline = started + (run.deadline - started) / 2  # half the time at most: training needs it
        config = settings.sampling(settings.max_new_tokens)
        rows, counts = collect(backend, checker, prompts, config, sampling_deadline, write)
        backend.close()
        save_rows(data, rows)
    return {"sampling": counts, "training": fine_tune(model_dir, rows, run, write, args.max_length)}


def model_folder(model: str) -> Path:
    """The model's folder of weights for the trainers (the embedded model's converted copy)."""
    if model == EMBEDDED_MODEL:
        from compilot.generation.model import prepare_embedded_model

        return prepare_embedded_model()
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise TrainError(f"--model {model}: a Hugging Face model folder is needed to train (config.json)")
    return path


def default_out(source: str, method: str) -> Path:
    from compilot.cache import cache_dir

    name = "jdk" if source == "jdk" else Path(source).name
    return cache_dir() / "adapters" / f"{name}-{method}"
