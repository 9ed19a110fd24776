"""The completion pipeline: cursor context -> guarded sampling -> javac verification -> ranking.

Front ends (CLI, language server) hold one `Engine`, call `load()` once (slow: model and JVM), then
`complete()` per request. Nothing here knows about LSP.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from compilot.blocks import block_closing, complete_body, expect_return
from compilot.cache import cache_dir
from compilot.candidate import Candidate
from compilot.context import classify
from compilot.context.prompt import OUTLINE, document_prompt
from compilot.context.types import CursorContext, StopRule
from compilot.generation.backend import (
    Backend,
    BackendError,
    Cancelled,
    Sample,
    SamplingConfig,
    load_backend,
    sampling_rounds,
)
from compilot.guidance import Place, guide, rename, unknown_name
from compilot.project.discover import Workspace
from compilot.project.module import Module
from compilot.ranking import rank
from compilot.settings import BACKEND_FIELDS, Settings
from compilot.verification.checker import CheckerError, JavaChecker
from compilot.verification.diagnostics import Diagnostic
from compilot.verification.members import MemberIndex
from compilot.verification.verifier import Baseline, verify_many, verify_with_truncation

log = logging.getLogger(__name__)

MAX_RENAMES = 2  # failed candidates a round continues from an unknown name (a decode and a javac query each)

__all__ = ["Engine", "CompletionResult", "Candidate", "Cancelled", "start_checker"]


@dataclass
class CompletionResult:
    context: CursorContext
    items: list[Candidate]  # what to offer, best first
    candidates: list[Candidate]  # every candidate drawn, with its verdict (`complete --json`, logs)
    checked: bool  # the items passed javac
    message: str = ""  # why nothing was offered, or why checking is off
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    generation_error: str = ""  # the backend failed (its server is down, ...): what it said


def start_checker(settings: Settings, workspace: Workspace) -> tuple[JavaChecker | None, str]:
    """A warm javac checker for these settings and builds, or None and why there is none."""
    checker = None
    try:
        checker = JavaChecker(
            release=settings.java_release,
            classpath=settings.classpath,
            sourcepath=settings.sourcepath,
            timeout=settings.check_timeout,
            project=workspace.paths_for if workspace.modules else None,
        )
        # the sourcepath setting's roots too, one by one (a test root that does not compile keeps main's)
        modules = list(workspace.modules) + [
            Module("sourcepath", "", "settings", main_sources=(root,), dependency_sources=settings.sourcepath)
            for root in settings.sourcepath
        ]
        if settings.class_cache and modules:
            checker.use_class_cache(modules, cache_dir() / "classes")
        checker.warm_up()
        return checker, ""
    except CheckerError as e:
        if checker is not None:
            checker.close()  # a JVM that started but cannot check (javaRelease 99) must not be left behind
        log.warning("javac checking is off: %s", e)
        return None, f"javac checking is off: {e}"


SamplingHook = Callable[[SamplingConfig], SamplingConfig]


class Engine:
    """One completion pipeline. A context manager: leaving it stops what it started (model server, JVM)."""

    def __init__(
        self,
        settings: Settings | None = None,
        workspace: Workspace | None = None,
        backend: Backend | None = None,
        checker: JavaChecker | None = None,
        sampling: SamplingHook | None = None,
    ):
        """What varies besides the settings, given by the caller (who also closes it):
        `backend`: one to use instead of loading the one the settings name (a scripted one in tests, one
        model shared by the benchmark's configurations); `checker`: a javac checker to use (and keep) instead
        of starting one; `sampling`: adjusts each request's `SamplingConfig` (e.g. more LogitsProcessors)."""
        self.settings = settings or Settings()
        self.workspace = workspace or Workspace()  # its modules give each file its class and source paths
        self._given_backend = backend
        self._given_checker = checker
        self._sampling = sampling
        self.backend: Backend | None = None  # torch, llamacpp or openai (generation/backend.py)
        self.checker: JavaChecker | None = checker
        self.checker_problem = ""  # why javac checking is unavailable, shown with every result
        self._members: MemberIndex | None = None  # javac's members per receiver, for guidance
        self._load_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self.backend is not None

    def load(self) -> None:
        """Start the backend (load the model) and the javac checker. Raises ModelLoadError with a message
        for the user."""
        with self._load_lock:
            if self.backend is None:
                self.backend = self._given_backend or load_backend(self.settings)
            if self._checker_due():
                self._start_checker()

    def _checker_due(self) -> bool:
        """Checking is on but no checker runs yet: new settings closed the last one, or none was started."""
        return self.settings.verify and self.checker is None and not self.checker_problem

    def _start_checker(self) -> None:
        self.checker, self.checker_problem = start_checker(self.settings, self.workspace)

    def update_settings(self, settings: Settings, workspace: Workspace | None = None) -> None:
        """Apply new settings (and a workspace read anew); the model or the checker restarts only when its
        own settings changed."""
        old = self.settings
        self.settings = settings
        if workspace is not None:
            self.workspace = workspace
        if self.backend is not None and any(getattr(settings, k) != getattr(old, k) for k in BACKEND_FIELDS):
            self.close_backend()
        checker_keys = ("java_release", "classpath", "sourcepath", "check_timeout", "verify")
        if self._given_checker is not None:
            return  # the caller's checker, as given
        if workspace is not None or any(getattr(settings, k) != getattr(old, k) for k in checker_keys):
            if self.checker is not None:
                self.checker.close()
            self.checker, self.checker_problem = None, ""
            if self.backend is not None and self._checker_due():
                self._start_checker()  # now, so a request never finds checking off and a bad release is told

    def check(self, text: str, filename: str = "Main.java") -> list[Diagnostic]:
        """javac's diagnostics for a whole document, through the warm checker."""
        if self.checker is None:
            if self.checker_problem:
                raise CheckerError(self.checker_problem)
            self._start_checker()
            if self.checker is None:
                raise CheckerError(self.checker_problem)
        return list(Baseline.of(self.checker, text, filename).errors)

    def prime(
        self, text: str, offset: int | None, key: str = "", cancel: threading.Event | None = None
    ) -> None:
        """Prefill the model's cache for the prompt at this cursor (None: the document's file context), so a
        request there (or one keystroke on) only pays for its new tokens. Raises Cancelled between chunks."""
        if not self.loaded:
            return
        s = self.settings
        if offset is None:
            prompt = document_prompt(text, s.prompt_chars) if s.prompt == OUTLINE else ""
        else:
            context = classify(text, offset, s.prompt_chars, s.prompt)
            prompt = context.prefix if context.completes else ""
        if prompt:
            self.backend.prefill(prompt, key, cancel)

    def forget(self, key: str) -> None:
        """Drop a closed document's cached prompt."""
        if self.loaded:
            self.backend.forget(key)

    def close_backend(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None and backend is not self._given_backend:
            backend.close()

    def close(self) -> None:
        """Stop the javac checker and the backend (llama.cpp's server loop, if it runs) it started."""
        if self.checker is not None and self.checker is not self._given_checker:
            self.checker.close()
        self.close_backend()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def complete(
        self,
        text: str,
        offset: int,
        filename: str = "Main.java",
        cancel: threading.Event | None = None,
        key: str | None = None,
        line_seconds: float | None = None,
    ) -> CompletionResult:
        """Completions for the cursor at character `offset` of `text`. Raises Cancelled when `cancel` is set.
        `key` names the document whose cached prompt to reuse (default: `filename`); `line_seconds` replaces
        the setting's line budget for this request (the completion list, asked for, is given more time)."""
        s = self.settings
        key = filename if key is None else key
        t0 = time.perf_counter()
        context = classify(text, offset, s.prompt_chars, s.prompt)
        timings = {"context": time.perf_counter() - t0}
        if not context.completes:
            return CompletionResult(context, [], [], False, context.reason, timings)
        if not self.loaded or self._checker_due():
            self.load()
            timings["load"] = time.perf_counter() - t0 - timings["context"]
            t0 = time.perf_counter() - timings["context"]

        try:
            candidates, checked = self._draw(text, context, filename, cancel, key, line_seconds, timings)
        except BackendError as e:
            log.warning("generation failed: %s", e)
            timings["total"] = time.perf_counter() - t0
            return CompletionResult(context, [], [], False, f"generation failed: {e}", timings, str(e))
        items = rank(candidates, checked, s.max_results, s.prefer_fixes)
        timings["total"] = time.perf_counter() - t0
        message = "" if checked or not s.verify else self.checker_problem
        if not items and not message:
            message = "no candidate compiled" if checked else "the model produced no completion here"
            if any(c.finish == "time" for c in candidates):
                message += f" within lineSeconds ({s.line_seconds:g} s)"
        return CompletionResult(context, items, candidates, checked, message, timings)

    def _draw(
        self,
        text: str,
        context: CursorContext,
        filename: str,
        cancel: threading.Event | None,
        key: str,
        line_seconds: float | None,
        timings: dict[str, float],
    ) -> tuple[list[Candidate], bool]:
        """The candidates for a cursor, judged by javac, and whether they were (timings filled in)."""
        s = self.settings
        checked = s.verify and self.checker is not None
        # javac's guidance holds rows to the names it allows, which a backend without a grammar cannot
        steered = checked and getattr(self.backend, "constrains_names", True)
        t1 = time.perf_counter()
        self.backend.prefill(context.prefix, key, cancel)  # the new tokens; sampling finds them cached
        timings["prefill"] = time.perf_counter() - t1
        timings["generation"] = timings["verification"] = 0.0
        candidates: list[Candidate] = []
        if checked and s.stepwise and context.stop is StopRule.BLOCK:
            try:
                line_config = dataclasses.replace(
                    self._sampling_config(context), max_new_tokens=s.max_new_tokens
                )
                body = complete_body(
                    self.backend,
                    self.checker,
                    text,
                    context,
                    filename,
                    line_config,
                    s.max_block_tokens,
                    cancel=cancel,
                    budget=self._block_budget(context),
                    key=key,
                    steer=self._steer_body(filename, cancel, key, timings) if steered and s.guided else None,
                    feedback=s.javac_feedback,
                    adaptive=s.adaptive,
                )
                candidates.append(body.candidate)
                timings["generation"], timings["verification"] = body.generation, body.verification
            except CheckerError as e:
                checked, self.checker_problem = False, f"javac checking failed: {e}"
        line_budget = s.line_seconds if line_seconds is None else line_seconds
        deadline = None  # lineSeconds bounds line completions; bodies have blockSeconds (stepwise)
        if line_budget and context.stop is not StopRule.BLOCK:
            deadline = time.monotonic() + line_budget
        rounds = self._rounds(context, checked, deadline, line_budget / 2) if not candidates else []
        for config in rounds:
            if candidates and deadline is not None and time.monotonic() > deadline:
                break  # out of time: offer what the earlier round verified
            t1 = time.perf_counter()
            samples = self.backend.sample(context.prefix, context.stop, config, cancel, key)
            if checked and steered and s.guided:
                samples = self._guided(
                    text,
                    context.offset,
                    filename,
                    context.prefix,
                    context.stop,
                    samples,
                    config,
                    cancel,
                    key,
                    timings,
                )
            fresh = [self._candidate(context, sample) for sample in samples]
            candidates += fresh
            timings["generation"] += time.perf_counter() - t1
            if checked:
                checked = self._judge(text, context, fresh, filename, cancel, timings)
            if checked and steered and s.guided_names and not any(c.verdict == "pass" for c in fresh):
                renamed = self._renamed(text, context, filename, fresh, config, cancel, key, timings)
                checked = self._judge(text, context, renamed, filename, cancel, timings)
                candidates += renamed
                fresh += renamed
            if checked and any(c.verdict == "pass" and c.text.strip() for c in fresh):
                break
        return candidates, checked

    def _guided(
        self, text, offset, filename, prompt, rule, samples, config, cancel, key, timings
    ) -> list[Sample]:
        """Each sample with its wrong member names rewritten under javac's constraint (guidance.py)."""
        t0 = time.perf_counter()
        place = Place.at(text, offset, filename)
        try:
            guided = [
                guide(
                    self.backend,
                    self._member_index(),
                    place,
                    prompt,
                    rule,
                    config,
                    sample,
                    row == 0 and config.greedy_first,
                    cancel,
                    key,
                )
                for row, sample in enumerate(samples)
            ]
        except CheckerError as e:  # javac could not say: the samples as they were, judged as usual
            log.warning("member lookup failed: %s", e)
            guided = samples
        timings["guidance"] = timings.get("guidance", 0.0) + time.perf_counter() - t0
        return guided

    def _renamed(self, text, context, filename, judged, config, cancel, key, timings) -> list[Candidate]:
        """Candidates that failed only for a simple name javac cannot find, continued from that name under
        the names in scope (guidance.rename), then guided at member accesses like every sample; at most
        MAX_RENAMES a round, best first; not yet judged."""
        if context.stop is StopRule.BLOCK or (config.deadline and time.monotonic() > config.deadline):
            return []
        place = Place.at(text, context.offset, filename)
        index = self._member_index()
        seen = {c.text.strip() for c in judged}
        renamed: list[Sample] = []
        t0 = time.perf_counter()
        for c in sorted((c for c in judged if c.verdict == "fail"), key=lambda c: -c.score):
            unknown = unknown_name(c.text, context.offset, c.new_errors)
            if unknown is None:
                continue
            try:
                sample = rename(
                    self.backend, index, place, context.prefix, context.stop, config, c.text, c.score,
                    unknown, cancel, key,
                )  # fmt: skip
            except CheckerError as e:
                log.warning("scope lookup failed: %s", e)
                break
            log.debug("unknown %s %r in %r: written again as %r", unknown.kind, unknown.name, c.text,
                      sample and sample.text)  # fmt: skip
            if sample is not None and sample.text.strip() not in seen:
                renamed.append(sample)
            if len(renamed) >= MAX_RENAMES:
                break
        timings["guidance"] = timings.get("guidance", 0.0) + time.perf_counter() - t0
        if renamed and self.settings.guided:
            renamed = self._guided(
                text, context.offset, filename, context.prefix, context.stop, renamed, config, cancel, key,
                timings,
            )  # fmt: skip
        return [self._candidate(context, sample) for sample in renamed]

    def _judge(self, text, context, candidates, filename, cancel, timings) -> bool:
        """javac's verdict on each candidate (`_verify`), timed; False when javac itself failed: checking is
        off for the rest of the request, and `checker_problem` says why."""
        t0 = time.perf_counter()
        try:
            self._verify(text, context, candidates, filename, cancel)
            return True
        except CheckerError as e:
            self.checker_problem = f"javac checking failed: {e}"
            return False
        finally:
            timings["verification"] += time.perf_counter() - t0

    def _member_index(self) -> MemberIndex:
        if self._members is None or self._members.checker is not self.checker:
            self._members = MemberIndex(self.checker)
        return self._members

    def _steer_body(self, filename, cancel, key, timings):
        """guidance for each statement of a stepwise body (blocks.complete_body's `steer`)."""

        def steer(document, offset, prompt, samples, config):
            return self._guided(
                document, offset, filename, prompt, StopRule.LINE, samples, config, cancel, key, timings
            )

        return steer

    def _block_budget(self, context: CursorContext) -> float:
        """Seconds for a body: a method's body gets `block_seconds`; a block inside one (an `if` body) is
        what the user meets while writing lines, so it gets the line budget when there is one."""
        s = self.settings
        return s.line_seconds if context.nested and s.line_seconds else s.block_seconds

    def _rounds(
        self, context: CursorContext, checked: bool, deadline: float | None = None, floor: float = 0.0
    ) -> list[SamplingConfig]:
        """The sampling rounds of a line (`sampling_rounds`; adaptive only when javac can judge the greedy one).

        The deadline covers the whole request, prefill included, except that the first round always keeps
        `floor` seconds (half the line budget) for decoding: a jump into a long member, whose text must be
        prefilled first, still gets a line (the user waits up to half a budget longer there), and the later
        round is skipped.
        """
        full = dataclasses.replace(self._sampling_config(context), deadline=deadline)
        return sampling_rounds(
            full,
            self.settings.adaptive and checked,
            floor if deadline is not None else 0.0,
            getattr(self.backend, "rows_one_by_one", False),
        )

    def _sampling_config(self, context: CursorContext) -> SamplingConfig:
        s = self.settings
        config = s.sampling(s.max_block_tokens if context.stop is StopRule.BLOCK else s.max_new_tokens)
        return config if self._sampling is None else self._sampling(config)

    def _candidate(self, context: CursorContext, sample) -> Candidate:
        text = sample.text
        if context.stop is StopRule.BLOCK:
            text = text.rstrip() + block_closing(context)
        return Candidate(text=text, score=sample.mean_logprob, finish=sample.finish, raw=text)

    def _verify(self, text, context, candidates, filename, cancel) -> None:
        """Judge every candidate with javac; cut failing multi-line ones to their longest compiling prefix."""
        baseline = Baseline.of(self.checker, text, filename)
        if context.stop is StopRule.BLOCK:
            baseline = expect_return(baseline, text, context.offset)
        closing = block_closing(context) if context.stop is StopRule.BLOCK else ""
        unique = list(dict.fromkeys(c.text for c in candidates if c.text.strip()))
        bodies = [t[: len(t) - len(closing)] for t in unique]  # a block candidate ends with `closing`
        results = verify_many(self.checker, text, context.offset, bodies, baseline, filename, closing)
        verdicts = dict(zip(unique, results, strict=True))
        for candidate_text, body in zip(unique, bodies, strict=True):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if not verdicts[candidate_text].passed and self.settings.truncate and "\n" in body.strip():
                verdicts[candidate_text] = verify_with_truncation(
                    self.checker, text, context.offset, body, baseline, filename, closing=closing
                )
        for c in candidates:
            verdict = verdicts.get(c.text)
            if verdict is None:
                continue
            c.verdict = "pass" if verdict.passed else "fail"
            c.new_errors = verdict.new_errors
            c.fixed = verdict.fixed
            c.truncated = verdict.passed and verdict.text != c.text
            if verdict.passed:
                c.text = verdict.text
