"""What both training methods share: the LoRA adapter's shape, the trainer's arguments, progress and time limit.

The trainers are trl's (`SFTTrainer`, `GRPOTrainer`) with a peft LoRA adapter; this module only says how they
run here: checkpoints under the output folder (resumable), a progress bar with tokens per second and the time
left, and a stop at the deadline that saves first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

# Not q_proj/k_proj: see export.py (llama.cpp permutes them).
TARGET_MODULES = ("v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class Run:
    """How long and how hard to train."""

    out: Path  # the adapter folder; checkpoints in out/checkpoints
    deadline: float  # time.monotonic() at which training saves and stops
    epochs: float = 2.0
    learning_rate: float = 2e-4
    batch_size: int = 4
    rank: int = 16
    max_steps: int = -1  # -1: the epochs decide
    save_steps: int = 25
    use_cpu: bool = True
    resume: bool = False

    @property
    def checkpoints(self) -> Path:
        return self.out / "checkpoints"

    def last_checkpoint(self) -> str | None:
        """The checkpoint to resume from, when asked to and there is one."""
        if not self.resume or not self.checkpoints.is_dir():
            return None
        from transformers.trainer_utils import get_last_checkpoint

        return get_last_checkpoint(str(self.checkpoints))


def lora_config(rank: int):
    from peft import LoraConfig

    return LoraConfig(
        r=rank,
        lora_alpha=2 * rank,
        lora_dropout=0.05,
        target_modules=list(TARGET_MODULES),
        task_type="CAUSAL_LM",
    )


def trainer_arguments(run: Run) -> dict:
    """The TrainingArguments fields both trl configs take."""
    return {
        "output_dir": str(run.checkpoints),
        "num_train_epochs": run.epochs,
        "max_steps": run.max_steps,
        "learning_rate": run.learning_rate,
        "per_device_train_batch_size": run.batch_size,
        "save_steps": run.save_steps,
        "save_total_limit": 2,
        "logging_steps": 1,
        "report_to": "none",
        "use_cpu": run.use_cpu,
        "bf16": False
        if run.use_cpu
        else None,  # trl turns bf16 on by default: ~10x slower on a CPU without it
        "disable_tqdm": True,  # Progress draws the one bar
        "gradient_checkpointing": False,  # trl's default trades ~30% more compute for memory a 135M model has
        "seed": 0,
    }


class Progress(TrainerCallback):
    """A progress bar over the optimizer steps: loss, tokens per second, and the time left (the steps to go
    at the pace so far, or the deadline when that comes first)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.bar = None
        self.tokens = 0

    def on_train_begin(self, args, state, control, **kwargs):
        from tqdm import tqdm

        self.started, self.first_step = time.monotonic(), state.global_step
        self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="training", unit="step")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is None:
            return
        now = time.monotonic()
        done = state.global_step - self.first_step
        elapsed = max(now - self.started, 1e-9)
        left = (state.max_steps - state.global_step) * elapsed / done if done else float("inf")
        left = min(left, max(0.0, self.deadline - now))
        logs = logs or {}
        tokens = logs.get("num_tokens") or self.tokens  # trl counts the tokens it trained on
        self.tokens = tokens
        loss = logs.get("loss")
        self.bar.update(state.global_step - self.bar.n)
        self.bar.set_postfix_str(
            (f"loss {loss:.3f}, " if isinstance(loss, (int, float)) else "")
            + f"{tokens / elapsed:.0f} tokens/s, {left / 60:.1f} min left"
        )

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()


def fit(trainer_class, run: Run, **kwargs) -> dict:
    """Train a LoRA adapter with a trl trainer (`kwargs`: its model, args, dataset...), from the last
    checkpoint when resuming, and save it to `run.out`: (steps, training loss)."""
    from transformers.trainer_callback import PrinterCallback

    trainer = trainer_class(
        peft_config=lora_config(run.rank),
        callbacks=[Progress(run.deadline), TimeLimit(run.deadline)],
        **kwargs,
    )
    trainer.remove_callback(PrinterCallback)  # Progress shows the logs
    result = trainer.train(resume_from_checkpoint=run.last_checkpoint())
    trainer.save_model(str(run.out))
    return {"steps": trainer.state.global_step, "train_loss": result.training_loss}


class TimeLimit(TrainerCallback):
    """Stop at the deadline, saving a checkpoint first (`--max-minutes`; `--resume` goes on from it)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def on_step_end(self, args, state, control, **kwargs):
        if time.monotonic() >= self.deadline:
            control.should_save = True
            control.should_training_stop = True
        return control
