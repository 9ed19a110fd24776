"""javac steers the model at member accesses, not only filters what it wrote.

A sample that names a member its receiver lacks (`shelves.put` on a `Map<String, List<String>>`, `titles.size`
on a `String[]`) is cut just after that dot and continued with the names javac lists for the receiver as its
only allowed start (`SamplingConfig.names`: a token mask on torch, a grammar on llama.cpp). A name the model got
right is never touched, so for the greedy row this is what constraining at every dot would give (the argmax
over the allowed tokens is the model's own choice when that is allowed), at a javac query per access instead
of a constrained decode everywhere. Every candidate is still checked by javac afterwards.

A simple name javac cannot find (`assertTrue(thrown)` where the method has `threw`) is handled the same way
once javac has judged the candidate: cut before the name and continued with the names in scope there.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from typing import NamedTuple

from compilot.context.types import StopRule
from compilot.generation.backend import Backend, Sample, SamplingConfig
from compilot.verification.diagnostics import Diagnostic
from compilot.verification.members import MemberIndex, accesses, probe, statement_start

MAX_FIXES = 3  # continuations per sample: a line rarely has more member accesses than this
MAX_NAMES = 400  # names in scope offered at a simple name: locals and members come first, then types
_UNKNOWN = re.compile(r"symbol:\s+(class|interface|variable|method|enum|record)\s+([\w$]+)")
# What may stand for an unknown symbol of each kind (the kinds of a "scope" reply: locals are "field"s). A
# variable javac cannot find may be meant as a type (`Assert.fail()` without its import reads as one).
_STANDS_FOR = {"variable": ("field", "type"), "method": ("method",)}


class Unknown(NamedTuple):
    """A simple name javac could not find in a candidate: where it starts there, the name, javac's kind."""

    at: int
    name: str
    kind: str


@dataclasses.dataclass
class Place:
    """Where candidates go: the document, the statement the cursor is in, and what follows that line."""

    text: str
    offset: int
    filename: str
    start: int  # where the cursor's statement starts
    rest: int  # where the line after the cursor's begins

    @classmethod
    def at(cls, text: str, offset: int, filename: str) -> Place:
        end = text.find("\n", offset)
        return cls(text, offset, filename, statement_start(text, offset), len(text) if end < 0 else end + 1)

    @property
    def typed(self) -> str:
        """The statement as far as the user wrote it."""
        return self.text[self.start : self.offset]


def wrong_member(index: MemberIndex, place: Place, written: str) -> tuple[int, tuple[str, ...]] | None:
    """The first member access in `written` (the candidate's text) that javac says cannot be: where in
    `written` its name starts, and the names that could stand there (the part not typed yet). None: every
    access names a member, or javac cannot tell."""
    typed = place.typed
    statement = typed + written
    for access in accesses(statement, len(typed)):
        found = index.members(
            probe(place.text, place.start, statement, access.dot, place.rest), place.filename
        )
        if not found.names or access.name in found.names:
            continue
        cut = access.dot - len(typed)
        partial = "" if cut >= 0 else typed[access.dot :]  # `list.fo|`: the user typed `fo`
        names = tuple(n[len(partial) :] for n in found.names if n.startswith(partial) and n != partial)
        if names:
            return max(cut, 0), names
    return None


def guide(
    backend: Backend,
    index: MemberIndex,
    place: Place,
    prompt: str,
    rule: StopRule,
    config: SamplingConfig,
    sample: Sample,
    greedy: bool,
    cancel: threading.Event | None = None,
    key: str = "",
) -> Sample:
    """`sample` with each wrong member name rewritten under javac's constraint (at most MAX_FIXES)."""
    for _ in range(MAX_FIXES):
        wrong = wrong_member(index, place, sample.text)
        if wrong is None:
            break
        cut, names = wrong
        keep = sample.text[:cut]
        more = _one_named(backend, prompt + keep, rule, config, names, greedy, cancel, key)
        if more is None:
            break
        sample = _joined(sample, keep, more)
    return sample


def _one_named(backend, prompt, rule, config, names, greedy, cancel, key) -> Sample | None:
    """One row of `prompt`'s continuation that starts with one of `names` (None: the backend drew none)."""
    replaced = dataclasses.replace(config, samples=1, greedy_first=greedy, names=names)
    more = backend.sample(prompt, rule, replaced, cancel, key)
    return more[0] if more else None


def _joined(sample: Sample, keep: str, more: Sample) -> Sample:
    """The kept start of `sample` and its continuation; the score weighs each part's mean by its length."""
    score = more.mean_logprob
    if keep:
        score = (sample.mean_logprob * len(keep) + more.mean_logprob * len(more.text)) / (
            len(keep) + len(more.text)
        )
    return Sample(text=keep + more.text, token_ids=[], mean_logprob=score, finish=more.finish)


def unknown_name(written: str, at: int, errors: list[Diagnostic]) -> Unknown | None:
    """The simple name in `written` (inserted at offset `at` of the checked text) that javac could not find,
    when every error the candidate adds is such a `cannot find symbol`: then another name may be all the
    line lacks. A name after a dot is guide()'s, not this."""
    if not errors or not all(e.code.startswith("compiler.err.cant.resolve") for e in errors):
        return None
    for e in errors:
        match = _UNKNOWN.search(e.message)
        index = e.start - at
        if match is None or not 0 <= index < len(written):
            continue
        kind, name = match.groups()
        if written.startswith(name, index) and not written[:index].rstrip().endswith("."):
            return Unknown(index, name, kind)
    return None


def rename(
    backend: Backend,
    index: MemberIndex,
    place: Place,
    prompt: str,
    rule: StopRule,
    config: SamplingConfig,
    written: str,
    score: float,
    unknown: Unknown,
    cancel: threading.Event | None = None,
    key: str = "",
) -> Sample | None:
    """`written` (mean log-probability `score`) continued, from the name javac could not find, greedily with
    one of the names in scope at that place of the kind it can be as its start (a method for a method...);
    None when javac lists no other such name there."""
    cut, wrong, kind = unknown
    typed = place.typed
    statement = typed + written
    found = index.members(
        probe(place.text, place.start, statement, len(typed) + cut, place.rest), place.filename
    )
    kinds = _STANDS_FOR.get(kind, ("type",))
    names = tuple(n for n, k in found.names.items() if n != wrong and k in kinds)[:MAX_NAMES]
    if found.what != "scope" or not names:
        return None
    keep = written[:cut]
    more = _one_named(backend, prompt + keep, rule, config, names, True, cancel, key)
    return _joined(Sample(keep, [], score, "stop"), keep, more) if more else None
