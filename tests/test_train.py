"""`compilot train` end to end on a tiny random model and a small repository, with real javac (seconds)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from compilot.train.command import main
from compilot.train.data import SPLIT_FILE, Split

CLASSES = ("Cart", "Price", "Stock", "Order", "Coupon", "Ledger", "Basket", "Till", "Shelf", "Crate")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A Maven-shaped folder of small classes, each with statement lines to learn."""
    root = tmp_path_factory.mktemp("shop")
    package = root / "src" / "main" / "java" / "shop"
    package.mkdir(parents=True)
    for i, name in enumerate(CLASSES):
        (package / f"{name}.java").write_text(
            f"package shop;\n\nimport java.util.ArrayList;\nimport java.util.List;\n\n"
            f"public class {name} {{\n    private final List<Integer> items = new ArrayList<>();\n\n"
            "    public int total(int extra) {\n        int sum = extra;\n"
            f"        for (int item : items) {{\n            sum += item * {i + 2};\n        }}\n"
            "        int doubled = sum * 2;\n        items.add(doubled);\n        return doubled + items.size();\n"
            "    }\n\n    public String label(String name) {\n        String upper = name.toUpperCase();\n"
            f'        String trimmed = upper.trim();\n        return trimmed + "-{i}";\n    }}\n}}\n'
        )
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def train(repo: Path, out: Path, model: Path, *more: str) -> int:
    argv = ["--repo", str(repo), "--out", str(out), "--model", str(model), "--device", "cpu"]
    return main(argv + ["--prompts", "6", "--samples", "2", "--max-minutes", "5", *more])


def test_the_split_holds_files_out_by_path_and_seed():
    split = Split("/src", seed=3)
    ids = [f"src/main/java/a/C{i}.java" for i in range(400)]
    held = [i for i in ids if split.held_out(i)]
    assert 0.12 < len(held) / len(ids) < 0.28  # about a fifth
    assert held == [i for i in ids if Split("/src", seed=3).held_out(i)]  # the same every time
    assert held != [i for i in ids if Split("/src", seed=4).held_out(i)]  # another seed, another split


def test_rft_writes_an_adapter_the_model_setting_loads(repo, tmp_path, tiny_model_dir, capsys):
    import gguf
    import torch

    from compilot.generation.model import load_model

    before = snapshot(repo)
    out = tmp_path / "adapter"
    assert train(repo, out, tiny_model_dir, "--max-steps", "2") == 0
    assert snapshot(repo) == before  # the sources are only read
    printed = capsys.readouterr().out
    assert f"set the `adapter` setting to {out}" in printed and f"--held-out {out}" in printed

    report = json.loads((out / SPLIT_FILE).read_text())
    assert report["split"]["source"] == str(repo.resolve()) and report["method"] == "rft"
    assert report["training"]["steps"] == 2 and report["sampling"]["prompts"] == 6
    rows = [json.loads(line) for line in (out / "rft-data.jsonl").read_text().splitlines()]
    assert sum(r["source"] == "original" for r in rows) == 6
    split = Split.read(out)
    assert rows and not any(split.held_out(r["id"].rsplit(":", 2)[0]) for r in rows)  # train files only

    names = {t.name for t in gguf.GGUFReader(out / "adapter.gguf").tensors}
    assert "blk.0.attn_v.weight.lora_a" in names and "blk.1.ffn_down.weight.lora_b" in names
    assert not any("attn_q" in n or "attn_k" in n for n in names)

    ids = torch.tensor([[1, 2, 3, 4]])
    base, adapted = load_model(str(tiny_model_dir), "cpu"), load_model(str(tiny_model_dir), "cpu", str(out))
    with torch.no_grad():
        assert not torch.equal(base.model(ids).logits, adapted.model(ids).logits)  # the adapter is merged in


