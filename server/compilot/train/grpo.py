"""Reinforcement with verifiable rewards: GRPO (trl's `GRPOTrainer`) with javac as the reward.

Each completion is cut at its line's end, as the engine's stop rule cuts it, and put where the line was:
+2 when it is the original line, +1 when it compiles in place, 0 when it adds an error. A group's completions
are judged together by the warm checker in one round trip.
"""

from __future__ import annotations

from collections.abc import Callable

from compilot.context.types import StopRule
from compilot.generation.backend import finish_text
from compilot.train.data import Prompt
from compilot.train.lora import Run, fit, trainer_arguments
from compilot.train.rft import compiles_in_place

EXACT, COMPILES, ADDS_ERROR = 2.0, 1.0, 0.0


def javac_reward(checker, prompts: list[Prompt]) -> Callable[..., list[float]]:
    """A trl reward function; the dataset's `id` column names each completion's prompt."""
    by_id = {p.id: p for p in prompts}

    def reward(completions: list[str], id: list[str], **kwargs) -> list[float]:  # noqa: A002 (trl's column)
        scores = [ADDS_ERROR] * len(completions)
        groups: dict[str, list[int]] = {}
        for i, prompt_id in enumerate(id):
            groups.setdefault(prompt_id, []).append(i)
        for prompt_id, rows in groups.items():
            p = by_id[prompt_id]
            texts = [finish_text(completions[i], p.heal, StopRule.LINE).rstrip() for i in rows]
            judged = [i for i, t in zip(rows, texts, strict=True) if t.strip()]
            inserts = [t for t in texts if t.strip()]
            for i, text, ok in zip(judged, inserts, compiles_in_place(checker, p, inserts), strict=True):
                if text.strip() == p.expected.strip():
                    scores[i] = EXACT
                elif ok:
                    scores[i] = COMPILES
        return scores

    reward.__name__ = "javac"
    return reward


def train_grpo(
    model_dir,
    checker,
    prompts: list[Prompt],
    run: Run,
    generations: int = 4,
    max_completion_tokens: int = 32,
) -> dict:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    dataset = Dataset.from_list([{"prompt": p.prompt, "id": p.id} for p in prompts])
    arguments = trainer_arguments(run)
    arguments["per_device_train_batch_size"] = generations  # one prompt's group per step
    args = GRPOConfig(
        **arguments,
        num_generations=generations,
        max_completion_length=max_completion_tokens,
        temperature=0.8,
        beta=0.0,
    )
    reward = [javac_reward(checker, prompts)]
    trained = fit(
        GRPOTrainer, run, model=str(model_dir), reward_funcs=reward, args=args, train_dataset=dataset
    )
    return {**trained, "prompts": len(prompts)}
