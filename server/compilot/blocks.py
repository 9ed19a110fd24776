"""Method bodies, statement by statement: each statement is sampled, checked by javac, and kept only if it compiles.

A 135M model rarely writes a whole body without a wrong type or an invented name somewhere, and one error sinks
the whole sample. Built one statement at a time, an error costs one statement's resampling (adaptive: the greedy
statement first, the other samples only when it does not compile), and the body ends when the model closes the block and the
finished method compiles (its `missing return statement` included). When the model closes a method that still
lacks its `return`, javac says so, and the next statement is started with `return` for the model to finish.
With `feedback`, the samples drawn after a greedy statement that does not compile are prompted with javac's
message about it, as a comment on the line before (the comment is the prompt's only: it is never inserted).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from compilot.candidate import Candidate
from compilot.context.types import CursorContext, StopRule
from compilot.generation.backend import Backend, Cancelled, Sample, SamplingConfig, sampling_rounds
from compilot.verification.checker import JavaChecker
from compilot.verification.verifier import Baseline, verify

MISSING_RETURN = "compiler.err.missing.ret.stmt"


@dataclass
class BodyResult:
    candidate: Candidate
    generation: float  # seconds spent sampling
    verification: float  # seconds spent in javac


def block_closing(context: CursorContext) -> str:
    """What follows a generated block body: the `}` the document lacks, or a line break before its own `}`."""
    header_indent = _header_indent(context.prefix)
    if context.close_block:
        return "\n" + header_indent + "}"
    if context.suffix.lstrip(" \t").startswith("}"):
        return "\n" + header_indent
    return ""


def expect_return(baseline: Baseline, text: str, offset: int) -> Baseline:
    """A body completion must finish its method: the empty body's `missing return statement` is not excused."""
    header = text[:offset].rstrip().rfind("\n") + 1
    kept = tuple(e for e in baseline.errors if not (e.code == MISSING_RETURN and header <= e.start <= offset))
    return Baseline(kept)


Steer = Callable[[str, int, str, list[Sample], SamplingConfig], list[Sample]]


def complete_body(
    sampler: Backend,
    checker: JavaChecker,
    text: str,
    context: CursorContext,
    filename: str,
    config: SamplingConfig,
    max_tokens: int,
    max_statements: int = 16,
    cancel: threading.Event | None = None,
    key: str = "",
    budget: float = 20.0,
    steer: Steer | None = None,
    feedback: bool = False,
    adaptive: bool = True,
) -> BodyResult:
    """Grow the body at `context` one verified statement at a time; the result passes only if the method compiles.
    `steer(document, offset, prompt, samples, config)`: the samples for a statement as javac would have them
    (guidance.py), given the document with the body so far in it and the place the statement goes. Each
    statement's samples are drawn in the engine's rounds (`sampling_rounds`: with `adaptive`, the greedy one
    alone first)."""
    baseline = Baseline.of(checker, text, filename)
    strict = expect_return(baseline, text, context.offset)
    end = block_closing(context)
    timer = {"generation": 0.0, "verification": 0.0}

    said: list[str] = []  # javac's first message about each rejected statement, newest last

    def new_errors(body: str, final: bool) -> set[str]:
        """The codes of the errors `body` adds (a statement may leave the method's return for later)."""
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        start = time.perf_counter()
        verdict = verify(checker, text, context.offset, body, strict if final else baseline, filename, end)
        timer["verification"] += time.perf_counter() - start
        errors = [e for e in verdict.new_errors if final or e.code != MISSING_RETURN]
        if errors:
            said.append(errors[0].message.split("\n", 1)[0].strip())
        return {e.code for e in errors}

    def check(body: str, final: bool) -> bool:
        return not new_errors(body, final)

    deadline = time.monotonic() + budget  # an editor wants an answer, even a shorter body
    body, scores, tokens, finished = "", [], 0, False
    lead = ""  # the start of the next statement, given to the model: "return" once javac asked for one
    separator = _first_separator(context)
    rounds = sampling_rounds(dataclasses.replace(config, deadline=deadline), adaptive)
    for _ in range(max_statements):
        if tokens >= max_tokens or time.monotonic() > deadline:
            break
        given, said[:] = lead, []
        prompt = context.prefix + body + separator + given
        accepted = None
        for round_config in rounds:
            if round_config is not rounds[0] and feedback and said:
                prompt = context.prefix + body + separator + f"// javac: {said[-1]}\n{context.indent}{given}"
            start = time.perf_counter()
            samples = sampler.sample(prompt, StopRule.LINE, round_config, cancel, key)
            if steer is not None:
                so_far = body + separator + given
                document = text[: context.offset] + so_far + text[context.offset :]
                samples = steer(document, context.offset + len(so_far), prompt, samples, round_config)
            timer["generation"] += time.perf_counter() - start
            for sample in sorted(samples, key=lambda s: -s.mean_logprob):
                piece = (given + sample.text).strip(" \t\n")
                if not piece:  # the model closed the block: done, if the method is complete
                    if sample.finish == "stop" and body:
                        missing = new_errors(body, final=True)
                        finished = not missing
                        if finished:
                            break
                        if missing == {MISSING_RETURN}:
                            lead = "return"
                    continue
                if piece == given or piece.startswith(("//", "/*")):
                    continue  # nothing new, or only a comment (the model may echo javac's)
                if _repeats(body, piece):
                    continue
                if sample.finish in ("length", "time"):
                    continue  # cut off mid-statement
                if check(body + separator + piece, final=False):
                    accepted = (piece, sample)
                    break
            if finished or accepted or lead != given:
                break
        if finished:
            break
        if accepted is None:
            if lead != given:
                continue  # javac asked for a return: the next try starts with it
            break
        piece, sample = accepted
        body += separator + piece
        lead = ""
        scores.append(sample.mean_logprob)
        tokens += len(sample.token_ids)
        separator = "\n" + context.indent
        if _ends_the_block(piece):
            finished = check(body, final=True)  # nothing may follow (javac: unreachable statement)
            break

    passed = finished or (bool(body) and check(body, final=True))
    candidate = Candidate(
        text=body + end,
        score=sum(scores) / len(scores) if scores else float("-inf"),
        finish="stop" if finished else "length",
        verdict="pass" if passed else "fail",
        raw=body + end,
    )
    return BodyResult(candidate, timer["generation"], timer["verification"])


def _repeats(body: str, statement: str) -> bool:
    """The same statement a third time, numbers aside (`int sum3 = 0;` after `sum` and `sum2`): a loop."""
    template = re.compile(re.escape(_NUMBER.sub("#", statement)).replace("\\#", r"\d*"))
    return len(template.findall(body)) >= 2


_NUMBER = re.compile(r"\d+")


def _ends_the_block(statement: str) -> bool:
    """A `return` or `throw` at the body's own level: any statement after it would be unreachable."""
    word = statement.split(None, 1)[0].rstrip(";") if statement.strip() else ""
    return word in ("return", "throw")


def _first_separator(context: CursorContext) -> str:
    """Text between the cursor and the first statement: a line break when the cursor is on the header's line."""
    current = context.prefix[context.prefix.rfind("\n") + 1 :]
    if current.strip():
        return "\n" + context.indent
    return context.indent[len(current) :] if context.indent.startswith(current) else ""


def _header_indent(prefix: str) -> str:
    for line in reversed(prefix.splitlines()):
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""