def test_the_trainer_learns_the_completion_as_inference_sees_it_and_no_end_of_text(tiny_model_dir, tmp_path):
    """The loss is on the completion's tokens only, the prompt is tokenized alone (as the engine sends it),
    and no end-of-text token follows the line: with one, the adapter learned to end the text after a line
    break and answered empty lines."""
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from compilot.train.lora import Run, trainer_arguments
    from compilot.train.rft import sft_dataset

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = [
        {"prompt": "class A {\n    int f() {", "completion": "\n        return 1;\n"},
        {"prompt": "x" * 4000, "completion": "\n        y();\n"},  # too long: left out
    ]
    args = SFTConfig(
        **trainer_arguments(Run(tmp_path, deadline=0.0)), max_length=64, completion_only_loss=True
    )
    trainer = SFTTrainer(model=str(tiny_model_dir), args=args, train_dataset=sft_dataset(tokenizer, rows, 64))
    assert len(trainer.train_dataset) == 1
    example = trainer.train_dataset[0]
    prompt = tokenizer(rows[0]["prompt"], add_special_tokens=False)["input_ids"]
    completion = tokenizer(rows[0]["completion"], add_special_tokens=False)["input_ids"]
    assert example["input_ids"] == prompt + completion  # nothing appended, no token merged across the cut
    assert tokenizer.eos_token_id not in example["input_ids"]
    assert example["labels"] == [-100] * len(prompt) + completion


def test_resume_goes_on_from_the_last_checkpoint_and_its_samples(repo, tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "adapter"
    assert train(repo, out, tiny_model_dir, "--max-steps", "2", "--save-steps", "1") == 0
    assert train(repo, out, tiny_model_dir, "--max-steps", "3", "--save-steps", "1", "--resume") == 0
    report = json.loads((out / SPLIT_FILE).read_text())
    assert report["training"]["steps"] == 3
    assert "reused" in report["sampling"]  # the samples were not drawn again
    assert "training rows from" in capsys.readouterr().out


def test_grpo_trains_with_javacs_reward(repo, tmp_path, tiny_model_dir):
    out = tmp_path / "grpo"
    assert train(repo, out, tiny_model_dir, "--method", "grpo", "--max-steps", "1") == 0
    report = json.loads((out / SPLIT_FILE).read_text())
    assert report["method"] == "grpo" and report["training"]["steps"] == 1
    assert (out / "adapter_model.safetensors").is_file() and (out / "adapter.gguf").is_file()


def test_the_reward_is_two_for_the_line_one_for_compiling_zero_for_an_error():
    from compilot.train.data import Prompt
    from compilot.train.grpo import javac_reward
    from compilot.verification.checker import JavaChecker

    text = "class A {\n    int f(int x) {\n        int y = x + 1;\n        return y;\n    }\n}\n"
    offset = text.index("int y")
    document = text[:offset] + text[text.index("\n", offset) :]
    prompt = Prompt("a", document, offset, "int y = x + 1;", "A.java", document[:offset].rstrip(), " " * 8)
    completions = ["        int y = x + 1;\n", "        int y = 2 * x;\n}", "        int y = z;\n", "\n"]
    with JavaChecker() as checker:
        reward = javac_reward(checker, [prompt])
        assert reward(completions, id=["a"] * 4) == [2.0, 1.0, 0.0, 0.0]


def test_the_benchmark_picks_cases_from_held_out_files_only(repo, tmp_path):
    from compilot.bench.cases import repo_sources
    from compilot.bench.run import held_out

    split = Split(str(repo.resolve()), seed=0)
    (tmp_path / SPLIT_FILE).write_text(json.dumps({"split": split.to_json()}))
    args = SimpleNamespace(held_out=tmp_path)
    picked = [s[0] for s in held_out(repo_sources(repo, 0), args, str(repo.resolve()))]
    assert picked and all(split.held_out(p) for p in picked)
    assert len(picked) < len(CLASSES)
    other = [s[0] for s in held_out(repo_sources(repo, 0), args, "jdk")]  # not what it was trained on
    assert len(other) == len(CLASSES)


def test_bad_input_is_a_clear_message(tmp_path, tiny_model_dir, capsys):
    from compilot.generation.backend import ModelLoadError
    from compilot.generation.model import load_model

    assert main(["--repo", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err
    with pytest.raises(ModelLoadError, match="not a folder `compilot train` wrote|is not a folder"):
        load_model(str(tiny_model_dir), "cpu", str(tmp_path))


def test_a_cpu_run_trains_in_fp32_without_recomputation(tmp_path):
    """trl's defaults (bf16 autocast, gradient checkpointing) made a CPU step ~13x slower here (447 s vs 33 s)."""
    import time

    from trl import SFTConfig

    from compilot.train.lora import Run, trainer_arguments

    args = SFTConfig(**trainer_arguments(Run(out=tmp_path, deadline=time.monotonic(), use_cpu=True)))
    assert not args.bf16 and not args.fp16 and not args.gradient_checkpointing
